package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// pipe returns both ends of a real loopback TCP connection.
func pipe(t *testing.T) (near, far net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	near, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	far = <-accepted
	t.Cleanup(func() { near.Close(); far.Close() })
	return near, far
}

func testSettings() Settings {
	return Settings{
		Interval: 30 * time.Millisecond, PongTimeout: 10 * time.Millisecond, WriteDeadline: time.Second,
		MissThreshold: 3, SuspectAfter: 2, ProbeOnSuspect: true, MaxFrame: DefaultMaxFrame,
	}
}

func quiet() *logger { return &logger{service: "test", w: io.Discard, mu: &stderrMu} }

// F5/F12: against a peer that reads but never answers, ping k leaves at k·I and the N-th miss
// lands at N·I + T: that instant, not later, is the death.
func TestHeartbeatTimeoutAtTheNthMissDeadline(t *testing.T) {
	near, far := pipe(t)
	go func() { _, _ = bufio.NewReader(far).WriteTo(discard{}) }()
	s := testSettings()
	var misses []int
	start := time.Now()
	death := NewManager(near, "client", "c#1", s, quiet(), Hooks{
		Miss: func(_ int64, n int) { misses = append(misses, n) },
	}).Run(context.Background(), "local")
	took := time.Since(start)
	if death == nil || death.Reason != "heartbeat-timeout" {
		t.Fatalf("death %+v, want heartbeat-timeout", death)
	}
	want := 3*s.Interval + s.PongTimeout
	if took < want-5*time.Millisecond || took > want+40*time.Millisecond {
		t.Errorf("died after %v, want ≈ %v", took, want)
	}
	if len(misses) != 3 || misses[2] != 3 {
		t.Errorf("miss counts %v, want [1 2 3]", misses)
	}
}

// F4: a peer that sends nothing is dead after the read deadline; every byte re-arms it.
func TestReadDeadlineRearmedByEveryByte(t *testing.T) {
	near, far := pipe(t)
	s := testSettings()
	s.Interval = 0
	s.ReadDeadline = 60 * time.Millisecond
	go func() {
		// One byte every 40 ms for 200 ms keeps it alive; then silence.
		for i := 0; i < 5; i++ {
			time.Sleep(40 * time.Millisecond)
			if _, err := far.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	death := NewManager(near, "server", "s#1", s, quiet(), Hooks{}).Run(context.Background(), "shutdown")
	took := time.Since(start)
	if death == nil || death.Reason != "read-deadline" {
		t.Fatalf("death %+v, want read-deadline", death)
	}
	if want := 200*time.Millisecond + s.ReadDeadline; took < want-10*time.Millisecond || took > want+50*time.Millisecond {
		t.Errorf("died after %v, want ≈ %v", took, want)
	}
}

// Two managers talk the protocol to each other: hellos, pings answered, and a graceful close
// that the peer sees as a FIN after `bye {local}`.
func TestPairExchangesPongsAndClosesGracefully(t *testing.T) {
	near, far := pipe(t)
	s := testSettings()
	ctx, cancel := context.WithCancel(context.Background())
	pongs := make(chan int64, 100)
	ready := make(chan struct{}, 1)
	clientDone := make(chan *Death, 1)
	go func() {
		clientDone <- NewManager(near, "client", "c#1", s, quiet(), Hooks{
			Pong: func(seq int64, _ time.Duration) { pongs <- seq },
		}).Run(ctx, "local")
	}()
	srv := s
	srv.Interval = 0
	srv.ReadDeadline = 200 * time.Millisecond
	serverDone := make(chan *Death, 1)
	go func() {
		serverDone <- NewManager(far, "server", "s#1", srv, quiet(), Hooks{
			Hello: func(*Message) { ready <- struct{}{} },
		}).Run(context.Background(), "shutdown")
	}()
	<-ready
	time.Sleep(5*s.Interval + s.Interval/2)
	cancel()
	if d := <-clientDone; d != nil {
		t.Fatalf("client died: %+v", d)
	}
	d := <-serverDone
	if d == nil || d.Reason != "fin" || !strings.Contains(d.Detail, "bye (local)") {
		t.Fatalf("server saw %+v, want fin after bye (local)", d)
	}
	if n := len(pongs); n < 4 {
		t.Errorf("%d pongs in 5.5 intervals, want ≥ 4", n)
	}
}

// §4: a malformed frame kills the connection with a bye naming the kind, and nothing after it
// is read.
func TestProtocolErrorSaysBye(t *testing.T) {
	near, far := pipe(t)
	s := testSettings()
	s.Interval = 0
	done := make(chan *Death, 1)
	go func() {
		done <- NewManager(near, "server", "s#1", s, quiet(), Hooks{}).Run(context.Background(), "shutdown")
	}()
	_, _ = far.Write([]byte("not json\n"))
	d := <-done
	if d == nil || d.Reason != "protocol-error" {
		t.Fatalf("death %+v, want protocol-error", d)
	}
	_ = far.SetReadDeadline(time.Now().Add(time.Second))
	sc := bufio.NewScanner(far)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 || !strings.Contains(lines[0], `"type":"hello"`) || lines[1] != `{"type":"bye","reason":"protocol-error: malformed"}` {
		t.Errorf("peer received %q, want the hello then the protocol-error bye", lines)
	}
}

// F2: a write the peer never takes is dead at its write deadline, however healthy the pings
// look otherwise. net.Pipe has no buffer, so the hello itself blocks.
func TestWriteDeadline(t *testing.T) {
	near, far := net.Pipe()
	defer far.Close()
	s := testSettings()
	s.Interval = 0
	s.WriteDeadline = 50 * time.Millisecond
	start := time.Now()
	death := NewManager(near, "client", "c#1", s, quiet(), Hooks{}).Run(context.Background(), "local")
	took := time.Since(start)
	if death == nil || death.Reason != "write-deadline" || !strings.Contains(death.Detail, "hello") {
		t.Fatalf("death %+v, want write-deadline on the hello", death)
	}
	if took < s.WriteDeadline || took > s.WriteDeadline+40*time.Millisecond {
		t.Errorf("died after %v, want ≈ %v", took, s.WriteDeadline)
	}
}

// F15: a FIN and an RST are told apart.
func TestFinAndResetAreToldApart(t *testing.T) {
	for _, tt := range []struct {
		name  string
		close func(c net.Conn)
		want  string
	}{
		{"FIN", func(c net.Conn) { c.Close() }, "fin"},
		{"RST", func(c net.Conn) { _ = c.(*net.TCPConn).SetLinger(0); c.Close() }, "reset"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			near, far := pipe(t)
			s := testSettings()
			s.Interval = 0
			done := make(chan *Death, 1)
			go func() {
				done <- NewManager(near, "server", "s#1", s, quiet(), Hooks{}).Run(context.Background(), "shutdown")
			}()
			// Unread data makes any close an RST: take the hello first.
			if _, err := bufio.NewReader(far).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			tt.close(far)
			if d := <-done; d == nil || d.Reason != tt.want {
				t.Fatalf("death %+v, want %s", d, tt.want)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
