package bridge

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/discovery"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/sim"
)

// startSim serves a simulated adapter on a free loopback port until the test ends.
func startSim(t *testing.T, opts sim.Options) (*sim.Adapter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.TimeScale == 0 {
		opts.TimeScale = 50 // a pushed 15 s interval posts every 300 ms
	}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a := sim.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return a, ln.Addr().String()
}

// announce feeds the bridge a discovery event, as the mDNS browser would.
func (h *harness) announce(a *sim.Adapter, hostPort string) {
	addr, port, _ := net.SplitHostPort(hostPort)
	p, _ := strconv.Atoi(port)
	id := a.DeviceID()
	h.events <- discovery.Event{Kind: discovery.Found, Adapter: discovery.Adapter{
		Key: id, DeviceID: id, HostName: "wican_" + id + ".local",
		Addrs: []netip.Addr{netip.MustParseAddr(addr)}, Port: p, Service: "_wican._tcp"}}
}

// waitDevice polls the admin API until an adapter satisfies cond.
func (h *harness) waitDevice(what string, cond func(DeviceInfo) bool) DeviceInfo {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last []DeviceInfo
	for time.Now().Before(deadline) {
		last = h.devices()
		for _, d := range last {
			if cond(d) {
				return d
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s; devices: %+v", what, last)
	return DeviceInfo{}
}

func pairingHarness(t *testing.T, p PairingOptions) *harness {
	if p.Mode == "" {
		p.Mode = "auto"
	}
	return newHarness(t, harnessOptions{pairing: &p, minOffline: time.Second})
}

func TestDiscoveredProIsPairedWithFailover(t *testing.T) {
	h := pairingHarness(t, PairingOptions{FailoverURL: "https://bridge.example.org"})
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 1})
	h.announce(adapter, host)

	d := h.waitDevice("managed and posting", func(d DeviceInfo) bool {
		return d.State == stateManaged && d.Accepted > 0
	})
	wh := adapter.Webhook()
	if !strings.HasPrefix(wh.URL, h.b.opts.PublicURL+"/api/webhook/") {
		t.Errorf("adapter URL = %q, want this bridge's", wh.URL)
	}
	if len(wh.URLs) != 2 || !strings.HasPrefix(wh.URLs[1], "https://bridge.example.org/api/webhook/") {
		t.Errorf("adapter urls = %v, want the LAN URL and the failover", wh.URLs)
	}
	if wh.Interval != 15 || !wh.Enabled {
		t.Errorf("adapter interval %d enabled %v, want 15 and true", wh.Interval, wh.Enabled)
	}
	node := "wican_" + adapter.DeviceID()
	if d.ID != node {
		t.Errorf("device id = %q, want %q", d.ID, node)
	}
	// Changed-only posts never carry metadata: the bridge read it from /load_car_config.
	topic := testTopics.Config(ha.Sensor, node, "05-EngineCoolantTemp")
	latest := h.sub.WaitFor(t, 10*time.Second, "coolant config", func(l map[string]string) bool {
		return strings.Contains(l[topic], `"unit_of_measurement":"°C"`)
	})
	if err := ha.ValidateConfig(topic, []byte(latest[topic])); err != nil {
		t.Error(err)
	}
}

func TestNonProGetsNoHTTPSFailover(t *testing.T) {
	h := pairingHarness(t, PairingOptions{FailoverURL: "https://bridge.example.org"})
	adapter, host := startSim(t, sim.Options{Pro: false, Seed: 2})
	h.announce(adapter, host)
	h.waitDevice("non-Pro posting", func(d DeviceInfo) bool {
		return d.State == stateManaged && d.Accepted > 0
	})
	if wh := adapter.Webhook(); strings.HasPrefix(wh.URL, "https") {
		t.Errorf("non-Pro adapter got URL %q", wh.URL)
	}
}

func TestUserSettingsLeftAlone(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	userURL := "http://192.0.2.99:9000/hook"
	adapter, host := startSim(t, sim.Options{Pro: true, ManualOverride: true, UserURL: userURL, Seed: 3})
	h.announce(adapter, host)
	d := h.waitDevice("user settings", func(d DeviceInfo) bool { return d.State == stateUserSettings })
	if adapter.Webhook().URL != userURL {
		t.Errorf("adapter URL = %q, want the user's %q kept", adapter.Webhook().URL, userURL)
	}
	if !strings.HasPrefix(d.CopyURL, h.b.opts.PublicURL+"/api/webhook/") {
		t.Errorf("copy_url = %q, want this bridge's webhook URL to type in", d.CopyURL)
	}
	if !strings.Contains(d.Reason, "User Settings") {
		t.Errorf("reason %q does not tell the user why", d.Reason)
	}
}

func TestForeignURLWaitsForApproval(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	foreign := "http://192.0.2.50:8123/api/webhook/abcdef0123456789"
	adapter, host := startSim(t, sim.Options{Pro: true, UserURL: foreign, Seed: 4})
	h.announce(adapter, host)
	d := h.waitDevice("waiting for approval", func(d DeviceInfo) bool {
		return d.State == stateWaiting &&
			strings.Contains(d.Reason, "another receiver")
	})
	if strings.Contains(d.Reason, "abcdef") {
		t.Errorf("reason %q shows the other receiver's webhook id", d.Reason)
	}
	if adapter.Webhook().URL != foreign {
		t.Fatal("the bridge changed a foreign URL without approval")
	}

	resp, err := http.Post(h.admin.URL+"/api/devices/"+d.ID+"/approve", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: status %d", resp.StatusCode)
	}
	h.waitDevice("managed after approval", func(d DeviceInfo) bool {
		return d.State == stateManaged && d.Accepted > 0
	})
}

func TestNotAutoPIDReportedNotPosting(t *testing.T) {
	h := pairingHarness(t, PairingOptions{Interval: time.Second})
	adapter, host := startSim(t, sim.Options{Pro: true, Protocol: "elm327", TimeScale: 1, Seed: 5})
	h.announce(adapter, host)
	d := h.waitDevice("not posting", func(d DeviceInfo) bool { return d.State == stateNotPosting })
	if !strings.Contains(d.Reason, "AutoPID") {
		t.Errorf("reason %q does not name the cause", d.Reason)
	}
}

func TestDriftedURLPutBack(t *testing.T) {
	h := pairingHarness(t, PairingOptions{CheckPeriod: 200 * time.Millisecond})
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 6})
	h.announce(adapter, host)
	h.waitDevice("paired", func(d DeviceInfo) bool { return d.Accepted > 0 })
	adapter.FactoryReset()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(adapter.Webhook().URL, h.b.opts.PublicURL) {
		if time.Now().After(deadline) {
			t.Fatal("the bridge did not put its URL back after a factory reset")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(h.logs.String(), "factory reset") {
		t.Error("the re-push was not logged with its reason")
	}
}

func TestAddressChangeFollowed(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 7})
	h.announce(adapter, host)
	h.waitDevice("paired", func(d DeviceInfo) bool { return d.Accepted > 0 })

	// The same adapter answers at a new address.
	moved, newHost := startSim(t, sim.Options{Pro: true, Seed: 7})
	h.announce(moved, newHost)
	newIP, _, _ := net.SplitHostPort(newHost)
	h.waitDevice("new address paired", func(d DeviceInfo) bool {
		return strings.HasPrefix(d.Host, newIP) && moved.Webhook().URL != ""
	})
	if got := len(h.devices()); got != 1 {
		t.Errorf("%d devices after an address change, want 1", got)
	}
}

