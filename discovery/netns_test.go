package discovery

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"

	"github.com/wican-bridge/wican-bridge/netnstest"
)

// announce registers an mDNS service on lo until the test ends.
func announce(t *testing.T, instance, service, host, ip string, port int,
	txt []string,
) *zeroconf.Server {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatalf("find lo: %v", err)
	}

	// The domain goes without a trailing dot: zeroconf v1.0.0 appends ".local." to any
	// host name that does not end in the domain as given.
	server, err := zeroconf.RegisterProxy(instance, service, "local", port, host,
		[]string{ip}, txt, []net.Interface{*lo})
	if err != nil {
		t.Fatalf("announce %s %s: %v", instance, service, err)
	}
	t.Cleanup(server.Shutdown)
	return server
}

// eventLog receives events from a Browser and fails the test on any event for a key
// outside expected.
type eventLog struct {
	t        *testing.T
	events   <-chan Event
	expected map[string]bool
	all      []Event
	pending  []Event // received but not yet returned by waitFor
}

// waitFor returns the first event of kind for key, failing the test after timeout.
func (l *eventLog) waitFor(kind EventKind, key string, timeout time.Duration) Event {
	l.t.Helper()
	for i, e := range l.pending {
		if e.Kind == kind && e.Adapter.Key == key {
			l.pending = append(l.pending[:i], l.pending[i+1:]...)
			return e
		}
	}

	deadline := time.After(timeout)
	for {
		select {
		case e := <-l.events:
			l.all = append(l.all, e)
			if !l.expected[e.Adapter.Key] {
				l.t.Fatalf("unexpected %v event for %q (host %s, service %s)",
					e.Kind, e.Adapter.Key, e.Adapter.HostName, e.Adapter.Service)
			}
			if e.Kind == kind && e.Adapter.Key == key {
				return e
			}
			l.pending = append(l.pending, e)
		case <-deadline:
			l.t.Fatalf("no %v event for %q within %v; events so far: %+v", kind, key, timeout, l.all)
		}
	}
}

func checkAdapter(t *testing.T, e Event, deviceID, host, hostPort, service string) {
	t.Helper()
	if e.Adapter.HostName != host {
		t.Errorf("%s: HostName = %q, want %q", e.Adapter.Key, e.Adapter.HostName, host)
	}
	if e.Adapter.DeviceID != deviceID {
		t.Errorf("%s: DeviceID = %q, want %q", e.Adapter.Key, e.Adapter.DeviceID, deviceID)
	}
	if e.Adapter.HostPort() != hostPort {
		t.Errorf("%s: HostPort() = %q, want %q", e.Adapter.Key, e.Adapter.HostPort(), hostPort)
	}
	if e.Adapter.Service != service {
		t.Errorf("%s: Service = %q, want %q", e.Adapter.Key, e.Adapter.Service, service)
	}
}

