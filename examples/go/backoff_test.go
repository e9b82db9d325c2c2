package main

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

func durationMs(f float64) time.Duration {
	return time.Duration(math.Round(f * float64(time.Millisecond)))
}

// The seed defaults: b = 1 s, c = 60 s, m = 2, J = 1 s (impl/config.ts DEFAULT_BACKOFF).
var seedDefaults = seedBackoff{Base: time.Second, Cap: time.Minute, Multiplier: 2, Jitter: time.Second}

func TestNominalWait(t *testing.T) {
	tests := []struct {
		name string
		b    seedBackoff
		n    int
		want time.Duration
	}{
		{"first reconnect waits the base", seedDefaults, 0, time.Second},
		{"doubles per attempt", seedDefaults, 1, 2 * time.Second},
		{"2^5 s", seedDefaults, 5, 32 * time.Second},
		{"capped at c", seedDefaults, 6, time.Minute},
		{"stays capped", seedDefaults, 60, time.Minute},
		{"does not overflow", seedDefaults, 5000, time.Minute},
		{"gRPC-like multiplier 1.6", seedBackoff{Base: time.Second, Cap: 2 * time.Minute, Multiplier: 1.6}, 2, 2560 * time.Millisecond},
		{"multiplier 1 is a constant wait", seedBackoff{Base: 250 * time.Millisecond, Cap: time.Second, Multiplier: 1}, 9, 250 * time.Millisecond},
		{"scaled durations keep their fraction", seedBackoff{Base: durationMs(12.5), Cap: durationMs(600), Multiplier: 2}, 1, durationMs(25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.nominal(tt.n); got != tt.want {
				t.Errorf("β_%d = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

// Every wait lies in [β_n, β_n + J], the interval the harness checks reconnect times against.
func TestNextStaysWithinBounds(t *testing.T) {
	policies := []struct {
		name string
		b    seedBackoff
	}{
		{"seed defaults", seedDefaults},
		{"no jitter", seedBackoff{Base: time.Second, Cap: time.Minute, Multiplier: 2}},
		{"scaled ×0.01", seedBackoff{Base: durationMs(10), Cap: durationMs(600), Multiplier: 2, Jitter: durationMs(10)}},
		{"fractional, no whole ms inside", seedBackoff{Base: durationMs(0.25), Cap: durationMs(0.6), Multiplier: 2, Jitter: durationMs(0.5)}},
		{"fractional base, no jitter", seedBackoff{Base: durationMs(12.5), Cap: durationMs(100), Multiplier: 2}},
	}
	draws := []float64{0, 1e-9, 0.25, 0.5, 0.999999}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		draws = append(draws, rng.Float64())
	}
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			for n := 0; n < 12; n++ {
				lo, hi := p.b.Range(n)
				for _, r := range draws {
					if got := p.b.Next(n, r); got < lo || got > hi {
						t.Fatalf("Next(%d, %g) = %v, outside [%v, %v]", n, r, got, lo, hi)
					}
				}
			}
		})
	}
}

func TestNextValues(t *testing.T) {
	tests := []struct {
		name string
		b    seedBackoff
		n    int
		r    float64
		want time.Duration
	}{
		{"r = 0 is the nominal wait", seedDefaults, 0, 0, time.Second},
		{"r → 1 is the nominal wait plus J", seedDefaults, 0, 0.9999999, 2 * time.Second},
		{"half the jitter", seedDefaults, 2, 0.5, 4500 * time.Millisecond},
		{"whole milliseconds when the range holds one", seedDefaults, 0, 0.12345, 1123 * time.Millisecond},
		{"capped nominal plus jitter", seedDefaults, 10, 0.5, 60500 * time.Millisecond},
		{"rounding never leaves the range", seedBackoff{Base: durationMs(12.5), Cap: durationMs(100), Multiplier: 2, Jitter: durationMs(12.5)}, 0, 0, 13 * time.Millisecond},
		{"no whole ms inside: the exact draw", seedBackoff{Base: durationMs(12.25), Cap: durationMs(100), Multiplier: 2, Jitter: durationMs(0.5)}, 0, 0.5, durationMs(12.5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Next(tt.n, tt.r); got != tt.want {
				t.Errorf("Next(%d, %g) = %v, want %v", tt.n, tt.r, got, tt.want)
			}
		})
	}
}
