package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Garbage collector settings of limitMemory. A fleet's heap is mostly long-lived adapter
// state, so with GOGC=100 its RSS would be about twice that state.
const (
	// largeHeap is the live heap from which the collector runs more often. Below it,
	// as for a household with a few adapters, Go's default applies.
	largeHeap = 48 << 20
	// largeHeapGCPercent lets a large heap grow by half of its live part between
	// collections, where Go's default of 100 lets it double.
	largeHeapGCPercent = 50
	defaultGCPercent   = 100
)

// limitMemory calls adjustGC after every garbage collection, when the live heap figure
// changes, until ctx ends. It returns at once and does no work between collections.
// Unlike a soft memory limit, GOGC never makes the collector run back to back.
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

// gcSentinel is 64 bytes because the runtime may batch smaller pointer-free objects into
// one slot, and then a cleanup on one of them may never run.
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
