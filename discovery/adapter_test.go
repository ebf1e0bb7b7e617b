package discovery

import (
	"net"
	"net/netip"
	"testing"

	"github.com/grandcat/zeroconf"
)

func newEntry(instance, service, host string, port int, txt []string,
	ips ...string,
) *zeroconf.ServiceEntry {
	e := zeroconf.NewServiceEntry(instance, service, "local")
	e.HostName = host
	e.Port = port
	e.Text = txt
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip.To4() != nil {
			e.AddrIPv4 = append(e.AddrIPv4, ip)
		} else {
			e.AddrIPv6 = append(e.AddrIPv6, ip)
		}
	}
	return e
}

var currentTXT = []string{
	"mac=AA:BB:CC:DD:EE:01", "device_id=a1b2c3d4e5f6", "firmware=v4.50p",
	"hardware=WiCAN Pro", "version=4.50", "path=/",
}

func TestAdapterFromEntry(t *testing.T) {
	tests := []struct {
		name         string
		entry        *zeroconf.ServiceEntry
		wantOK       bool
		wantKey      string
		wantDeviceID string
		wantHost     string
		wantHostPort string
		wantService  string
	}{
		{
			name: "wican service with device_id",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local.", 80,
				currentTXT, "192.0.2.10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_a1b2c3d4e5f6.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceWiCAN,
		},
		{
			name: "device_id in TXT wins over host",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_0000000000ff.local.", 80,
				[]string{"device_id=A1B2C3D4E5F6"}, "192.0.2.10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_0000000000ff.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceWiCAN,
		},
		{
			name: "empty device_id falls back to host",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local.", 80,
				[]string{"mac=AA:BB:CC:DD:EE:01", "device_id=", "firmware=", "path=/"},
				"192.0.2.10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_a1b2c3d4e5f6.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceWiCAN,
		},
		{
			name: "legacy http with only fimrware",
			entry: newEntry("WiCAN-WebServer", "_http._tcp", "wican_0a0b0c0d0e0f.local.", 80,
				[]string{"fimrware=v3.47", "hardware=WiCAN OBD", "path=/"}, "192.0.2.11"),
			wantOK: true, wantKey: "0a0b0c0d0e0f", wantDeviceID: "0a0b0c0d0e0f",
			wantHost: "wican_0a0b0c0d0e0f.local", wantHostPort: "192.0.2.11:80",
			wantService: ServiceHTTP,
		},
		{
			name: "http printer rejected",
			entry: newEntry("Office Printer", "_http._tcp", "printer.local.", 80,
				[]string{"path=/", "model=LaserJet"}, "192.0.2.20"),
			wantOK: false,
		},
		{
			name: "renamed instance as zeroconf escapes it",
			entry: newEntry(`WiCAN-WebServer\ \(2\)`, "_http._tcp", "obd-garage.local.", 80,
				[]string{"path=/"}, "192.0.2.12"),
			wantOK: true, wantKey: "obd-garage.local", wantDeviceID: "",
			wantHost: "obd-garage.local", wantHostPort: "192.0.2.12:80",
			wantService: ServiceHTTP,
		},
		{
			name: "host without trailing dot",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local", 80,
				nil, "192.0.2.10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_a1b2c3d4e5f6.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceWiCAN,
		},
		{
			name: "upper-case host",
			entry: newEntry("WiCAN-WebServer", "_http._tcp", "WICAN_A1B2C3D4E5F6.LOCAL.", 80,
				[]string{"fimrware=v3.47"}, "192.0.2.10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_a1b2c3d4e5f6.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceHTTP,
		},
		{
			name: "host suffix not a device id",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_garage.local.", 80,
				nil, "192.0.2.10"),
			wantOK: true, wantKey: "wican_garage.local", wantDeviceID: "",
			wantHost: "wican_garage.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceWiCAN,
		},
		{
			name: "IPv4 before IPv6",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local.", 80,
				nil, "2001:db8::10", "192.0.2.10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_a1b2c3d4e5f6.local", wantHostPort: "192.0.2.10:80",
			wantService: ServiceWiCAN,
		},
		{
			name: "IPv6 only",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local.", 8080,
				nil, "2001:db8::10"),
			wantOK: true, wantKey: "a1b2c3d4e5f6", wantDeviceID: "a1b2c3d4e5f6",
			wantHost: "wican_a1b2c3d4e5f6.local", wantHostPort: "[2001:db8::10]:8080",
			wantService: ServiceWiCAN,
		},
		{
			name: "no address rejected",
			entry: newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local.", 80,
				currentTXT),
			wantOK: false,
		},
		{
			name:   "no host rejected",
			entry:  newEntry("WiCAN-WebServer", "_wican._tcp", "", 80, currentTXT, "192.0.2.10"),
			wantOK: false,
		},
		{
			name:   "nil entry rejected",
			entry:  nil,
			wantOK: false,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AdapterFromEntry(tt.entry)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (adapter %+v)", ok, tt.wantOK, got)
			}
			if !ok {
				return
			}
			if got.Key != tt.wantKey {
				t.Errorf("Key = %q, want %q", got.Key, tt.wantKey)
			}
			if got.DeviceID != tt.wantDeviceID {
				t.Errorf("DeviceID = %q, want %q", got.DeviceID, tt.wantDeviceID)
			}
			if got.HostName != tt.wantHost {
				t.Errorf("HostName = %q, want %q", got.HostName, tt.wantHost)
			}
			if got.HostPort() != tt.wantHostPort {
				t.Errorf("HostPort() = %q, want %q", got.HostPort(), tt.wantHostPort)
			}
			if got.Service != tt.wantService {
				t.Errorf("Service = %q, want %q", got.Service, tt.wantService)
			}
		})
	}
}

