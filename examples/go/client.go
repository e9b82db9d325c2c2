package main

// The client of the seed design, as impl/client.ts: connect with a connect timeout, heartbeat
// the connection (F1, F5, F11, F12), and after every death or failed attempt reconnect with
// exponential backoff and jitter (F13), until stopped.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"time"
)

type clientConfig struct {
	Upstream       string
	Heartbeat      Settings
	ConnectTimeout time.Duration
	Backoff        seedBackoff
	// MaxAttempts: F13's alert after this many consecutive failed reconnects; 0 = never give up,
	// which is what the harness runs the reference with.
	MaxAttempts int
}

type client struct {
	cfg    clientConfig
	ev     *eventWriter
	log    *logger
	random *rand.Rand

	conns     int  // ids c#1, c#2…: one per connect attempt, as the reference counts them
	retries   int  // n of the next backoff wait: reconnects since the last healthy connection
	everReady bool // a hello has arrived on some connection: the next ready is a reconnect
}

func newClient(cfg clientConfig, ev *eventWriter) *client {
	return &client{
		cfg:    cfg,
		ev:     ev,
		log:    newLogger("heartbeat-client"),
		random: rand.New(rand.NewSource(time.Now().UnixNano())),
	}
}

// run connects and reconnects until ctx is cancelled, then closes with `bye {local}`.
func (c *client) run(ctx context.Context) {
	c.log.Info("", "client starting", "upstream", c.cfg.Upstream)
	for {
		c.conns++
		id := fmt.Sprintf("c#%d", c.conns)
		attempt := c.retries
		c.ev.emit("connecting", "conn", id, "attempt", attempt)
		after, ok := c.connectOnce(ctx, id, attempt)
		if !ok || !c.wait(ctx, after) {
			break
		}
	}
	c.log.Info("", "client stopped")
	c.ev.emit("stopped")
}

// connectOnce makes one attempt and, if it connects, heartbeats it until it dies. It returns the
// reason of the failure or death, and false once the client is stopping.
func (c *client) connectOnce(ctx context.Context, id string, attempt int) (string, bool) {
	d := net.Dialer{Timeout: c.cfg.ConnectTimeout, KeepAlive: keepAliveFor(c.cfg.Heartbeat.KeepAlive)}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Upstream)
	if ctx.Err() != nil {
		if conn != nil {
			_ = conn.Close()
		}
		return "", false
	}
	if err != nil {
		reason := attemptFailure(err)
		c.log.Warn(id, "connect attempt failed", "attempt", attempt, "reason", reason, "err", err)
		c.ev.emit("attempt-failed", "conn", id, "attempt", attempt, "reason", reason)
		return reason, true
	}
	local := conn.LocalAddr().String()
	c.log.Info(id, "connected", "local", local, "interval", msFloat(c.cfg.Heartbeat.Interval))
	c.ev.emit("connected", "conn", id, "local", local)

	proven := false
	hooks := Hooks{
		State: func(state, previous, reason string) {
			c.ev.emit("state", stateFields(id, state, previous, reason, "local", local)...)
		},
		Hello: func(*Message) {
			reconnected := c.everReady
			c.everReady = true
			// Without pings nothing later can prove the connection healthy: the hello has to.
			if c.cfg.Heartbeat.Interval <= 0 {
				c.resetBackoff()
			}
			c.ev.emit("ready", "conn", id, "reconnected", reconnected)
		},
		Pong: func(seq int64, rtt time.Duration) {
			// F13: the outage ends at the first pong, not at the hello: a path that lets the hello
			// through and then fails would otherwise be retried every b + J forever.
			if !proven {
				proven = true
				c.resetBackoff()
			}
			c.ev.emit("pong", "conn", id, "seq", seq, "rtt", ms(rtt))
		},
		Miss: func(seq int64, misses int) {
			c.ev.emit("miss", "conn", id, "seq", seq, "misses", misses)
		},
		Data: func(payload json.RawMessage, _ func(any) bool) {
			c.log.Info(id, "business message", "payload", string(payload))
		},
	}
	death := NewManager(conn, "client", id, c.cfg.Heartbeat, c.log, hooks).Run(ctx, "local")
	if death == nil {
		return "", false
	}
	c.ev.emit("death", "conn", id, "reason", death.Reason, "detail", death.Detail, "local", local)
	return death.Reason, true
}

func (c *client) resetBackoff() { c.retries = 0 }

// wait sleeps the backoff before the next attempt; false if the client stopped meanwhile.
func (c *client) wait(ctx context.Context, after string) bool {
	if c.cfg.MaxAttempts > 0 && c.retries >= c.cfg.MaxAttempts {
		c.log.Error("", "ALERT: giving up reconnecting; a human is needed", "attempts", c.retries, "lastReason", after)
		c.ev.emit("giveup", "attempts", c.retries, "reason", after)
		<-ctx.Done()
		return false
	}
	delay := c.cfg.Backoff.Next(c.retries, c.random.Float64())
	c.retries++
	c.log.Info("", "reconnect scheduled", "attempt", c.retries, "delay", ms(delay), "after", after)
	c.ev.emit("reconnect", "attempt", c.retries, "delay", ms(delay), "reason", after)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// keepAliveFor maps F7's setting onto net.Dialer / net.ListenConfig, whose 0 means "Go's
// default of 15 s" rather than off.
func keepAliveFor(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// stateFields leaves out "previous" on the first state of a connection, as the reference does.
func stateFields(id, state, previous, reason, addrKey, addr string) []any {
	kv := []any{"conn", id, "state", state}
	if previous != "" {
		kv = append(kv, "previous", previous)
	}
	return append(kv, "reason", reason, addrKey, addr)
}