func TestUnpairClearsAdapterAndEntities(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 8})
	h.announce(adapter, host)
	d := h.waitDevice("posting", func(d DeviceInfo) bool { return d.Accepted > 0 })
	socConfig := testTopics.Config(ha.Sensor, d.ID, "SOC")
	h.sub.WaitFor(t, 5*time.Second, "SOC entity", func(l map[string]string) bool { return l[socConfig] != "" })

	req, _ := http.NewRequest(http.MethodDelete, h.admin.URL+"/api/devices/"+d.ID, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: status %d, want 204", resp.StatusCode)
	}
	if wh := adapter.Webhook(); wh.URL != "" || wh.Enabled {
		t.Errorf("adapter webhook after unpair = %q enabled %v, want cleared", wh.URL, wh.Enabled)
	}
	h.sub.WaitFor(t, 5*time.Second, "SOC entity removed", func(l map[string]string) bool {
		return l[socConfig] == ""
	})
	if len(h.devices()) != 0 {
		t.Error("the adapter is still listed after unpairing")
	}
	// mDNS keeps announcing it: it must not be paired again on its own.
	h.announce(adapter, host)
	time.Sleep(500 * time.Millisecond)
	if len(h.devices()) != 0 || adapter.Webhook().URL != "" {
		t.Error("an unpaired adapter was paired again by discovery")
	}
}

