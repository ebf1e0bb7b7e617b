// Package discovery finds WiCAN OBD adapters on the local network over mDNS.
package discovery

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/grandcat/zeroconf"
)

// Service types that WiCAN adapters announce.
const (
	// ServiceWiCAN is the service type of firmware v4.46p and later.
	ServiceWiCAN = "_wican._tcp"
	// ServiceHTTP is the service type of older firmware, shared with any other web server.
	ServiceHTTP = "_http._tcp"
)

// instanceName is the instance name every adapter announces, whatever its service type.
const instanceName = "WiCAN-WebServer"

// hostPrefix starts the host name of every adapter: wican_<device id>.local.
const hostPrefix = "wican_"

// Adapter is one WiCAN adapter as announced over mDNS.
type Adapter struct {
	Key      string            // device_id when known, else the host name
	DeviceID string            // lowercase device id, "" when neither TXT nor host name has one
	HostName string            // lowercase, without trailing dot, e.g. "wican_a1b2c3d4e5f6.local"
	Addrs    []netip.Addr      // IPv4 addresses first, then IPv6
	Port     int               // port of the adapter's web server
	TXT      map[string]string // TXT record, keys lowercase
	Service  string            // ServiceWiCAN or ServiceHTTP
}

// HostPort returns "ip:port" of the first address, ready for an HTTP client,
// or "" when the adapter has no address.
func (a Adapter) HostPort() string {
	if len(a.Addrs) == 0 {
		return ""
	}
	return net.JoinHostPort(a.Addrs[0].String(), strconv.Itoa(a.Port))
}

// IsWiCAN reports whether an announcement comes from a WiCAN adapter.
// Every ServiceWiCAN announcement does. A ServiceHTTP announcement does in three cases.
// Its instance is "WiCAN-WebServer", also as renamed after a name conflict
// ("WiCAN-WebServer (2)", "WiCAN-WebServer-2"). Or its host name starts with "wican_".
// Or its TXT record has the key "fimrware", which old WiCAN firmware misspells this way.
func IsWiCAN(service, instance, host string, txt map[string]string) bool {
	switch normalizeName(service) {
	case ServiceWiCAN:
		return true
	case ServiceHTTP:
		if isWiCANInstance(instance) || strings.HasPrefix(normalizeName(host), hostPrefix) {
			return true
		}
		_, misspelled := txt["fimrware"]
		return misspelled
	default:
		return false
	}
}

// AdapterFromEntry converts a browse result into an Adapter. It returns false when the
// entry is not a WiCAN adapter (see IsWiCAN) or lacks the host name, port or address
// that the bridge needs to reach it.
func AdapterFromEntry(entry *zeroconf.ServiceEntry) (Adapter, bool) {
	if entry == nil {
		return Adapter{}, false
	}

	// zeroconf passes names and TXT strings on in DNS presentation format.
	service := normalizeName(entry.Service)
	host := normalizeName(unescapeDNS(entry.HostName))
	txt := parseTXT(entry.Text)
	if !IsWiCAN(service, unescapeDNS(entry.Instance), host, txt) {
		return Adapter{}, false
	}

	addrs := entryAddrs(entry)
	if host == "" || entry.Port <= 0 || len(addrs) == 0 {
		return Adapter{}, false
	}

	a := Adapter{
		HostName: host,
		Addrs:    addrs,
		Port:     entry.Port,
		TXT:      txt,
		Service:  service,
		DeviceID: deviceID(txt, host),
		Key:      host,
	}
	if a.DeviceID != "" {
		a.Key = a.DeviceID
	}
	return a, true
}

// deviceID returns the TXT device_id, else the hex part of a wican_<12 hex digits> host
// name, else "". The TXT mac key is the station MAC and differs from the device id.
func deviceID(txt map[string]string, host string) string {
	if id := strings.ToLower(strings.TrimSpace(txt["device_id"])); id != "" {
		return id
	}

	label, _, _ := strings.Cut(host, ".")
	id, ok := strings.CutPrefix(label, hostPrefix)
	if !ok || len(id) != 12 || !isHex(id) {
		return ""
	}
	return id
}

// isWiCANInstance reports whether instance is "WiCAN-WebServer", compared without case
// as mDNS names are, or that name with the suffix a responder adds on a name conflict:
// " (2)" from Avahi and Bonjour, "-2" from the ESP-IDF mdns component.
func isWiCANInstance(instance string) bool {
	n := len(instanceName)
	if len(instance) < n || !strings.EqualFold(instance[:n], instanceName) {
		return false
	}

	suffix := instance[n:]
	if suffix == "" {
		return true
	}
	if number, ok := strings.CutPrefix(suffix, "-"); ok {
		return isDigits(number)
	}
	if number, ok := strings.CutPrefix(suffix, " ("); ok {
		number, ok = strings.CutSuffix(number, ")")
		return ok && isDigits(number)
	}
	return false
}

// parseTXT turns "key=value" strings into a map. Keys are lowercased because TXT keys are
// case-insensitive, the first of repeated keys wins, and a key without "=" maps to "".
func parseTXT(text []string) map[string]string {
	txt := make(map[string]string, len(text))
	for _, s := range text {
		key, value, _ := strings.Cut(unescapeDNS(s), "=")
		key = strings.ToLower(key)
		if key == "" {
			continue
		}
		if _, dup := txt[key]; !dup {
			txt[key] = value
		}
	}
	return txt
}

// entryAddrs returns the entry's addresses, IPv4 first, without duplicates.
func entryAddrs(entry *zeroconf.ServiceEntry) []netip.Addr {
	ips := make([]net.IP, 0, len(entry.AddrIPv4)+len(entry.AddrIPv6))
	ips = append(ips, entry.AddrIPv4...)
	ips = append(ips, entry.AddrIPv6...)

	var addrs []netip.Addr
	for _, ip := range ips {
		addr, ok := netip.AddrFromSlice(ip)
		if !ok || addr.IsUnspecified() {
			continue
		}
		addr = addr.Unmap()
		if !slices.Contains(addrs, addr) {
			addrs = append(addrs, addr)
		}
	}
	return addrs
}

// normalizeName lowercases a DNS name and strips its leading and trailing dots.
func normalizeName(name string) string {
	return strings.ToLower(strings.Trim(name, "."))
}

// unescapeDNS reverses the escaping of DNS presentation format, which miekg/dns applies
// to names and TXT strings: `\X` is the byte X and `\DDD` the byte with decimal value DDD.
// An instance "WiCAN-WebServer (2)" arrives as `WiCAN-WebServer\ \(2\)`.
func unescapeDNS(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}

	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isDigits(s[i+1:i+4]) {
			if value, err := strconv.ParseUint(s[i+1:i+4], 10, 8); err == nil {
				b.WriteByte(byte(value))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
