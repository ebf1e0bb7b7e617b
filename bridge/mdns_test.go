package bridge

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/config"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/mqtttest"
	"github.com/wican-bridge/wican-bridge/netnstest"
	"github.com/wican-bridge/wican-bridge/sim"
)

// The namespace's loopback carries this extra address, for the adapter and the bridge.
const netnsAddr = "10.77.1.1"

// TestMDNSPairingInNetns checks the whole path with no manual step: a simulated adapter
// announces itself over real mDNS, the bridge finds it, pushes its webhook and publishes
// its posts as entities on a real broker. Everything runs in a network namespace made
// for the test, so no multicast reaches a real network.
func TestMDNSPairingInNetns(t *testing.T) {
	if !netnstest.Inside() {
		netnstest.Run(t, "^TestMDNSPairingInNetns$", netnsAddr)
		return
	}
	broker := mqtttest.Start(t)
	sub := mqtttest.Subscribe(t, broker.URL, "#")

	adapter, _ := startSimOn(t, netnsAddr+":0", sim.Options{Pro: true, Seed: 42})
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	stop, err := adapter.Announce(t.Context(), lo, []string{netnsAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	webhookAddr := net.JoinHostPort(netnsAddr, freePortOn(t, netnsAddr))
	cfg, err := config.Load([]string{"--mqtt", broker.URL, "--mdns-interface", "lo",
		"--webhook-addr", webhookAddr, "--public-url", "http://" + webhookAddr,
		"--ui-addr", freePort(t), "--data-dir", t.TempDir()},
		func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	node := "wican_" + adapter.DeviceID()
	topic := testTopics.Config(ha.Sensor, node, "SOC")
	sub.WaitFor(t, 60*time.Second, "the adapter's entities", func(l map[string]string) bool {
		return l[topic] != "" && l[testTopics.State(node, "SOC")] != ""
	})
	if got := adapter.Webhook().URL; !strings.HasPrefix(got, "http://"+webhookAddr+"/api/webhook/") {
		t.Errorf("adapter posts to %q, want this bridge", got)
	}
}

// startSimOn serves a simulated adapter on addr until the test ends.
func startSimOn(t *testing.T, addr string, opts sim.Options) (*sim.Adapter, string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	opts.TimeScale = 50
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a := sim.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = a.Serve(ctx, ln); close(served) }()
	t.Cleanup(func() { cancel(); <-served })
	return a, ln.Addr().String()
}

func freePortOn(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
