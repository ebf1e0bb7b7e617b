package discovery

import (
	"log/slog"
	"time"
)

// warnInterval is the shortest time between two warnings about the same failing service
// while its error stays the same.
const warnInterval = 15 * time.Minute

// warnLimiter logs browse failures at Warn without repeating the same failure every
// round. It logs a failure when it first occurs or its message changes, then at most once
// per interval with the number of failures left unlogged since the last warning.
// It has no lock because only the goroutine of Browser.Run calls it.
type warnLimiter struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time
	failures map[string]*failure // by service type
}

type failure struct {
	message    string
	loggedAt   time.Time
	count      int // failures in a row
	suppressed int // failures since the last warning
}

func newWarnLimiter(log *slog.Logger, interval time.Duration) *warnLimiter {
	return &warnLimiter{
		log:      log,
		interval: interval,
		now:      time.Now,
		failures: make(map[string]*failure),
	}
}

// failed records a failed browse of service and logs it unless a warning with the same
// message was logged less than interval ago.
func (w *warnLimiter) failed(service string, err error) {
	now := w.now()
	f, ok := w.failures[service]
	if !ok {
		f = &failure{}
		w.failures[service] = f
	}
	f.count++

	if ok && f.message == err.Error() && now.Sub(f.loggedAt) < w.interval {
		f.suppressed++
		return
	}

	w.log.Warn("mDNS browse failed", "service", service, "err", err,
		"failures", f.count, "unlogged", f.suppressed)
	f.message = err.Error()
	f.loggedAt = now
	f.suppressed = 0
}

// succeeded logs at Info that browsing service works again after failures.
func (w *warnLimiter) succeeded(service string) {
	f, ok := w.failures[service]
	if !ok {
		return
	}

	w.log.Info("mDNS browse recovered", "service", service, "failures", f.count)
	delete(w.failures, service)
}
