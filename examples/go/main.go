// Command heartbeat is the seed articles' TCP heartbeat in Go, speaking the wire protocol of the
// flatline reference implementation (impl/PROTOCOL.md), so that either end can be this binary or
// the Node reference.
//
//	heartbeat server -listen 127.0.0.1:7000 [flags]
//	heartbeat client -upstream 127.0.0.1:7000 [flags]
//
// Every duration flag is in milliseconds, a decimal number that may have a fraction (-interval
// 12.5): flatline passes durations already multiplied by its time scale. Events go to stdout as
// JSON lines, logs to stderr. SIGTERM or SIGINT closes gracefully and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const usage = `usage:
  heartbeat server -listen HOST:PORT [flags]
  heartbeat client -upstream HOST:PORT [flags]

Durations are milliseconds (decimal, fractions allowed). Run "heartbeat server -h" or
"heartbeat client -h" for the flags of each side.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "server":
		cfg, events, err := parseServer(args[1:], stderr)
		if err != nil {
			return flagExit(err, "server", stderr)
		}
		if err := newServer(cfg, newEventWriter(stdout, events)).run(ctx); err != nil {
			fmt.Fprintf(stderr, "heartbeat server: %v\n", err)
			return 1
		}
		return 0
	case "client":
		cfg, events, err := parseClient(args[1:], stderr)
		if err != nil {
			return flagExit(err, "client", stderr)
		}
		newClient(cfg, newEventWriter(stdout, events)).run(ctx)
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage) // stdout carries events only
		return 0
	default:
		fmt.Fprintf(stderr, "heartbeat: unknown subcommand %q\n%s", args[0], usage)
		return 2
	}
}

func flagExit(err error, side string, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var fe flagError
	if errors.As(err, &fe) {
		fmt.Fprintf(stderr, "heartbeat %s: %v\n", side, err)
	}
	return 2
}

// flagError is a value the flag package accepted but the heartbeat cannot run with.
type flagError struct{ msg string }

func (e flagError) Error() string { return e.msg }

func bad(format string, args ...any) error { return flagError{fmt.Sprintf(format, args...)} }

// millis is a duration flag in milliseconds, fractions allowed.
type millis struct{ d *time.Duration }

func (m millis) String() string {
	if m.d == nil {
		return "0"
	}
	return strconv.FormatFloat(msFloat(*m.d), 'f', -1, 64)
}

func (m millis) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return errors.New("must be a number of milliseconds")
	}
	if f < 0 {
		return errors.New("must not be negative")
	}
	if f*float64(time.Millisecond) > math.MaxInt64/2 {
		return errors.New("is too long")
	}
	*m.d = time.Duration(math.Round(f * float64(time.Millisecond)))
	return nil
}

func durationFlag(fs *flag.FlagSet, name string, def time.Duration, help string) *time.Duration {
	d := def
	fs.Var(millis{&d}, name, help)
	return &d
}

// heartbeatFlags are the settings both sides share (F18), with the reference's defaults.
type heartbeatFlags struct {
	interval, pongTimeout, readDeadline, writeDeadline, keepAlive *time.Duration
	missThreshold, suspectAfter                                   *int
	events                                                        *bool
}

func addHeartbeatFlags(fs *flag.FlagSet, interval, readDeadline time.Duration) heartbeatFlags {
	return heartbeatFlags{
		interval:      durationFlag(fs, "interval", interval, "F1: ping period, ms (0 = this side never pings; it still answers)"),
		pongTimeout:   durationFlag(fs, "pong-timeout", 5000*time.Millisecond, "F5: a ping without its pong after this long is a miss, ms"),
		readDeadline:  durationFlag(fs, "read-deadline", readDeadline, "F4: close after this long without a byte received, ms (0 = off)"),
		writeDeadline: durationFlag(fs, "write-deadline", 5000*time.Millisecond, "F2: each heartbeat write must complete within this, ms (0 = off)"),
		keepAlive:     durationFlag(fs, "keepalive", 60000*time.Millisecond, "F7: TCP keepalive idle time, ms, a backstop only (0 = off)"),
		missThreshold: fs.Int("miss-threshold", 3, "F12: consecutive missed pongs that close the connection"),
		suspectAfter:  fs.Int("suspect-after", 2, "F11: consecutive misses that make the connection SUSPECT and send one probe ping (lowered to -miss-threshold if above it)"),
		events:        fs.Bool("events", true, "print JSON-lines events on stdout"),
	}
}

func (h heartbeatFlags) settings() (Settings, error) {
	s := Settings{
		Interval:       *h.interval,
		PongTimeout:    *h.pongTimeout,
		WriteDeadline:  *h.writeDeadline,
		ReadDeadline:   *h.readDeadline,
		KeepAlive:      *h.keepAlive,
		MissThreshold:  *h.missThreshold,
		SuspectAfter:   *h.suspectAfter,
		ProbeOnSuspect: true,
		MaxFrame:       DefaultMaxFrame,
	}
	if s.PongTimeout <= 0 {
		return s, bad("-pong-timeout must be more than 0 ms")
	}
	if s.MissThreshold < 1 {
		return s, bad("-miss-threshold must be an integer ≥ 1, got %d", s.MissThreshold)
	}
	if s.SuspectAfter < 1 {
		return s, bad("-suspect-after must be an integer ≥ 1, got %d", s.SuspectAfter)
	}
	// As flatline does for the reference (min(suspectThreshold, missThreshold)): a lowered miss
	// threshold drags the suspect threshold with it, since SUSPECT must come before the end.
	if s.SuspectAfter > s.MissThreshold {
		s.SuspectAfter = s.MissThreshold
	}
	return s, nil
}

