package bridge

import (
	"sync"
	"time"
)

// rateLimit lets a repeated log line through at most once per period and counts the
// ones it held back.
type rateLimit struct {
	mu         sync.Mutex
	period     time.Duration
	last       time.Time
	suppressed int
}

// allow reports whether to log now, and how many lines were held back since the last.
func (r *rateLimit) allow(now time.Time) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.last.IsZero() && now.Sub(r.last) < r.period {
		r.suppressed++
		return false, 0
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	return true, n
}
