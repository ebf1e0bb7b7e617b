package discovery

import (
	"strings"
	"testing"
	"time"
)

func TestRunRejectsUnknownInterface(t *testing.T) {
	b := NewBrowser(Options{Interface: "wican-missing0"})

	done := make(chan error, 1)
	go func() { done <- b.Run(t.Context(), nil) }()

	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Run returned nil for an interface that does not exist")
		}
		if !strings.Contains(err.Error(), `"wican-missing0"`) {
			t.Errorf("error %q does not name the interface", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept running with an interface that does not exist")
	}
}

func TestRunRejectsSecondCall(t *testing.T) {
	b := NewBrowser(Options{Interface: "wican-missing0"})
	b.running.Store(true) // as while another Run is browsing

	err := b.Run(t.Context(), nil)

	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("Run = %v, want an error saying Run is already running", err)
	}
}

func TestNewBrowserDefaults(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		wantPeriod time.Duration
		wantRound  time.Duration
	}{
		{"zero options", Options{}, DefaultPeriod, DefaultRound},
		{"explicit values", Options{Period: 30 * time.Second, Round: 5 * time.Second},
			30 * time.Second, 5 * time.Second},
		{"round capped at period", Options{Period: 3 * time.Second}, 3 * time.Second, 3 * time.Second},
		{"negative values", Options{Period: -time.Second, Round: -time.Second},
			DefaultPeriod, DefaultRound},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBrowser(tt.opts)

			if b.opts.Period != tt.wantPeriod {
				t.Errorf("Period = %v, want %v", b.opts.Period, tt.wantPeriod)
			}
			if b.opts.Round != tt.wantRound {
				t.Errorf("Round = %v, want %v", b.opts.Round, tt.wantRound)
			}
		})
	}
}