func TestAdapterFromEntryKeepsTXTAndAddrs(t *testing.T) {
	entry := newEntry("WiCAN-WebServer", "_wican._tcp", "wican_a1b2c3d4e5f6.local.", 80,
		append([]string{"MAC=ignored duplicate"}, currentTXT...),
		"192.0.2.10", "2001:db8::10", "192.0.2.10")

	got, ok := AdapterFromEntry(entry)
	if !ok {
		t.Fatal("entry rejected")
	}

	if got.TXT["mac"] != "ignored duplicate" {
		t.Errorf(`TXT["mac"] = %q, want the first of the repeated keys`, got.TXT["mac"])
	}
	if got.TXT["path"] != "/" {
		t.Errorf(`TXT["path"] = %q, want "/"`, got.TXT["path"])
	}
	want := []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")}
	if len(got.Addrs) != len(want) {
		t.Fatalf("Addrs = %v, want %v", got.Addrs, want)
	}
	for i := range want {
		if got.Addrs[i] != want[i] {
			t.Errorf("Addrs[%d] = %v, want %v", i, got.Addrs[i], want[i])
		}
	}
}

func TestIsWiCAN(t *testing.T) {
	tests := []struct {
		name     string
		service  string
		instance string
		host     string
		txt      map[string]string
		want     bool
	}{
		{"wican service any instance", "_wican._tcp", "Garage", "obd.local", nil, true},
		{"wican service trailing dot", "_wican._tcp.", "WiCAN-WebServer", "", nil, true},
		{"http instance", "_http._tcp", "WiCAN-WebServer", "obd.local", nil, true},
		{"http instance other case", "_http._tcp", "wican-webserver", "obd.local", nil, true},
		{"http renamed avahi style", "_http._tcp", "WiCAN-WebServer (2)", "obd.local", nil, true},
		{"http renamed esp-idf style", "_http._tcp", "WiCAN-WebServer-2", "obd.local", nil, true},
		{"http host prefix", "_http._tcp", "Garage", "wican_0a0b0c0d0e0f.local.", nil, true},
		{"http host prefix upper case", "_http._tcp", "Garage", "WICAN_X.LOCAL", nil, true},
		{"http fimrware key", "_http._tcp", "Garage", "obd.local",
			map[string]string{"fimrware": "v3.47"}, true},
		{"http printer", "_http._tcp", "Office Printer", "printer.local",
			map[string]string{"path": "/"}, false},
		{"http instance with text suffix", "_http._tcp", "WiCAN-WebServer (a)", "obd.local", nil, false},
		{"http instance glued suffix", "_http._tcp", "WiCAN-WebServerX", "obd.local", nil, false},
		{"http instance with prefix", "_http._tcp", "My WiCAN-WebServer", "obd.local", nil, false},
		{"http instance empty number", "_http._tcp", "WiCAN-WebServer-", "obd.local", nil, false},
		{"other service", "_ipp._tcp", "WiCAN-WebServer", "wican_0a0b0c0d0e0f.local", nil, false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsWiCAN(tt.service, tt.instance, tt.host, tt.txt); got != tt.want {
				t.Errorf("IsWiCAN(%q, %q, %q, %v) = %v, want %v",
					tt.service, tt.instance, tt.host, tt.txt, got, tt.want)
			}
		})
	}
}

func TestUnescapeDNS(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`WiCAN-WebServer`, "WiCAN-WebServer"},
		{`WiCAN-WebServer\ \(2\)`, "WiCAN-WebServer (2)"},
		{`caf\195\169`, "café"},
		{`a\\b`, `a\b`},
		{`trailing\`, `trailing\`},
		{`\256`, "256"},
	}

	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := unescapeDNS(tt.in); got != tt.want {
				t.Errorf("unescapeDNS(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
