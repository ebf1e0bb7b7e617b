package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Bounds of the soft memory limit that limitMemory sets.
const (
	// memoryLimitFloor is the limit while the live heap is small. Up to about 48 MiB
	// live, GOGC=100 collects before the heap reaches it, so a household with a few
	// adapters collects exactly as often as without the limit.
	memoryLimitFloor = 96 << 20
	// liveHeapFactor sizes the limit from the live heap once that outgrows the floor.
	liveHeapFactor    = 1.5
	memoryLimitPeriod = 10 * time.Second
)

// limitMemory keeps the Go runtime's soft memory limit at liveHeapFactor times the live
// heap, and never below memoryLimitFloor, until ctx ends. Most of a large heap is
// adapter state that lives as long as the bridge, and with GOGC=100 alone the heap
// grows to twice that state before a collection. A fixed limit would make the
// collector run without pause once a large fleet's state outgrew it, and GOGC=50
// would collect twice as often also for small heaps. GOMEMLIMIT or GOGC in the
// environment turn this off.
func limitMemory(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(memoryLimitPeriod)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		live := float64(sample[0].Value.Uint64())
		debug.SetMemoryLimit(max(memoryLimitFloor, int64(live*liveHeapFactor)))
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
