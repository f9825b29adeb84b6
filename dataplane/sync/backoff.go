package sync

import (
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing, capped, fully jittered delays.
type backoff struct {
	min, max time.Duration
	attempt  int
}

// next returns a random delay in [min/2, d] where d doubles per attempt up to max.
func (b *backoff) next() time.Duration {
	d := b.min
	for i := 0; i < b.attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	b.attempt++
	half := d / 2
	return half + rand.N(d-half+1) //nolint:gosec // jitter, not a secret
}

// reset starts over after a healthy connection.
func (b *backoff) reset() { b.attempt = 0 }
