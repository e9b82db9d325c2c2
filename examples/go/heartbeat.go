package main

// F8: the reusable heartbeat manager of the first seed article — one per connection, holding the
// connection, the ping ticker, the pong timeout and the death report — speaking PROTOCOL.md the way
// impl/heartbeat.ts does. Its owner (client.go, server.go) decides what a death means: reconnect,
// or just forget the connection.
//
// Three goroutines per connection, so that no single blocking call can hold up detection:
//   - the loop (Run) owns all state: it pings on the ticker, answers pings, counts misses;
//   - the reader blocks in Read under a read deadline re-armed before every Read (F4);
//   - the writer blocks in Write under a write deadline per frame (F2).
// A stuck Write therefore never delays a pong timeout, and a silent peer never delays a ping.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Settings of one side (F18). Durations of 0 disable their mechanism where noted.
type Settings struct {
	Interval       time.Duration // F1: ping period; 0 = this side never pings (it still answers)
	PongTimeout    time.Duration // F5: a ping without its pong after this long is a miss
	WriteDeadline  time.Duration // F2: each heartbeat write must be in the kernel by then; 0 = off
	ReadDeadline   time.Duration // F4: silence this long means the peer is dead; 0 = off
	KeepAlive      time.Duration // F7: OS keepalive idle time, a backstop only; 0 = off
	MissThreshold  int           // F12: consecutive misses that disconnect
	SuspectAfter   int           // F11: consecutive misses that make the connection SUSPECT
	ProbeOnSuspect bool          // F11: send one extra probe ping on entering SUSPECT
	MaxFrame       int           // §3: largest frame accepted or sent, newline excluded
}

// Death is why an established connection ended without this side choosing to close it (F15).
type Death struct {
	Reason string
	Detail string
	Err    error
}

// Hooks are called from the connection's loop goroutine, in protocol order.
type Hooks struct {
	State func(state, previous, reason string) // F11: HEALTHY, SUSPECT, DISCONNECTED; previous "" at start
	Hello func(peer *Message)
	Pong  func(seq int64, rtt time.Duration)
	Miss  func(seq int64, misses int)
	Data  func(payload json.RawMessage, reply func(payload any) bool)
}

// byeGrace bounds how long a deliberate close waits for its bye to reach the kernel: a bye is a
// courtesy, and shutdown must finish within about a second however many peers are stuck.
const byeGrace = 100 * time.Millisecond

// recheckWindow is how long a read deadline's last look for already-received bytes may take: a
// non-blocking read needs a deadline still in the future when the read starts.
const recheckWindow = time.Millisecond

// sendQueue is generous: with a write deadline the writer fails long before it fills.
const sendQueue = 256

type outstanding struct {
	timer  *time.Timer
	sentAt time.Time
	probe  bool
}

type inbound struct {
	msg *Message
	at  time.Time // when the Read that completed the frame returned
	err error
}

type outbound struct {
	frame []byte
	what  string
	at    time.Time // F2's deadline runs from here, as the reference's does from socket.write
}

type writeFailure struct {
	err  error
	what string
}

// Manager runs the heartbeat of one connection.
type Manager struct {
	conn  net.Conn
	role  string
	id    string
	s     Settings
	log   *logger
	hooks Hooks

	frames      chan inbound
	writeFailed chan writeFailure
	timeouts    chan int64
	done        chan struct{}
	closing     atomic.Bool

	// The send queue. Frames are taken off it only while holding wmu, so the writer and a
	// closing bye write everything in the order the loop queued it: the hello is never
	// overtaken by the bye that follows it.
	qmu     sync.Mutex
	queue   []outbound
	wake    chan struct{}
	wmu     sync.Mutex
	byeSent bool // under wmu: nothing may follow the bye

	seq         int64
	outstanding map[int64]*outstanding
	health      health
	peer        *Message
	sendLimit   int
	byeReason   string
	lastState   string
}

