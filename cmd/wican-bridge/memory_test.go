package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
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

// gogc reads the runtime's GOGC without changing it.
func gogc() uint64 {
	sample := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// waitGOGC runs collections until GOGC is want, as limitMemory adjusts it after each.
func waitGOGC(t *testing.T, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for gogc() != want {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC = %d after collections, want %d", gogc(), want)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLimitMemoryAfterCollections(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(defaultGCPercent))
	ctx, cancel := context.WithCancel(context.Background())
	limitMemory(ctx)

	state := make([]byte, 2*largeHeap)
	for i := range state {
		state[i] = byte(i)
	}
	waitGOGC(t, largeHeapGCPercent)
	runtime.KeepAlive(state)
	state = nil
	waitGOGC(t, defaultGCPercent)

	// After ctx ends, the cleanup that is already armed may still run, and then none.
	cancel()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	state = make([]byte, 2*largeHeap)
	for i := range state {
		state[i] = byte(i)
	}
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	runtime.KeepAlive(state)
	if got := gogc(); got != defaultGCPercent {
		t.Errorf("GOGC = %d with a large heap after ctx ended, want %d", got, defaultGCPercent)
	}
}
