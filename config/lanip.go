package config

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"strings"
)

// virtualPrefixes name interfaces that adapters on the LAN cannot reach: container
// bridges, VPNs and virtual machine networks.
var virtualPrefixes = []string{"docker", "br-", "veth", "virbr", "vnet", "tun", "tap", "wg",
	"tailscale", "zt", "hassio", "lxc", "cni", "flannel", "podman", "vmnet", "utun"}

// IsVirtualInterface reports whether an interface name belongs to a container bridge, a
// VPN or a virtual machine network.
func IsVirtualInterface(name string) bool {
	for _, p := range virtualPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// LANAddress returns this host's primary LAN IPv4 address: the one on the interface of
// the default route when that is a physical interface, else the first private IPv4 on
// a physical interface. It returns "" when there is none. It reads the routing table and
// sends nothing.
func LANAddress() string {
	if name := defaultRouteInterface("/proc/net/route"); name != "" && !IsVirtualInterface(name) {
		if ip := interfaceIPv4(name); ip != "" {
			return ip
		}
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 ||
			IsVirtualInterface(iface.Name) {
			continue
		}
		if ip := interfaceIPv4(iface.Name); ip != "" && net.ParseIP(ip).IsPrivate() {
			return ip
		}
	}
	return ""
}

// defaultRouteInterface reads a Linux routing table and returns the interface of the
// default route with the lowest metric.
func defaultRouteInterface(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	best, bestMetric := "", int(^uint(0)>>1)
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		fields := strings.Fields(scan.Text())
		// Iface Destination Gateway Flags RefCnt Use Metric Mask ...
		if len(fields) < 8 || fields[1] != "00000000" || fields[7] != "00000000" {
			continue
		}
		metric := 0
		for _, ch := range fields[6] {
			metric = metric*10 + int(ch-'0')
		}
		if metric < bestMetric {
			best, bestMetric = fields[0], metric
		}
	}
	return best
}

func interfaceIPv4(name string) string {
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return ""
	}
	addrs, err := iface.Addrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok {
			if ip4 := ipnet.IP.To4(); ip4 != nil && !ip4.IsLoopback() && !ip4.IsLinkLocalUnicast() {
				return ip4.String()
			}
		}
	}
	return ""
}

// DefaultPublicURL returns http://<LAN address>:<webhook port>, or loopback when the host
// has no LAN address. The second result is false in that case: adapters cannot post to it.
func DefaultPublicURL(webhookAddr string) (string, bool) {
	_, port, err := net.SplitHostPort(webhookAddr)
	if err != nil || port == "" {
		port = "8780"
	}
	ip := LANAddress()
	if ip == "" {
		return "http://127.0.0.1:" + port, false
	}
	return "http://" + net.JoinHostPort(ip, port), true
}

// CheckPublicURL tells whether adapters on the LAN can reach a public URL. It returns a
// problem and its fix, or two empty strings when the URL looks reachable.
func CheckPublicURL(raw string) (problem, fix string) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "the public URL is not a valid URL", "set --public-url to http://<this host's LAN address>:8780"
	}
	fix = "set --public-url to http://<this host's LAN address>:" + portOr(u.Port(), "8780")
	if u.Scheme == "https" {
		return "the public URL uses https://, which the non-Pro WiCAN cannot post to and the " +
			"Pro accepts only with a publicly trusted certificate", fix + " (plain http on the LAN)"
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil {
		return "", ""
	}
	switch {
	case ip.IsLoopback():
		return "the public URL is a loopback address, which adapters cannot reach", fix
	case ip.IsUnspecified():
		return "the public URL is 0.0.0.0, which is not an address adapters can post to", fix
	case ip.IsLinkLocalUnicast():
		return "the public URL is a link-local address", fix
	}
	if name := interfaceOf(ip); name != "" && IsVirtualInterface(name) {
		return "the public URL is the address of " + name + ", a container bridge or VPN " +
			"interface that adapters on the LAN cannot reach", fix
	}
	if dockerRange.Contains(ip) {
		return "the public URL is in 172.17.0.0/16, Docker's default bridge network", fix
	}
	return "", ""
}

var dockerRange = &net.IPNet{IP: net.IPv4(172, 17, 0, 0), Mask: net.CIDRMask(16, 32)}

func portOr(port, fallback string) string {
	if port == "" {
		return fallback
	}
	return port
}

// interfaceOf returns the name of the local interface that has ip, or "".
func interfaceOf(ip net.IP) string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, iface := range ifaces {
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok && ipnet.IP.Equal(ip) {
				return iface.Name
			}
		}
	}
	return ""
}
