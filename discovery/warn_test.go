package discovery

import (
	"errors"
	"log/slog"
	"testing"
	"time"
)

func TestWarnLimiterRepeats(t *testing.T) {
	handler := newRecordHandler()
	w := newWarnLimiter(slog.New(handler), time.Minute)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	joinFailed := errors.New("udp4: failed to join any of these interfaces")

	type step struct {
		advance     time.Duration
		err         error // nil records a success
		wantLog     bool
		wantLevel   slog.Level
		wantMessage string
		wantAttrs   map[string]string
	}
	steps := []step{
		{0, joinFailed, true, slog.LevelWarn, "mDNS browse failed",
			map[string]string{"failures": "1", "unlogged": "0"}},
		{10 * time.Second, joinFailed, false, 0, "", nil},
		{10 * time.Second, joinFailed, false, 0, "", nil},
		{time.Minute, joinFailed, true, slog.LevelWarn, "mDNS browse failed",
			map[string]string{"failures": "4", "unlogged": "2"}},
		{time.Second, errors.New("network is unreachable"), true, slog.LevelWarn,
			"mDNS browse failed", map[string]string{"failures": "5", "unlogged": "0"}},
		{time.Second, nil, true, slog.LevelInfo, "mDNS browse recovered",
			map[string]string{"failures": "5"}},
		{time.Second, nil, false, 0, "", nil},
		{time.Second, joinFailed, true, slog.LevelWarn, "mDNS browse failed",
			map[string]string{"failures": "1"}},
	}

	logged := 0
	for i, s := range steps {
		now = now.Add(s.advance)
		if s.err != nil {
			w.failed(ServiceWiCAN, s.err)
		} else {
			w.succeeded(ServiceWiCAN)
		}

		records := handler.all()
		if !s.wantLog {
			if len(records) != logged {
				t.Fatalf("step %d: logged %+v, want nothing", i, records[logged:])
			}
			continue
		}
		if len(records) != logged+1 {
			t.Fatalf("step %d: %d new records, want 1", i, len(records)-logged)
		}
		logged++
		got := records[logged-1]
		if got.level != s.wantLevel || got.message != s.wantMessage {
			t.Errorf("step %d: logged %v %q, want %v %q",
				i, got.level, got.message, s.wantLevel, s.wantMessage)
		}
		if got.attrs["service"] != ServiceWiCAN {
			t.Errorf("step %d: service = %q, want %q", i, got.attrs["service"], ServiceWiCAN)
		}
		for key, want := range s.wantAttrs {
			if got.attrs[key] != want {
				t.Errorf("step %d: %s = %q, want %q", i, key, got.attrs[key], want)
			}
		}
	}
}

func TestWarnLimiterSeparatesServices(t *testing.T) {
	handler := newRecordHandler()
	w := newWarnLimiter(slog.New(handler), time.Minute)
	err := errors.New("udp4: failed to join any of these interfaces")

	w.failed(ServiceWiCAN, err)
	w.failed(ServiceHTTP, err)

	if got := len(handler.all()); got != 2 {
		t.Errorf("logged %d warnings, want one per service", got)
	}
}
