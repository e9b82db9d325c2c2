package main

// F13: the seed articles' reconnect wait, min(base·2ⁿ, max) + uniform(0, 1 s), generalised as in
// impl/backoff.ts ("seed" policy): β_n = min(cap, base·multiplierⁿ), wait ∈ [β_n, β_n + J].

import (
	"math"
	"time"
)

type seedBackoff struct {
	Base       time.Duration // b: the first nominal wait
	Cap        time.Duration // c: the largest nominal wait
	Multiplier float64       // m: growth per attempt
	Jitter     time.Duration // J: additive jitter, uniform in [0, J]
}

// nominal is β_n, exact: the harness's closed-form bounds are stated on it, so it is not rounded.
// n = 0 is the first reconnect after a healthy connection.
func (b seedBackoff) nominal(n int) time.Duration {
	w := float64(b.Base) * math.Pow(b.Multiplier, float64(n))
	if w > float64(b.Cap) || math.IsInf(w, 0) || math.IsNaN(w) {
		return b.Cap
	}
	return time.Duration(w)
}

// Range is the closed interval next(n) can return.
func (b seedBackoff) Range(n int) (lo, hi time.Duration) {
	beta := b.nominal(n)
	return beta, beta + b.Jitter
}

// Next draws the wait before reconnect n; r is uniform in [0, 1). Like the reference it prefers
// whole milliseconds (they are timer delays there), but only inside [β_n, β_n + J]: at a fine
// time scale the interval may hold no whole millisecond, and then the exact draw is returned
// rather than one that leaves the bounds the harness checks.
func (b seedBackoff) Next(n int, r float64) time.Duration {
	lo, hi := b.Range(n)
	exact := float64(lo) + r*float64(b.Jitter)
	ms := float64(time.Millisecond)
	minMs := math.Ceil(float64(lo) / ms)
	maxMs := math.Floor(float64(hi) / ms)
	if minMs > maxMs {
		return clampDuration(time.Duration(exact), lo, hi)
	}
	w := math.Round(exact / ms)
	w = math.Max(minMs, math.Min(maxMs, w))
	return time.Duration(w * ms)
}

func clampDuration(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		return lo
	}
	if d > hi {
		return hi
	}
	return d
}