func NewManager(conn net.Conn, role, id string, s Settings, log *logger, hooks Hooks) *Manager {
	return &Manager{
		conn:        conn,
		role:        role,
		id:          id,
		s:           s,
		log:         log,
		hooks:       hooks,
		frames:      make(chan inbound, 64),
		wake:        make(chan struct{}, 1),
		writeFailed: make(chan writeFailure, 1),
		timeouts:    make(chan int64, 16),
		done:        make(chan struct{}),
		outstanding: map[int64]*outstanding{},
		health:      health{suspectAfter: s.SuspectAfter, missThreshold: s.MissThreshold},
		sendLimit:   s.MaxFrame,
	}
}

// Run heartbeats until the connection dies (the Death is returned) or ctx is cancelled (the
// connection is closed with `bye {closeReason}` and nil is returned). The socket is closed either
// way before Run returns.
func (m *Manager) Run(ctx context.Context, closeReason string) *Death {
	defer m.stopTimers()
	if ctx.Err() != nil {
		m.closeConn(byeBytes(closeReason))
		return nil
	}
	m.syncState("start")
	go m.writeLoop()
	go m.readLoop()
	// Both sides send hello at once, without waiting for the other's (§5).
	hello := helloFrame{
		Type:          "hello",
		V:             protocolVersion,
		Role:          m.role,
		ID:            m.id,
		Interval:      wireMillis(m.s.Interval),
		PongTimeout:   wireMillis(m.s.PongTimeout),
		ReadDeadline:  wireMillis(m.s.ReadDeadline),
		MissThreshold: m.s.MissThreshold,
		MaxFrame:      m.s.MaxFrame,
	}
	if d := m.enqueue(hello, "hello"); d != nil {
		return d
	}
	// F1: a fixed-rate ticker from the articles, started at connect: ping k leaves at t0 + k·I
	// whether or not earlier pongs came back. A ticker never bunches up missed ticks either.
	var tick <-chan time.Time
	if m.s.Interval > 0 {
		t := time.NewTicker(m.s.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			m.health.disconnect()
			m.syncState(closeReason)
			m.closeConn(byeBytes(closeReason))
			m.log.Info(m.id, "heartbeat stopped", "reason", closeReason)
			return nil
		case <-tick:
			if d := m.sendPing(false); d != nil {
				return d
			}
		case in := <-m.frames:
			if d := m.handle(in); d != nil {
				return d
			}
		case seq := <-m.timeouts:
			// A pong already read is handled before the deadline it beat (or lost to, by its
			// receive time): select alone would pick between the two at random.
			if d := m.drainFrames(); d != nil {
				return d
			}
			if d := m.pongTimedOut(seq); d != nil {
				return d
			}
		case f := <-m.writeFailed:
			reason, detail := classifyWrite(f.err, f.what, m.s.WriteDeadline)
			return m.die(reason, detail, f.err, nil)
		}
	}
}

func (m *Manager) drainFrames() *Death {
	for {
		select {
		case in := <-m.frames:
			if d := m.handle(in); d != nil {
				return d
			}
		default:
			return nil
		}
	}
}

// ——— sending ———

func (m *Manager) sendPing(probe bool) *Death {
	m.seq++
	seq := m.seq
	sentAt := time.Now()
	// F5: armed before the write, so a pong can never beat the arming of its own timeout.
	timer := time.AfterFunc(m.s.PongTimeout, func() {
		select {
		case m.timeouts <- seq:
		case <-m.done:
		}
	})
	m.outstanding[seq] = &outstanding{timer: timer, sentAt: sentAt, probe: probe}
	ping := pingFrame{Type: "ping", Seq: seq, Timestamp: nowMillis(), Interval: wireMillis(m.s.Interval), Probe: probe}
	return m.enqueue(ping, fmt.Sprintf("ping #%d", seq))
}

// enqueue hands a heartbeat or control frame to the writer. It never blocks the loop.
func (m *Manager) enqueue(v any, what string) *Death {
	frame, err := encodeFrame(v, m.sendLimit)
	if err != nil {
		m.log.Error(m.id, "cannot encode "+what, "err", err)
		return nil
	}
	if !m.push(outbound{frame: frame, what: what, at: time.Now()}) {
		return m.die("write-error", what+": send queue full, the peer has stopped reading", nil, nil)
	}
	return nil
}

