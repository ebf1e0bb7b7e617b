package publish

import (
	"sync"
	"time"
)

// LatencyBuckets are the upper bounds, in seconds, of the publish latency histogram.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram counts publish latencies, from Send to the broker's acknowledgement.
type Histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last one counts values above all bounds
	sum    float64
	total  uint64
}

func newHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, len(LatencyBuckets)+1)}
}

func (h *Histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(LatencyBuckets) && s > LatencyBuckets[i] {
		i++
	}
	h.mu.Lock()
	h.counts[i]++
	h.sum += s
	h.total++
	h.mu.Unlock()
}

// Snapshot returns the cumulative count per bucket of LatencyBuckets, the sum of all
// latencies in seconds and their count.
func (h *Histogram) Snapshot() (cumulative []uint64, sum float64, count uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cumulative = make([]uint64, len(LatencyBuckets))
	var running uint64
	for i := range LatencyBuckets {
		running += h.counts[i]
		cumulative[i] = running
	}
	return cumulative, h.sum, h.total
}
