package main

// The wire protocol v1 of impl/PROTOCOL.md: one JSON object per line. Everything here is written
// to accept and produce exactly what impl/protocol.ts does, so this binary and the Node reference
// can be either end of one connection.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	protocolVersion = 1
	// DefaultMaxFrame is the reference's limit (newline excluded); MinMaxFrame is the floor that
	// guarantees a hello always fits (PROTOCOL.md §3).
	DefaultMaxFrame = 65536
	MinMaxFrame     = 512
)

// Protocol error kinds (PROTOCOL.md §4). They travel in `bye {"protocol-error: <kind>"}`.
const (
	kindOversized       = "oversized"
	kindMalformed       = "malformed"
	kindUnknownType     = "unknown-type"
	kindVersionMismatch = "version-mismatch"
	kindUnexpected      = "unexpected"
)

// ProtocolError is a frame the receiver must refuse; the connection carrying it is closed.
type ProtocolError struct {
	Kind   string
	Detail string
}

func (e *ProtocolError) Error() string { return e.Kind + ": " + e.Detail }

func protoErr(kind, format string, args ...any) *ProtocolError {
	return &ProtocolError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// ErrFrameTooLarge: we never write a frame the peer announced it would reject (§3).
var ErrFrameTooLarge = errors.New("frame exceeds the maximum frame size")

// Message is one decoded frame. Only the fields of its Type are meaningful.
type Message struct {
	Type string

	// hello
	V             int64
	Role          string
	ID            string
	Interval      int64 // hello, ping, pong
	PongTimeout   int64
	ReadDeadline  int64
	MissThreshold int64
	MaxFrame      int64

	// ping, pong. Timestamps are kept as the peer wrote them: a pong must echo the ping's
	// timestamp exactly, whatever number format the other implementation used.
	Seq       int64
	Timestamp json.Number
	Echo      json.Number
	Probe     bool

	// data
	Payload json.RawMessage

	// bye
	Reason string
}

// The outgoing shapes. Field order matches JSON.stringify in the reference, so captures of both
// implementations read the same.
type helloFrame struct {
	Type          string `json:"type"`
	V             int    `json:"v"`
	Role          string `json:"role"`
	ID            string `json:"id"`
	Interval      int64  `json:"interval"`
	PongTimeout   int64  `json:"pongTimeout"`
	ReadDeadline  int64  `json:"readDeadline"`
	MissThreshold int    `json:"missThreshold"`
	MaxFrame      int    `json:"maxFrame"`
}

type pingFrame struct {
	Type      string `json:"type"`
	Seq       int64  `json:"seq"`
	Timestamp int64  `json:"timestamp"`
	Interval  int64  `json:"interval"`
	Probe     bool   `json:"probe,omitempty"`
}

type pongFrame struct {
	Type      string      `json:"type"`
	Seq       int64       `json:"seq"`
	Timestamp int64       `json:"timestamp"`
	Echo      json.Number `json:"echo"`
	Interval  int64       `json:"interval"`
}

type dataFrame struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

type byeFrame struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// encodeFrame serialises one message and appends the newline, refusing a body over max bytes.
func encodeFrame(v any, max int) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // JSON.stringify does not escape <, > and &
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	// Encode already wrote the newline; the limit is on the body.
	if b.Len()-1 > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, b.Len()-1, max)
	}
	return b.Bytes(), nil
}

// wireMillis turns a duration into the protocol's integer milliseconds. Durations may be
// fractional here (the harness scales them), but a hello or ping with a fractional interval is
// malformed to the reference, so they are rounded; a positive value never rounds down to 0,
// which would claim "this side does not ping".
func wireMillis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	ms := int64(math.Round(float64(d) / float64(time.Millisecond)))
	if ms < 1 {
		ms = 1
	}
	return ms
}

// nowMillis is the sender's wall clock, Unix epoch ms, as Date.now() gives it.
func nowMillis() int64 { return time.Now().UnixMilli() }