func (m *Manager) push(o outbound) bool {
	m.qmu.Lock()
	if len(m.queue) >= sendQueue {
		m.qmu.Unlock()
		return false
	}
	m.queue = append(m.queue, o)
	m.qmu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

func (m *Manager) pop() (outbound, bool) {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	if len(m.queue) == 0 {
		return outbound{}, false
	}
	o := m.queue[0]
	m.queue[0] = outbound{}
	m.queue = m.queue[1:]
	return o, true
}

// sendData is F6's business path: it may be dropped, it never holds up or kills the heartbeat.
func (m *Manager) sendData(payload any) bool {
	if m.peer == nil || m.closing.Load() {
		return false // §5: data waits for the peer's hello, whose maxFrame bounds it
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		m.log.Warn(m.id, "business payload is not JSON", "err", err)
		return false
	}
	frame, err := encodeFrame(dataFrame{Type: "data", Payload: raw}, m.sendLimit)
	if err != nil {
		m.log.Warn(m.id, "business message not sent", "err", err)
		return false
	}
	if !m.push(outbound{frame: frame, what: "data", at: time.Now()}) {
		m.log.Warn(m.id, "business message dropped: send queue full")
		return false
	}
	return true
}

func (m *Manager) writeLoop() {
	for {
		select {
		case <-m.done:
			return
		case <-m.wake:
		}
		if f := m.flush(); f != nil {
			select {
			case m.writeFailed <- *f:
			default:
			}
			return
		}
	}
}

// flush writes every queued frame, oldest first.
func (m *Manager) flush() *writeFailure {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	for !m.byeSent {
		o, ok := m.pop()
		if !ok {
			return nil
		}
		if err := m.write(o); err != nil {
			return &writeFailure{err: err, what: o.what}
		}
	}
	return nil
}

// write is F2 as the articles put it: SetWriteDeadline before every write, and a write that
// cannot complete in time means the connection is dead. The deadline counts from when the loop
// queued the frame, so a frame stuck behind another is judged by its own age. Called with wmu.
func (m *Manager) write(o outbound) error {
	var deadline time.Time
	if m.s.WriteDeadline > 0 {
		deadline = o.at.Add(m.s.WriteDeadline)
	}
	if m.closing.Load() {
		deadline = time.Now().Add(byeGrace)
	}
	if err := m.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := m.conn.Write(o.frame)
	return err
}

// ——— receiving ———

// deadlineReader re-arms the read deadline before every Read: any byte, even half a frame,
// proves the peer alive (F4), and the deadline then counts from the last byte received.
type deadlineReader struct {
	conn net.Conn
	d    time.Duration
}

func (r deadlineReader) Read(p []byte) (int, error) {
	if r.d <= 0 {
		return r.conn.Read(p)
	}
	if err := r.conn.SetReadDeadline(time.Now().Add(r.d)); err != nil {
		return 0, err
	}
	n, err := r.conn.Read(p)
	if n == 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		// A process that was not running (GC pause, SIGSTOP) wakes up with both the deadline
		// expired and bytes its kernel received meanwhile; Go may report either first. The
		// reference (Node) handles pending I/O before expired timers, so bytes that are already
		// here count: look once more, without waiting, before declaring the peer silent.
		if r.conn.SetReadDeadline(time.Now().Add(recheckWindow)) == nil {
			if n2, err2 := r.conn.Read(p); n2 > 0 || !errors.Is(err2, os.ErrDeadlineExceeded) {
				return n2, err2
			}
		}
	}
	return n, err
}

func (m *Manager) readLoop() {
	fr := NewFrameReader(deadlineReader{conn: m.conn, d: m.s.ReadDeadline}, m.s.MaxFrame)
	for {
		body, at, err := fr.Next()
		in := inbound{at: at}
		if err != nil {
			in.err = err
		} else if msg, perr := ParseFrame(body); perr != nil {
			in.err = perr
		} else {
			in.msg = msg
		}
		select {
		case m.frames <- in:
		case <-m.done:
			return
		}
		if in.err != nil {
			return // §4: nothing after a bad frame is read
		}
	}
}

