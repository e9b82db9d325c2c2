package main

// The server of the seed design, as impl/server.ts: it answers every ping at once and keeps a
// read deadline per connection, re-armed by every byte (F4); with an interval it pings the client
// too (F10). Each connection has its own goroutines and heartbeat state (F16), and a graceful
// shutdown stops accepting, says `bye {shutdown}` to every client and closes it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

type serverConfig struct {
	Listen    string
	Heartbeat Settings
}

type server struct {
	cfg   serverConfig
	ev    *eventWriter
	log   *logger
	conns int
	wg    sync.WaitGroup
}

func newServer(cfg serverConfig, ev *eventWriter) *server {
	return &server{cfg: cfg, ev: ev, log: newLogger("heartbeat-server")}
}

// run serves until ctx is cancelled; it returns an error only if it cannot listen.
func (s *server) run(ctx context.Context) error {
	lc := net.ListenConfig{KeepAlive: keepAliveFor(s.cfg.Heartbeat.KeepAlive)}
	ln, err := lc.Listen(context.Background(), "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", s.cfg.Listen, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	s.log.Info("", "listening", "address", ln.Addr().String(),
		"interval", msFloat(s.cfg.Heartbeat.Interval), "readDeadline", msFloat(s.cfg.Heartbeat.ReadDeadline))
	s.ev.emit("listening", "port", port)

	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		s.accept(ctx, ln)
	}()

	<-ctx.Done()
	s.log.Info("", "shutting down")
	_ = ln.Close()
	<-accepting
	// Every connection's loop sees ctx and closes with bye {shutdown}; each close is bounded by
	// byeGrace, so this wait is short. The extra bound is for a loop stuck somewhere unforeseen.
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * byeGrace):
		s.log.Warn("", "connections still closing at exit")
	}
	s.log.Info("", "shut down")
	s.ev.emit("stopped")
	return nil
}

func (s *server) accept(ctx context.Context, ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: a pause, not the end of the server.
			s.log.Error("", "accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.conns++
		id := fmt.Sprintf("s#%d", s.conns)
		peer := conn.RemoteAddr().String()
		s.log.Info(id, "connection accepted", "peer", peer)
		s.ev.emit("connection", "conn", id, "peer", peer)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(ctx, conn, id, peer)
		}()
	}
}

func (s *server) serve(ctx context.Context, conn net.Conn, id, peer string) {
	hooks := Hooks{
		State: func(state, previous, reason string) {
			s.ev.emit("state", stateFields(id, state, previous, reason, "peer", peer)...)
		},
		Hello: func(*Message) { s.ev.emit("ready", "conn", id) },
		// With -interval > 0 the server pings too (F10) and reports like the client does.
		Pong: func(seq int64, rtt time.Duration) {
			s.ev.emit("pong", "conn", id, "seq", seq, "rtt", ms(rtt), "peer", peer)
		},
		Miss: func(seq int64, misses int) {
			s.ev.emit("miss", "conn", id, "seq", seq, "misses", misses, "peer", peer)
		},
		// F6: business messages are echoed like the reference's serve.ts does; the reply is
		// queued behind nothing the heartbeat needs.
		Data: func(payload json.RawMessage, reply func(any) bool) {
			reply(map[string]json.RawMessage{"echo": payload})
		},
	}
	death := NewManager(conn, "server", id, s.cfg.Heartbeat, s.log, hooks).Run(ctx, "shutdown")
	if death != nil {
		s.ev.emit("death", "conn", id, "reason", death.Reason, "detail", death.Detail, "peer", peer)
	}
}
