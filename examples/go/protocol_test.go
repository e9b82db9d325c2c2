package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const validHello = `{"type":"hello","v":1,"role":"client","id":"c#1","interval":30000,"pongTimeout":5000,"readDeadline":0,"missThreshold":3,"maxFrame":65536}`

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		kind  string // "" = accepted
		check func(t *testing.T, m *Message)
	}{
		{name: "hello", frame: validHello, check: func(t *testing.T, m *Message) {
			if m.Role != "client" || m.ID != "c#1" || m.Interval != 30000 || m.MaxFrame != 65536 {
				t.Errorf("hello decoded as %+v", m)
			}
		}},
		{name: "hello with an unknown field (§6: ignored)", frame: strings.Replace(validHello, `"v":1`, `"v":1,"future":[1,2]`, 1)},
		{name: "hello with integers written as 5.0 and 3e0", frame: strings.Replace(strings.Replace(validHello, `5000`, `5000.0`, 1), `"missThreshold":3`, `"missThreshold":3e0`, 1)},
		{name: "hello from version 2", frame: strings.Replace(validHello, `"v":1`, `"v":2`, 1), kind: kindVersionMismatch},
		{name: "hello with a fractional version", frame: strings.Replace(validHello, `"v":1`, `"v":1.5`, 1), kind: kindMalformed},
		{name: "hello with a bad role", frame: strings.Replace(validHello, `"client"`, `"peer"`, 1), kind: kindMalformed},
		{name: "hello with an empty id", frame: strings.Replace(validHello, `"c#1"`, `""`, 1), kind: kindMalformed},
		{name: "hello with a 129-character id", frame: strings.Replace(validHello, `"c#1"`, `"`+strings.Repeat("x", 129)+`"`, 1), kind: kindMalformed},
		{name: "hello with maxFrame below 512", frame: strings.Replace(validHello, `65536`, `511`, 1), kind: kindMalformed},
		{name: "hello with a fractional interval", frame: strings.Replace(validHello, `30000`, `12.5`, 1), kind: kindMalformed},
		{name: "ping", frame: `{"type":"ping","seq":7,"timestamp":1732150000123,"interval":30000}`, check: func(t *testing.T, m *Message) {
			if m.Seq != 7 || m.Timestamp != "1732150000123" || m.Probe {
				t.Errorf("ping decoded as %+v", m)
			}
		}},
		{name: "probe ping", frame: `{"type":"ping","seq":8,"timestamp":1.5,"interval":30000,"probe":true}`, check: func(t *testing.T, m *Message) {
			if !m.Probe || m.Timestamp != "1.5" {
				t.Errorf("probe decoded as %+v", m)
			}
		}},
		{name: "ping with a negative seq", frame: `{"type":"ping","seq":-1,"timestamp":1,"interval":0}`, kind: kindMalformed},
		{name: "ping with a seq beyond 2^53", frame: `{"type":"ping","seq":9007199254740992,"timestamp":1,"interval":0}`, kind: kindMalformed},
		{name: "ping with a string timestamp", frame: `{"type":"ping","seq":1,"timestamp":"now","interval":0}`, kind: kindMalformed},
		{name: "ping with an infinite timestamp", frame: `{"type":"ping","seq":1,"timestamp":1e999,"interval":0}`, kind: kindMalformed},
		{name: "ping with a non-boolean probe", frame: `{"type":"ping","seq":1,"timestamp":1,"interval":0,"probe":null}`, kind: kindMalformed},
		{name: "pong", frame: `{"type":"pong","seq":7,"timestamp":1732150000128,"echo":1732150000123,"interval":30000}`},
		{name: "pong without echo", frame: `{"type":"pong","seq":7,"timestamp":1,"interval":0}`, kind: kindMalformed},
		{name: "data with a null payload", frame: `{"type":"data","payload":null}`},
		{name: "data without payload", frame: `{"type":"data"}`, kind: kindMalformed},
		{name: "bye", frame: `{"type":"bye","reason":"shutdown"}`, check: func(t *testing.T, m *Message) {
			if m.Reason != "shutdown" {
				t.Errorf("bye reason %q", m.Reason)
			}
		}},
		{name: "bye without a string reason", frame: `{"type":"bye","reason":1}`, kind: kindMalformed},
		{name: "a carriage return before the newline", frame: `{"type":"bye","reason":"x"}` + "\r"},
		{name: "unknown type", frame: `{"type":"HEARTBEAT","seq":1}`, kind: kindUnknownType},
		{name: "no type", frame: `{"seq":1}`, kind: kindMalformed},
		{name: "empty line", frame: ``, kind: kindMalformed},
		{name: "not JSON", frame: `ping`, kind: kindMalformed},
		{name: "a JSON array", frame: `[1,2]`, kind: kindMalformed},
		{name: "two objects on one line", frame: `{"type":"bye","reason":"a"}{"type":"bye","reason":"b"}`, kind: kindMalformed},
		{name: "invalid UTF-8", frame: "{\"type\":\"bye\",\"reason\":\"\xff\"}", kind: kindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, perr := ParseFrame([]byte(tt.frame))
			switch {
			case tt.kind == "" && perr != nil:
				t.Fatalf("rejected: %v", perr)
			case tt.kind != "" && perr == nil:
				t.Fatalf("accepted as %+v, want a %s protocol error", m, tt.kind)
			case tt.kind != "" && perr.Kind != tt.kind:
				t.Fatalf("error kind %s (%v), want %s", perr.Kind, perr, tt.kind)
			}
			if tt.check != nil && m != nil {
				tt.check(t, m)
			}
		})
	}
}