func TestAddAdapterByAddress(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	_, host := startSim(t, sim.Options{Pro: true, Seed: 9})
	resp, err := http.Post(h.admin.URL+"/api/devices", "application/json",
		strings.NewReader(`{"host":"`+host+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/devices: status %d, want 202", resp.StatusCode)
	}
	h.waitDevice("added adapter posting", func(d DeviceInfo) bool {
		return d.State == stateManaged && d.Accepted > 0
	})
}

func TestUnreachableAdapterReported(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	host := ln.Addr().String()
	ln.Close()
	resp, err := http.Post(h.admin.URL+"/api/devices", "application/json",
		strings.NewReader(`{"host":"`+host+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d := h.waitDevice("unreachable", func(d DeviceInfo) bool { return d.State == stateUnreachable })
	if !strings.Contains(d.Reason, host) {
		t.Errorf("reason %q does not name the address", d.Reason)
	}
}

func TestPatchRenamesAndSetsInterval(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 10})
	h.announce(adapter, host)
	d := h.waitDevice("posting", func(d DeviceInfo) bool { return d.Accepted > 0 })

	req, _ := http.NewRequest(http.MethodPatch, h.admin.URL+"/api/devices/"+d.ID,
		strings.NewReader(`{"name":"Ioniq 5","interval":30}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: status %d", resp.StatusCode)
	}
	topic := testTopics.Config(ha.Sensor, d.ID, "SOC")
	h.sub.WaitFor(t, 5*time.Second, "configs with the new name", func(l map[string]string) bool {
		return strings.Contains(l[topic], `"name":"Ioniq 5"`)
	})
	deadline := time.Now().Add(10 * time.Second)
	for adapter.Webhook().Interval != 30 {
		if time.Now().After(deadline) {
			t.Fatalf("adapter interval = %d, want 30 pushed", adapter.Webhook().Interval)
		}
		time.Sleep(50 * time.Millisecond)
	}

	req, _ = http.NewRequest(http.MethodPatch, h.admin.URL+"/api/devices/"+d.ID,
		strings.NewReader(`{"interval":0}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("interval 0: status %d, want 400", resp.StatusCode)
	}
}

func TestPublicURLChangeRepushed(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 11})
	h.announce(adapter, host)
	h.waitDevice("posting", func(d DeviceInfo) bool { return d.Accepted > 0 })
	before := adapter.Webhook().URL

	// The restarted bridge listens on another port, so its public URL changed.
	h.restart()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(adapter.Webhook().URL, h.b.opts.PublicURL+"/api/webhook/") {
		if time.Now().After(deadline) {
			t.Fatalf("adapter still posts to %q after the public URL changed", adapter.Webhook().URL)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if adapter.Webhook().URL[len(adapter.Webhook().URL)-32:] != before[len(before)-32:] {
		t.Error("the webhook id changed with the public URL")
	}
	h.waitDevice("posting after the move", func(d DeviceInfo) bool { return d.Accepted > 0 })
}

func TestSlowAdapterDoesNotBlockOthers(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	// Four adapters whose API accepts connections and never answers.
	for range 4 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		resp, err := http.Post(h.admin.URL+"/api/devices", "application/json",
			strings.NewReader(`{"host":"`+ln.Addr().String()+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	adapter, host := startSim(t, sim.Options{Pro: true, Seed: 12})
	h.announce(adapter, host)
	h.waitDevice("the healthy adapter posting", func(d DeviceInfo) bool {
		return d.DeviceID == adapter.DeviceID() && d.Accepted > 0
	})
	h.waitDevice("a hanging adapter reported unreachable", func(d DeviceInfo) bool {
		return d.State == stateUnreachable
	})
}
