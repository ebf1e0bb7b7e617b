package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Garbage collector settings of limitMemory. Most of a large heap is adapter state that
// lives as long as the bridge, so with GOGC=100 a fleet's RSS would be twice its state.
// Unlike a soft memory limit, GOGC never makes the collector run back to back.
const (
	// largeHeap is the live heap from which the collector runs more often. Below it,
	// as for a household with a few adapters, Go's default applies.
	largeHeap = 48 << 20
	// largeHeapGCPercent lets a large heap grow by half of its live part between
	// collections, where Go's default of 100 lets it double.
	largeHeapGCPercent = 50
	defaultGCPercent   = 100
)

// limitMemory calls adjustGC after every garbage collection until ctx ends, and returns at
// once. The live heap is measured only when a collection ends, so this reacts as early as
// possible and costs nothing while the bridge idles. With a check once a second instead, a
// restart with 10,000 adapters peaked at 154 MiB RSS, not 130 MiB.
func limitMemory(ctx context.Context) {
	var next func(current int)
	next = func(current int) {
		current = adjustGC(current)
		if ctx.Err() == nil {
			// The sentinel is unreachable at once, so the next collection runs the cleanup.
			runtime.AddCleanup(new(gcSentinel), next, current)
		}
	}
	next(defaultGCPercent)
}

// gcSentinel is large enough for the runtime to allocate it on its own: a cleanup on an
// object from the tiny allocator may never run.
type gcSentinel [64]byte

// adjustGC sets GOGC to largeHeapGCPercent while the live heap exceeds largeHeap, and to
// defaultGCPercent otherwise. current is the value it set last, and it returns the new
// one.
func adjustGC(current int) int {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	want := defaultGCPercent
	if sample[0].Value.Uint64() > largeHeap {
		want = largeHeapGCPercent
	}
	if want != current {
		debug.SetGCPercent(want)
	}
	return want
}
