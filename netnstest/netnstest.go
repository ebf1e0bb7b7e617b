// Package netnstest runs a test again inside a network namespace of its own, whose only
// interface is a multicast-capable loopback, so that mDNS tests send no packet to a real
// network. It is used by tests only.
package netnstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"
)

// envVar marks the run of a test binary inside the namespace that Run created.
const envVar = "WICAN_TEST_IN_NETNS"

// timeout bounds the run of the test inside the namespace.
const timeout = 120 * time.Second

// count numbers the namespaces that this test process creates.
var count atomic.Int32

// Inside reports whether the test binary runs inside a namespace that Run created.
func Inside() bool { return os.Getenv(envVar) != "" }

// Run creates a network namespace whose loopback carries each of addrs with a /24 and a
// route for multicast, runs the test named by pattern again inside it, and deletes the
// namespace when t ends. It skips t when the process is not root or the ip command of
// iproute2 is missing.
func Run(t *testing.T, pattern string, addrs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating a network namespace for the mDNS test needs root")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("skipping: the mDNS test needs the ip command from iproute2 to create a network namespace")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test binary: %v", err)
	}

	name := fmt.Sprintf("wican-test-%d-%d", os.Getpid(), count.Add(1))
	Command(t, ip, "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command(ip, "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("delete network namespace %s: %v: %s", name, err, out)
		}
	})
	setup := [][]string{{"link", "set", "lo", "up"}, {"link", "set", "lo", "multicast", "on"}}
	for _, addr := range addrs {
		setup = append(setup, []string{"addr", "add", addr + "/24", "dev", "lo"})
	}
	setup = append(setup, []string{"route", "add", "224.0.0.0/4", "dev", "lo"})
	for _, args := range setup {
		Command(t, ip, append([]string{"-n", name}, args...)...)
	}

	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ip, "netns", "exec", name,
		exe, "-test.run", pattern, "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), envVar+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("test output inside network namespace %s:\n%s", name, out)
	if err != nil {
		t.Fatalf("test inside network namespace %s: %v", name, err)
	}
}

// Command runs a command and fails t with its output when it fails.
func Command(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}
