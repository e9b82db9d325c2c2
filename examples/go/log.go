package main

// Human-readable logs on stderr (stdout belongs to the events). One line per record:
// time, service, connection, level, message, then key=value fields.

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

type logger struct {
	service string
	w       io.Writer
	mu      *sync.Mutex
}

var stderrMu sync.Mutex

func newLogger(service string) *logger { return &logger{service: service, w: os.Stderr, mu: &stderrMu} }

func (l *logger) log(level, conn, msg string, kv ...any) {
	var b strings.Builder
	b.WriteString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteByte(' ')
	b.WriteString(l.service)
	if conn != "" {
		b.WriteByte(' ')
		b.WriteString(conn)
	}
	b.WriteByte(' ')
	b.WriteString(level)
	b.WriteByte(' ')
	b.WriteString(msg)
	for i := 0; i+1 < len(kv); i += 2 {
		v := fmt.Sprint(kv[i+1])
		if strings.ContainsAny(v, " \"=") || v == "" {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %v=%s", kv[i], v)
	}
	b.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, b.String())
}

func (l *logger) Info(conn, msg string, kv ...any)  { l.log("INFO", conn, msg, kv...) }
func (l *logger) Warn(conn, msg string, kv ...any)  { l.log("WARN", conn, msg, kv...) }
func (l *logger) Error(conn, msg string, kv ...any) { l.log("ERROR", conn, msg, kv...) }
