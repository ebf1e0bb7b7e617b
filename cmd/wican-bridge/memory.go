package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Garbage collector settings of limitMemory.
const (
	// largeHeap is the live heap from which the collector runs more often. Below it,
	// as for a household with a few adapters, Go's default applies.
	largeHeap = 48 << 20
	// largeHeapGCPercent lets a large heap grow by half of its live part between
	// collections, where Go's default of 100 lets it double.
	largeHeapGCPercent = 50
	defaultGCPercent   = 100
	// memoryCheckPeriod is short because a fleet's state file loads within a second. With
	// one check a second, a restart with 10,000 adapters peaked at 154 MiB RSS, not 130 MiB.
	memoryCheckPeriod = 100 * time.Millisecond
)

// limitMemory calls adjustGC every memoryCheckPeriod until ctx ends. Most of a large
// heap is adapter state that lives as long as the bridge, so with GOGC=100 the RSS of a
// fleet would be about twice its state. A small heap keeps GOGC=100, because there more
// frequent collections would cost throughput for no memory worth saving. Unlike a soft
// memory limit, GOGC never makes the collector run back to back when the heap grows
// faster than this check runs.
func limitMemory(ctx context.Context) {
	tick := time.NewTicker(memoryCheckPeriod)
	defer tick.Stop()
	current := defaultGCPercent
	for {
		current = adjustGC(current)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

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