func TestBrowserInNetns(t *testing.T) {
	if !netnstest.Inside() {
		netnstest.Run(t, "^TestBrowserInNetns$", "10.77.0.1", "10.77.0.2")
		return
	}

	const (
		current = "a1b2c3d4e5f6"
		legacy  = "0a0b0c0d0e0f"
		renamed = "obd-garage.local"
		period  = 2 * time.Second
		round   = time.Second
	)
	currentTXT := []string{"mac=AA:BB:CC:DD:EE:01", "device_id=" + current,
		"firmware=v4.50p", "hardware=WiCAN Pro", "version=4.50", "path=/"}
	currentServer := announce(t, "WiCAN-WebServer", ServiceWiCAN, "wican_"+current+".local.",
		"10.77.0.1", 80, currentTXT)
	announce(t, "WiCAN-WebServer", ServiceHTTP, "wican_"+legacy+".local.", "10.77.0.2", 80,
		[]string{"fimrware=v3.47", "hardware=WiCAN OBD", "path=/"})
	announce(t, "Office Printer", ServiceHTTP, "printer.local.", "10.77.0.2", 631,
		[]string{"path=/", "model=LaserJet"})

	events := make(chan Event)
	log := &eventLog{t: t, events: events,
		expected: map[string]bool{current: true, legacy: true, renamed: true}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	b := NewBrowser(Options{Interface: "lo", Period: period, Round: round})
	start := time.Now()
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(ctx, events) }()

	// Both announced adapters are found in the first round, the printer never.
	e := log.waitFor(Found, current, round+time.Second)
	checkAdapter(t, e, current, "wican_"+current+".local", "10.77.0.1:80", ServiceWiCAN)
	e = log.waitFor(Found, legacy, round+time.Second)
	checkAdapter(t, e, legacy, "wican_"+legacy+".local", "10.77.0.2:80", ServiceHTTP)

	// An adapter that starts announcing after the first round is found by a later round.
	time.Sleep(time.Until(start.Add(round + 300*time.Millisecond)))
	announce(t, "WiCAN-WebServer (2)", ServiceHTTP, renamed+".", "10.77.0.2", 8080,
		[]string{"path=/"})
	e = log.waitFor(Found, renamed, 2*period)
	checkAdapter(t, e, "", renamed, "10.77.0.2:8080", ServiceHTTP)

	// An adapter announcing again from another address and port is reported as moved.
	currentServer.Shutdown()
	announce(t, "WiCAN-WebServer", ServiceWiCAN, "wican_"+current+".local.",
		"10.77.0.2", 8080, currentTXT)
	e = log.waitFor(AddressChanged, current, 3*period)
	checkAdapter(t, e, current, "wican_"+current+".local", "10.77.0.2:8080", ServiceWiCAN)

	found := map[string]int{}
	for _, e := range log.all {
		if e.Kind == Found {
			found[e.Adapter.Key]++
		}
	}
	for key, n := range found {
		if n != 1 {
			t.Errorf("%d Found events for %q, want 1", n, key)
		}
	}

	cancel()
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run returned %v after the context ended, want nil", err)
		}
	case <-time.After(round + 2*time.Second):
		t.Error("Run did not return after the context ended")
	}
}

func TestBrowserWarnsOnceInNetns(t *testing.T) {
	if !netnstest.Inside() {
		netnstest.Run(t, "^TestBrowserWarnsOnceInNetns$", "10.77.0.1", "10.77.0.2")
		return
	}

	netnstest.Command(t, "ip", "link", "set", "lo", "multicast", "off")
	handler := newRecordHandler()
	b := NewBrowser(Options{Interface: "lo", Period: 100 * time.Millisecond,
		Round: 50 * time.Millisecond, Logger: slog.New(handler)})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(ctx, nil) }()

	// About ten rounds fail, and each service is warned about once.
	time.Sleep(time.Second)
	warnings := recordsWith(handler, slog.LevelWarn, "mDNS browse failed")
	if len(warnings) != 2 {
		t.Fatalf("logged %d warnings over ten failed rounds, want 2 (one per service): %+v",
			len(warnings), warnings)
	}
	for _, w := range warnings {
		if !strings.Contains(w.attrs["err"], `network interface "lo" has multicast disabled`) {
			t.Errorf("warning err = %q, want the reason naming the interface", w.attrs["err"])
		}
	}

	netnstest.Command(t, "ip", "link", "set", "lo", "multicast", "on")
	time.Sleep(500 * time.Millisecond)
	if got := recordsWith(handler, slog.LevelInfo, "mDNS browse recovered"); len(got) != 2 {
		t.Errorf("logged %d recoveries after multicast was enabled, want 2: %+v", len(got), got)
	}
	if got := recordsWith(handler, slog.LevelWarn, "mDNS browse failed"); len(got) != 2 {
		t.Errorf("logged %d warnings in total, want 2: %+v", len(got), got)
	}

	cancel()
	if err := <-runErr; err != nil {
		t.Errorf("Run returned %v after the context ended, want nil", err)
	}
}

func recordsWith(h *recordHandler, level slog.Level, message string) []logRecord {
	var matched []logRecord
	for _, r := range h.all() {
		if r.level == level && r.message == message {
			matched = append(matched, r)
		}
	}
	return matched
}