func (m *Manager) handle(in inbound) *Death {
	if in.err != nil {
		var pe *ProtocolError
		if errors.As(in.err, &pe) {
			return m.protocolError(pe)
		}
		reason, detail := classifyRead(in.err, m.s.ReadDeadline, m.byeReason)
		return m.die(reason, detail, in.err, nil)
	}
	msg := in.msg
	if m.peer == nil {
		switch msg.Type {
		case "bye": // a server turning us away says bye instead of hello
			m.byeReason = msg.Reason
			m.log.Info(m.id, "peer said bye before hello", "reason", msg.Reason)
			return nil
		case "hello":
			return m.onHello(msg)
		default:
			return m.protocolError(protoErr(kindUnexpected, "expected hello first, got %s", msg.Type))
		}
	}
	switch msg.Type {
	case "hello":
		return m.protocolError(protoErr(kindUnexpected, "second hello on one connection"))
	case "ping":
		// F4: answered at once, before anything else this read may have brought.
		pong := pongFrame{Type: "pong", Seq: msg.Seq, Timestamp: nowMillis(), Echo: msg.Timestamp, Interval: wireMillis(m.s.Interval)}
		return m.enqueue(pong, fmt.Sprintf("pong #%d", msg.Seq))
	case "pong":
		m.onPong(msg, in.at)
	case "data":
		if m.hooks.Data != nil {
			m.hooks.Data(msg.Payload, m.sendData)
		}
	case "bye":
		m.byeReason = msg.Reason
		m.log.Info(m.id, "peer said bye", "reason", msg.Reason)
	}
	return nil
}

func (m *Manager) onHello(peer *Message) *Death {
	expected := "client"
	if m.role == "client" {
		expected = "server"
	}
	if peer.Role != expected {
		return m.protocolError(protoErr(kindUnexpected, "peer says it is a %s; a %s talks to a %s", peer.Role, m.role, expected))
	}
	m.peer = peer
	if int(peer.MaxFrame) < m.sendLimit {
		m.sendLimit = int(peer.MaxFrame)
	}
	own := msFloat(m.s.ReadDeadline)
	if own > 0 && peer.Interval > 0 && float64(peer.Interval) >= own {
		m.log.Warn(m.id, "peer pings less often than our read deadline allows: expect read-deadline deaths",
			"peerInterval", peer.Interval, "readDeadline", own)
	}
	if ours := msFloat(m.s.Interval); peer.ReadDeadline > 0 && ours > 0 && ours >= float64(peer.ReadDeadline) {
		m.log.Warn(m.id, "we ping less often than the peer's read deadline allows",
			"interval", ours, "peerReadDeadline", peer.ReadDeadline)
	}
	m.log.Info(m.id, "hello received", "peer", peer.ID, "peerInterval", peer.Interval, "v", peer.V)
	if m.hooks.Hello != nil {
		m.hooks.Hello(peer)
	}
	return nil
}

func (m *Manager) onPong(pong *Message, at time.Time) {
	o := m.outstanding[pong.Seq]
	if o == nil {
		// Its ping already counted as a miss (or was never sent): a late pong proves nothing.
		m.log.Info(m.id, "late pong ignored", "seq", pong.Seq)
		return
	}
	rtt := at.Sub(o.sentAt)
	if rtt >= m.s.PongTimeout {
		// Arrived at or after its deadline: late (a tie counts as a timeout). Its timer,
		// already fired or about to, counts the miss.
		return
	}
	o.timer.Stop()
	delete(m.outstanding, pong.Seq)
	if rtt < 0 {
		rtt = 0
	}
	m.health.answered()
	m.syncState("pong")
	if m.hooks.Pong != nil {
		m.hooks.Pong(pong.Seq, rtt)
	}
}

func (m *Manager) pongTimedOut(seq int64) *Death {
	o := m.outstanding[seq]
	if o == nil {
		return nil
	}
	delete(m.outstanding, seq)
	if o.probe {
		return nil // F11: a lost probe is not a miss
	}
	misses, becameSuspect, dead := m.health.miss()
	m.log.Info(m.id, "pong missed", "seq", seq, "misses", misses, "pongTimeout", msFloat(m.s.PongTimeout))
	if m.hooks.Miss != nil {
		m.hooks.Miss(seq, misses)
	}
	if dead {
		return m.die("heartbeat-timeout",
			fmt.Sprintf("%d consecutive pings unanswered within %g ms", misses, msFloat(m.s.PongTimeout)), nil, nil)
	}
	m.syncState("misses")
	if becameSuspect && m.s.ProbeOnSuspect {
		return m.sendPing(true)
	}
	return nil
}

