package procstat

import (
	"os"
	"testing"
	"time"
)

func TestProcessCountsOwnWork(t *testing.T) {
	before, err := Process(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.RSS <= 0 {
		t.Errorf("RSS = %d, want a positive size", before.RSS)
	}
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; {
	}
	after, err := Process(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.CPU < before.CPU+50*time.Millisecond {
		t.Errorf("CPU went from %v to %v over 100 ms of busy work, want at least 50 ms more",
			before.CPU, after.CPU)
	}
}

func TestProcessMissing(t *testing.T) {
	if _, err := Process(1 << 30); err == nil {
		t.Error("Process of a pid that does not exist succeeded, want an error")
	}
}

func TestMachineBusyWithinTotal(t *testing.T) {
	busy, total, err := Machine()
	if err != nil {
		t.Fatal(err)
	}
	if total <= 0 || busy < 0 || busy > total {
		t.Errorf("busy %v, total %v, want 0 <= busy <= total and total > 0", busy, total)
	}
}
