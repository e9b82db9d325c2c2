package main

// F15: every death and every failed connect attempt carries a reason, with the same vocabulary
// as impl/classify.ts (PROTOCOL.md §7), so the harness compares this binary's reports with the
// reference's word for word.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// classifyRead names the death behind an error from the reading side of a connection.
func classifyRead(err error, readDeadline time.Duration, byeReason string) (reason, detail string) {
	switch {
	case errors.Is(err, io.EOF):
		if byeReason != "" {
			return "fin", fmt.Sprintf("peer said bye (%s) and closed", byeReason)
		}
		return "fin", "peer closed (FIN)"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "read-deadline", fmt.Sprintf("nothing received for %g ms", msFloat(readDeadline))
	case errors.Is(err, net.ErrClosed):
		return "closed", "socket closed without FIN, RST or error"
	}
	return errnoReason(err, "socket-error"), err.Error()
}

// classifyWrite names the death behind a failed heartbeat write.
func classifyWrite(err error, what string, writeDeadline time.Duration) (reason, detail string) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "write-deadline", fmt.Sprintf("%s not flushed within %g ms", what, msFloat(writeDeadline))
	}
	return errnoReason(err, "write-error"), fmt.Sprintf("%s write failed: %v", what, err)
}

// errnoReason is deathReasonFor of impl/classify.ts.
func errnoReason(err error, fallback string) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED):
		return "reset"
	case errors.Is(err, syscall.EPIPE):
		return "write-error"
	case errors.Is(err, syscall.ETIMEDOUT):
		return "keepalive" // the OS gave up: keepalive probes or retransmissions unanswered (F7)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return "unreachable"
	}
	return fallback
}

// attemptFailure is attemptFailureFor of impl/classify.ts: why a connect attempt failed.
func attemptFailure(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ETIMEDOUT), errors.As(err, &netErr) && netErr.Timeout():
		// The dialer's own timeout is the connect timeout: a black-holed SYN must not hang.
		return "connect-timeout"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return "unreachable"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "closed"
	}
	return "socket-error"
}