// The frames this side writes are byte for byte what JSON.stringify writes in the reference.
func TestEncodeFrame(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"hello", helloFrame{Type: "hello", V: 1, Role: "server", ID: "s#1", Interval: 0, PongTimeout: 5000, ReadDeadline: 45000, MissThreshold: 3, MaxFrame: 65536},
			`{"type":"hello","v":1,"role":"server","id":"s#1","interval":0,"pongTimeout":5000,"readDeadline":45000,"missThreshold":3,"maxFrame":65536}`},
		{"ping", pingFrame{Type: "ping", Seq: 7, Timestamp: 1732150000123, Interval: 30000},
			`{"type":"ping","seq":7,"timestamp":1732150000123,"interval":30000}`},
		{"probe ping", pingFrame{Type: "ping", Seq: 8, Timestamp: 1, Interval: 30000, Probe: true},
			`{"type":"ping","seq":8,"timestamp":1,"interval":30000,"probe":true}`},
		{"pong echoes the ping's timestamp as written", pongFrame{Type: "pong", Seq: 7, Timestamp: 1732150000128, Echo: "1732150000123.5", Interval: 0},
			`{"type":"pong","seq":7,"timestamp":1732150000128,"echo":1732150000123.5,"interval":0}`},
		{"bye", byeFrame{Type: "bye", Reason: "protocol-error: oversized"},
			`{"type":"bye","reason":"protocol-error: oversized"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeFrame(tt.v, DefaultMaxFrame)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want+"\n" {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if _, perr := ParseFrame(got[:len(got)-1]); perr != nil {
				t.Errorf("our own frame does not parse: %v", perr)
			}
		})
	}
}

func TestEncodeFrameRefusesOversized(t *testing.T) {
	big := dataFrame{Type: "data", Payload: []byte(`"` + strings.Repeat("x", 600) + `"`)}
	if _, err := encodeFrame(big, MinMaxFrame); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
	if _, err := encodeFrame(big, DefaultMaxFrame); err != nil {
		t.Fatalf("a frame under the limit was refused: %v", err)
	}
}

func TestWireMillis(t *testing.T) {
	for _, tt := range []struct {
		ms   float64
		want int64
	}{{0, 0}, {0.2, 1}, {12.5, 13}, {12.4, 12}, {30000, 30000}} {
		if got := wireMillis(durationMs(tt.ms)); got != tt.want {
			t.Errorf("wireMillis(%g ms) = %d, want %d", tt.ms, got, tt.want)
		}
	}
}

func TestFrameReader(t *testing.T) {
	ping := `{"type":"ping","seq":1,"timestamp":1,"interval":0}`
	tests := []struct {
		name   string
		stream string
		max    int
		split  bool // deliver one byte per Read
		frames []string
		kind   string // protocol error expected after the frames; "" = clean EOF
	}{
		{name: "frames split across reads", stream: ping + "\n" + ping + "\n", max: 512, split: true, frames: []string{ping, ping}},
		{name: "many frames in one read", stream: "a\nbb\nccc\n", max: 512, frames: []string{"a", "bb", "ccc"}},
		{name: "a frame of exactly max bytes", stream: strings.Repeat("x", 512) + "\n", max: 512, frames: []string{strings.Repeat("x", 512)}},
		{name: "a frame of max+1 bytes", stream: "ok\n" + strings.Repeat("x", 513) + "\n", max: 512, frames: []string{"ok"}, kind: kindOversized},
		{name: "max+1 bytes split byte by byte", stream: strings.Repeat("x", 513) + "\n", max: 512, split: true, kind: kindOversized},
		{name: "an unfinished frame at EOF is dropped", stream: "a\nbcd", max: 512, frames: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tt.stream)
			if tt.split {
				r = iotest.OneByteReader(r)
			}
			fr := NewFrameReader(r, tt.max)
			var got []string
			var err error
			for {
				var b []byte
				b, _, err = fr.Next()
				if err != nil {
					break
				}
				got = append(got, string(b))
			}
			if strings.Join(got, "|") != strings.Join(tt.frames, "|") {
				t.Errorf("frames %q, want %q", got, tt.frames)
			}
			var perr *ProtocolError
			switch {
			case tt.kind == "" && err != io.EOF:
				t.Errorf("ended with %v, want EOF", err)
			case tt.kind != "" && (!errors.As(err, &perr) || perr.Kind != tt.kind):
				t.Errorf("ended with %v, want a %s protocol error", err, tt.kind)
			}
		})
	}
}

// A peer streaming bytes without a newline is refused after max+1 bytes of it, not buffered.
func TestFrameReaderBoundsMemory(t *testing.T) {
	src := &countingReader{}
	fr := NewFrameReader(src, DefaultMaxFrame)
	_, _, err := fr.Next()
	var perr *ProtocolError
	if !errors.As(err, &perr) || perr.Kind != kindOversized {
		t.Fatalf("got %v, want an oversized protocol error", err)
	}
	// It may have read one buffer past the limit, never more.
	if src.n > DefaultMaxFrame+len(fr.buf) {
		t.Errorf("read %d bytes before refusing a %d-byte limit", src.n, DefaultMaxFrame)
	}
	if len(fr.pending) != 0 {
		t.Errorf("still holding %d bytes after refusing the frame", len(fr.pending))
	}
}

// countingReader is an endless stream of 'x' with no newline.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	copy(p, bytes.Repeat([]byte("x"), len(p)))
	c.n += len(p)
	return len(p), nil
}
