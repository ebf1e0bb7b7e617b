package sim

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"

	"github.com/wican-bridge/wican-bridge/netnstest"
)

func TestAnnouncementIsFoundByBrowsing(t *testing.T) {
	if !netnstest.Inside() {
		netnstest.Run(t, "^"+t.Name()+"$")
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
