package main

// The harness's JSON-lines event channel: one object per line on stdout, nothing else there.
// Each line goes out in a single Write under a mutex, so lines from different connections'
// goroutines never interleave and each reaches the harness as soon as it happens (os.Stdout is
// unbuffered). Logs for humans go to stderr (log.go).

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"sync"
	"time"
)

type eventWriter struct {
	mu sync.Mutex
	w  io.Writer // nil: events are off
}

func newEventWriter(w io.Writer, on bool) *eventWriter {
	if !on {
		return &eventWriter{}
	}
	return &eventWriter{w: w}
}

// emit writes {"type":typ,k1:v1,…} with the fields in the order given, so lines read like the
// examples in the README. kv alternates string keys and JSON-encodable values.
func (e *eventWriter) emit(typ string, kv ...any) {
	if e == nil || e.w == nil {
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeJSON(&b, typ)
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteByte(',')
		writeJSON(&b, kv[i])
		b.WriteByte(':')
		writeJSON(&b, kv[i+1])
	}
	b.WriteString("}\n")
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(b.Bytes()) // a closed stdout must not take the heartbeat down with it
}

func writeJSON(b *bytes.Buffer, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		out = []byte("null")
	}
	b.Write(out)
}

// ms is a duration as the events carry it: milliseconds, to the microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
