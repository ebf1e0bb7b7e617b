package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestAdjustGCFollowsLiveHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(defaultGCPercent))

	runtime.GC()
	if got := adjustGC(largeHeapGCPercent); got != defaultGCPercent {
		t.Errorf("GOGC with a small live heap = %d, want %d", got, defaultGCPercent)
	}

	state := make([]byte, 2*largeHeap)
	for i := range state {
		state[i] = byte(i) // touch every page, as adapter state would
	}
	runtime.GC()
	got := adjustGC(defaultGCPercent)
	runtime.KeepAlive(state)
	if got != largeHeapGCPercent {
		t.Errorf("GOGC with a %d MiB live heap = %d, want %d", len(state)>>20, got, largeHeapGCPercent)
	}
	if set := debug.SetGCPercent(defaultGCPercent); set != largeHeapGCPercent {
		t.Errorf("runtime GOGC = %d after adjustGC, want %d", set, largeHeapGCPercent)
	}
}