// ParseFrame validates one frame body (newline excluded) exactly as validateMessage in
// impl/protocol.ts does. Unknown fields are ignored (§6).
func ParseFrame(frame []byte) (*Message, *ProtocolError) {
	if !utf8.Valid(frame) {
		return nil, protoErr(kindMalformed, "frame is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, protoErr(kindMalformed, "frame is not JSON (%v): %s", err, preview(frame))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, protoErr(kindMalformed, "frame is not JSON (trailing data): %s", preview(frame))
	}
	m, ok := value.(map[string]any)
	if !ok {
		return nil, protoErr(kindMalformed, "frame is not a JSON object")
	}
	typ, ok := m["type"].(string)
	if !ok {
		return nil, protoErr(kindMalformed, `frame has no string "type"`)
	}
	msg := &Message{Type: typ}
	switch typ {
	case "hello":
		// The version comes first: a future version may change every other field (§6).
		v, ok := count(m["v"])
		if !ok {
			return nil, protoErr(kindMalformed, "hello.v must be a non-negative integer")
		}
		if v != protocolVersion {
			return nil, protoErr(kindVersionMismatch, "peer speaks v%d, this side speaks v%d", v, protocolVersion)
		}
		msg.V = v
		role, _ := m["role"].(string)
		if role != "client" && role != "server" {
			return nil, protoErr(kindMalformed, `hello.role must be "client" or "server"`)
		}
		msg.Role = role
		id, ok := m["id"].(string)
		// JS measures string length in UTF-16 code units.
		if n := len(utf16.Encode([]rune(id))); !ok || n == 0 || n > 128 {
			return nil, protoErr(kindMalformed, "hello.id must be a string of 1–128 characters")
		}
		msg.ID = id
		for _, f := range []struct {
			key string
			dst *int64
		}{
			{"interval", &msg.Interval},
			{"pongTimeout", &msg.PongTimeout},
			{"readDeadline", &msg.ReadDeadline},
			{"missThreshold", &msg.MissThreshold},
		} {
			n, ok := count(m[f.key])
			if !ok {
				return nil, protoErr(kindMalformed, "hello.%s must be a non-negative integer", f.key)
			}
			*f.dst = n
		}
		mf, ok := count(m["maxFrame"])
		if !ok || mf < MinMaxFrame {
			return nil, protoErr(kindMalformed, "hello.maxFrame must be an integer ≥ %d", MinMaxFrame)
		}
		msg.MaxFrame = mf
	case "ping":
		if err := requireCount(m, "ping", "seq", &msg.Seq); err != nil {
			return nil, err
		}
		if err := requireTimestamp(m, "ping", "timestamp", &msg.Timestamp); err != nil {
			return nil, err
		}
		if err := requireCount(m, "ping", "interval", &msg.Interval); err != nil {
			return nil, err
		}
		if p, present := m["probe"]; present {
			b, ok := p.(bool)
			if !ok {
				return nil, protoErr(kindMalformed, "ping.probe must be a boolean when present")
			}
			msg.Probe = b
		}
	case "pong":
		if err := requireCount(m, "pong", "seq", &msg.Seq); err != nil {
			return nil, err
		}
		if err := requireTimestamp(m, "pong", "timestamp", &msg.Timestamp); err != nil {
			return nil, err
		}
		if err := requireTimestamp(m, "pong", "echo", &msg.Echo); err != nil {
			return nil, err
		}
		if err := requireCount(m, "pong", "interval", &msg.Interval); err != nil {
			return nil, err
		}
	case "data":
		p, present := m["payload"]
		if !present {
			return nil, protoErr(kindMalformed, `data frame has no "payload"`)
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return nil, protoErr(kindMalformed, "data payload: %v", err)
		}
		msg.Payload = raw
	case "bye":
		r, ok := m["reason"].(string)
		if !ok {
			return nil, protoErr(kindMalformed, "bye.reason must be a string")
		}
		if rs := []rune(r); len(rs) > 200 {
			r = string(rs[:200])
		}
		msg.Reason = r
	default:
		t := typ
		if rs := []rune(t); len(rs) > 40 {
			t = string(rs[:40])
		}
		q, _ := json.Marshal(t)
		return nil, protoErr(kindUnknownType, "unknown frame type %s", q)
	}
	return msg, nil
}

// maxSafeInteger is Number.MAX_SAFE_INTEGER: the reference accepts integers up to it, and a
// number written as 5.0 or 5e0 is the integer 5 to JavaScript, so it is to us.
const maxSafeInteger = 1<<53 - 1

func count(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || f < 0 || f > maxSafeInteger {
		return 0, false
	}
	return int64(f), true
}

func requireCount(m map[string]any, typ, key string, dst *int64) *ProtocolError {
	n, ok := count(m[key])
	if !ok {
		return protoErr(kindMalformed, "%s.%s must be a non-negative integer", typ, key)
	}
	*dst = n
	return nil
}

func requireTimestamp(m map[string]any, typ, key string, dst *json.Number) *ProtocolError {
	n, ok := m[key].(json.Number)
	if ok {
		// ParseFloat reports a range error for what JSON.parse turns into Infinity.
		if f, err := strconv.ParseFloat(string(n), 64); err == nil && !math.IsInf(f, 0) {
			*dst = n
			return nil
		}
	}
	return protoErr(kindMalformed, "%s.%s must be a finite number (ms)", typ, key)
}

func preview(frame []byte) string {
	s := []rune(string(frame))
	t := string(s)
	if len(s) > 60 {
		t = string(s[:60]) + "…"
	}
	q, _ := json.Marshal(t)
	return string(q)
}

// FrameReader splits a byte stream into frames without ever holding more than max bytes of an
// unfinished one: a peer that never sends a newline is rejected as soon as it has sent max+1
// bytes (§3), not when memory runs out. bufio.Scanner would do, but it reports its limit only as
// ErrTooLong after filling its buffer, and we want the reference's exact rule and wording.
type FrameReader struct {
	r       io.Reader
	max     int
	buf     []byte // the last read
	start   int    // first unconsumed byte of buf
	end     int
	pending []byte // an unfinished frame carried over from earlier reads
	at      time.Time
	err     error
}

func NewFrameReader(r io.Reader, max int) *FrameReader {
	return &FrameReader{r: r, max: max, buf: make([]byte, 16*1024)}
}

// Next returns the next frame body (newline excluded; valid until the next call) and when the
// read that completed it returned. Read errors come after every complete frame before them.
func (fr *FrameReader) Next() ([]byte, time.Time, error) {
	for {
		if fr.start < fr.end {
			chunk := fr.buf[fr.start:fr.end]
			nl := bytes.IndexByte(chunk, '\n')
			piece := chunk
			if nl >= 0 {
				piece = chunk[:nl]
			}
			size := len(fr.pending) + len(piece)
			if size > fr.max {
				more := ""
				if nl < 0 {
					more = "+"
				}
				fr.err = protoErr(kindOversized, "frame exceeds %d bytes (%d%s bytes without a newline)", fr.max, size, more)
				fr.start, fr.end, fr.pending = 0, 0, nil
				return nil, fr.at, fr.err
			}
			if nl < 0 {
				fr.pending = append(fr.pending, piece...)
				fr.start, fr.end = 0, 0
				continue
			}
			fr.start += nl + 1
			if len(fr.pending) == 0 {
				return piece, fr.at, nil
			}
			frame := append(fr.pending, piece...)
			fr.pending = fr.pending[:0:0]
			return frame, fr.at, nil
		}
		if fr.err != nil {
			return nil, fr.at, fr.err
		}
		n, err := fr.r.Read(fr.buf)
		fr.at = time.Now()
		fr.start, fr.end = 0, n
		if err != nil {
			fr.err = err
		}
	}
}
