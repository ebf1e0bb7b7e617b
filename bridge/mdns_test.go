package bridge

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/config"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/mqtttest"
	"github.com/wican-bridge/wican-bridge/sim"
)

// netnsEnv marks the run of the test binary inside its network namespace.
const netnsEnv = "WICAN_BRIDGE_IN_NETNS"

// The namespace's loopback carries this extra address, for the adapter and the bridge.
const netnsAddr = "10.77.1.1"

// TestMDNSPairingInNetns checks the whole path with no manual step: a simulated adapter
// announces itself over real mDNS, the bridge finds it, pushes its webhook and publishes
// its posts as entities on a real broker. Everything runs in a network namespace made
// for the test, so no multicast reaches a real network.
func TestMDNSPairingInNetns(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		runInNetns(t, "^TestMDNSPairingInNetns$")
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

// runInNetns creates a network namespace whose only interface is a multicast-capable
// loopback holding netnsAddr, and runs the test named by pattern again inside it.
func runInNetns(t *testing.T, pattern string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating a network namespace for the mDNS test needs root")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("skipping: the mDNS test needs the ip command from iproute2")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("wican-bridge-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	run("netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command(ip, "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("delete network namespace %s: %v: %s", name, err, out)
		}
	})
	run("-n", name, "link", "set", "lo", "up")
	run("-n", name, "link", "set", "lo", "multicast", "on")
	run("-n", name, "addr", "add", netnsAddr+"/24", "dev", "lo")
	run("-n", name, "route", "add", "224.0.0.0/4", "dev", "lo")

	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ip, "netns", "exec", name, exe, "-test.run", pattern,
		"-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside network namespace %s:\n%s", name, out)
	if err != nil {
		t.Fatalf("test inside network namespace %s: %v", name, err)
	}
}