func newFlagSet(name string, stderr io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("heartbeat "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: heartbeat %s %s\n\nflags (durations in ms):\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseServer(args []string, stderr io.Writer) (serverConfig, bool, error) {
	fs := newFlagSet("server", stderr, "-listen HOST:PORT [flags]")
	listen := fs.String("listen", "", "HOST:PORT to listen on (port 0 picks a free port)")
	// The server pings only when asked (-interval > 0), as in flatline's reference subject,
	// whose serverHeartbeat is off by default; its read deadline (F4) is what finds a dead client.
	hb := addHeartbeatFlags(fs, 0, 45000*time.Millisecond)
	if err := fs.Parse(args); err != nil {
		return serverConfig{}, false, err
	}
	if fs.NArg() > 0 {
		return serverConfig{}, false, bad("unexpected argument %q", fs.Arg(0))
	}
	if err := checkAddress("-listen", *listen, true); err != nil {
		return serverConfig{}, false, err
	}
	s, err := hb.settings()
	if err != nil {
		return serverConfig{}, false, err
	}
	return serverConfig{Listen: *listen, Heartbeat: s}, *hb.events, nil
}

func parseClient(args []string, stderr io.Writer) (clientConfig, bool, error) {
	fs := newFlagSet("client", stderr, "-upstream HOST:PORT [flags]")
	upstream := fs.String("upstream", "", "HOST:PORT of the server")
	// F3: the client's pings find a dead server; a read deadline on top would fire before the
	// miss threshold does, so it is off unless asked for.
	hb := addHeartbeatFlags(fs, 30000*time.Millisecond, 0)
	connectTimeout := durationFlag(fs, "connect-timeout", 10000*time.Millisecond, "abandon a connect attempt after this long, ms")
	base := durationFlag(fs, "backoff-base", 1000*time.Millisecond, "F13: first nominal reconnect wait b, ms")
	backoffCap := durationFlag(fs, "backoff-cap", 60000*time.Millisecond, "F13: largest nominal reconnect wait c, ms")
	multiplier := fs.Float64("backoff-multiplier", 2, "F13: growth m of the nominal wait per attempt, min(c, b·mⁿ)")
	jitter := durationFlag(fs, "backoff-jitter", 1000*time.Millisecond, "F13: additive jitter J, uniform in [0, J], ms")
	maxAttempts := fs.Int("max-attempts", 0, "F13: give up (event giveup) after this many consecutive failed reconnects (0 = never)")
	if err := fs.Parse(args); err != nil {
		return clientConfig{}, false, err
	}
	if fs.NArg() > 0 {
		return clientConfig{}, false, bad("unexpected argument %q", fs.Arg(0))
	}
	if err := checkAddress("-upstream", *upstream, false); err != nil {
		return clientConfig{}, false, err
	}
	s, err := hb.settings()
	if err != nil {
		return clientConfig{}, false, err
	}
	switch {
	case *connectTimeout <= 0:
		return clientConfig{}, false, bad("-connect-timeout must be more than 0 ms")
	case *base <= 0:
		return clientConfig{}, false, bad("-backoff-base must be more than 0 ms")
	case *backoffCap < *base:
		return clientConfig{}, false, bad("-backoff-cap (%s ms) must not be below -backoff-base (%s ms)",
			millis{backoffCap}, millis{base})
	case math.IsNaN(*multiplier) || *multiplier < 1 || *multiplier > 100:
		return clientConfig{}, false, bad("-backoff-multiplier must be a number in [1, 100], got %g", *multiplier)
	case *maxAttempts < 0:
		return clientConfig{}, false, bad("-max-attempts must be ≥ 0, got %d", *maxAttempts)
	}
	return clientConfig{
		Upstream:       *upstream,
		Heartbeat:      s,
		ConnectTimeout: *connectTimeout,
		Backoff:        seedBackoff{Base: *base, Cap: *backoffCap, Multiplier: *multiplier, Jitter: *jitter},
		MaxAttempts:    *maxAttempts,
	}, *hb.events, nil
}

func checkAddress(flagName, addr string, listen bool) error {
	if addr == "" {
		return bad("%s HOST:PORT is required", flagName)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad("%s: %v", flagName, err)
	}
	p, err := strconv.Atoi(port)
	min := 1
	if listen {
		min = 0
	}
	if err != nil || p < min || p > 65535 {
		return bad("%s: port must be an integer in [%d, 65535], got %q", flagName, min, port)
	}
	return nil
}
