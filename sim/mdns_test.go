package sim

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"
)

// netnsEnv tells a re-executed test binary that it runs inside the namespace.
const netnsEnv = "WICAN_SIM_IN_NETNS"

func TestAnnouncementIsFoundByBrowsing(t *testing.T) {
	if os.Getenv(netnsEnv) == "" {
		runInNetns(t, t.Name())
		return
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    Options
		service string
		txt     []string
	}{
		{"current Pro on _wican._tcp", Options{Pro: true}, "_wican._tcp",
			[]string{"firmware=", "hardware=", "version=", "path=/"}},
		{"WiCAN-OBD on _wican._tcp", Options{}, "_wican._tcp",
			[]string{"firmware=4.20", "hardware=WiCAN-OBD", "path=/"}},
		{"old firmware on _http._tcp", Options{LegacyMDNS: true}, "_http._tcp",
			[]string{"fimrware=4.20", "hardware=WiCAN-OBD", "path=/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := startAdapter(t, tt.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			stop, err := a.Announce(ctx, lo, []string{"127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			defer stop()

			entry := browse(ctx, t, lo, tt.service, "wican_"+a.DeviceID()+".local.")
			if entry.Instance != "WiCAN-WebServer" {
				t.Errorf("instance %q, want WiCAN-WebServer", entry.Instance)
			}
			if entry.Port == 0 || !slices.ContainsFunc(entry.AddrIPv4, net.IP.IsLoopback) {
				t.Errorf("port %d, addresses %v", entry.Port, entry.AddrIPv4)
			}
			want := tt.txt
			if !tt.opts.LegacyMDNS {
				want = append(want, "device_id="+a.DeviceID(), "mac="+stationMAC(a.DeviceID()))
			}
			for _, kv := range want {
				if !slices.Contains(entry.Text, kv) {
					t.Errorf("TXT %v lacks %q", entry.Text, kv)
				}
			}
			t.Logf("found %s %s port %d TXT %v",
				entry.Instance, entry.HostName, entry.Port, entry.Text)
		})
	}
}

// browse looks for host under service on iface until ctx ends.
func browse(ctx context.Context, t *testing.T, iface *net.Interface,
	service, host string) *zeroconf.ServiceEntry {
	t.Helper()
	resolver, err := zeroconf.NewResolver(zeroconf.SelectIfaces([]net.Interface{*iface}),
		zeroconf.SelectIPTraffic(zeroconf.IPv4))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries := make(chan *zeroconf.ServiceEntry)
	if err := resolver.Browse(ctx, service, "local.", entries); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-entries:
			if e != nil && e.HostName == host {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("%s not found under %s", host, service)
		}
	}
}

// runInNetns runs test name again inside a network namespace of its own, so that
// the announcement stays off every real network. Multicast is switched on for the
// namespace's loopback, which is its only interface.
func runInNetns(t *testing.T, name string) {
	if os.Geteuid() != 0 {
		t.Skip("skipping the mDNS test: creating a network namespace needs root")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("skipping the mDNS test: the ip command (iproute2) is missing")
	}
	ns := fmt.Sprintf("wican-sim-test-%d", os.Getpid())
	if out, err := exec.Command(ip, "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("skipping the mDNS test: cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(ip, "netns", "delete", ns).Run() })

	for _, args := range [][]string{
		{"link", "set", "lo", "multicast", "on"},
		{"link", "set", "lo", "up"},
		{"route", "add", "224.0.0.0/4", "dev", "lo"},
	} {
		out, err := exec.Command(ip, append([]string{"-n", ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %s: %v %s", strings.Join(args, " "), err, out)
		}
	}

	cmd := exec.Command(ip, "netns", "exec", ns, os.Args[0],
		"-test.run", "^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside namespace %s:\n%s", ns, out)
	if err != nil {
		t.Fatalf("test inside the namespace failed: %v", err)
	}
}