// ——— endings ———

func (m *Manager) protocolError(pe *ProtocolError) *Death {
	return m.die("protocol-error", pe.Error(), pe, byeBytes("protocol-error: "+pe.Kind))
}

// die closes the socket at once (a bye only after a protocol error, §4) and reports why.
func (m *Manager) die(reason, detail string, err error, bye []byte) *Death {
	m.health.disconnect()
	m.closeConn(bye)
	m.syncState(reason)
	if reason == "fin" {
		m.log.Info(m.id, "connection dead", "reason", reason, "detail", detail)
	} else {
		m.log.Warn(m.id, "connection dead", "reason", reason, "detail", detail, "misses", m.health.misses)
	}
	return &Death{Reason: reason, Detail: detail, Err: err}
}

// closeConn sends bye (best effort, bounded by byeGrace) and closes the socket.
func (m *Manager) closeConn(bye []byte) {
	m.closing.Store(true)
	if bye != nil {
		// Unstick a heartbeat write blocked on a full send buffer, then write the bye after it.
		_ = m.conn.SetWriteDeadline(time.Now().Add(byeGrace))
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			m.wmu.Lock()
			defer m.wmu.Unlock()
			// What the loop queued before deciding to close goes first, as Node's end() does.
			for !m.byeSent {
				o, ok := m.pop()
				if !ok {
					break
				}
				if m.write(o) != nil {
					return
				}
			}
			m.byeSent = true
			_ = m.conn.SetWriteDeadline(time.Now().Add(byeGrace))
			_, _ = m.conn.Write(bye)
		}()
		t := time.NewTimer(byeGrace)
		select {
		case <-sent:
		case <-t.C:
		}
		t.Stop()
	}
	_ = m.conn.Close()
}

func (m *Manager) stopTimers() {
	for seq, o := range m.outstanding {
		o.timer.Stop()
		delete(m.outstanding, seq)
	}
	close(m.done)
}

// syncState reports a change of the health state, with what caused it: "start", "misses",
// "pong", a death reason or a close reason — the reference's vocabulary.
func (m *Manager) syncState(reason string) {
	state := m.health.state()
	if state == m.lastState {
		return
	}
	previous := m.lastState
	m.lastState = state
	if previous != "" {
		m.log.Info(m.id, "health state changed", "state", state, "previous", previous, "reason", reason)
	}
	if m.hooks.State != nil {
		m.hooks.State(state, previous, reason)
	}
}

func byeBytes(reason string) []byte {
	b, _ := encodeFrame(byeFrame{Type: "bye", Reason: reason}, MinMaxFrame)
	return b
}

func msFloat(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// health is F11/F12's state machine, as impl/health.ts:
//
//	HEALTHY ──(SuspectAfter misses)──▶ SUSPECT ──(MissThreshold misses)──▶ DISCONNECTED
//	   ▲                                  │
//	   └────────────(a pong in time)──────┘
type health struct {
	suspectAfter  int
	missThreshold int
	misses        int
	suspect       bool
	disconnected  bool
}

func (h *health) miss() (misses int, becameSuspect, dead bool) {
	if h.disconnected {
		return h.misses, false, false
	}
	h.misses++
	if h.misses >= h.missThreshold {
		h.disconnected = true
		return h.misses, false, true
	}
	becameSuspect = !h.suspect && h.misses >= h.suspectAfter
	if becameSuspect {
		h.suspect = true
	}
	return h.misses, becameSuspect, false
}

// answered resets the count; it reports whether this brought the connection back from SUSPECT.
func (h *health) answered() bool {
	if h.disconnected {
		return false
	}
	h.misses = 0
	was := h.suspect
	h.suspect = false
	return was
}

func (h *health) disconnect() { h.disconnected = true }

func (h *health) state() string {
	switch {
	case h.disconnected:
		return "DISCONNECTED"
	case h.suspect:
		return "SUSPECT"
	}
	return "HEALTHY"
}
