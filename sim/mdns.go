package sim

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/grandcat/zeroconf"
)

const (
	mdnsInstance      = "WiCAN-WebServer"
	mdnsService       = "_wican._tcp"
	mdnsLegacyService = "_http._tcp"
)

// shutdownAfter is the least time between registering an announcement and shutting it
// down (see stop in Announce).
const shutdownAfter = 50 * time.Millisecond

// Announce announces the adapter over mDNS as the firmware does: instance
// "WiCAN-WebServer", service _wican._tcp (_http._tcp with Options.LegacyMDNS), host
// wican_<device_id>.local, the API port, and the firmware's TXT. It waits until
// Serve has its listener. iface nil means every multicast interface; ips are the
// addresses announced, those of the interface when empty. The announcement ends
// with stop or with ctx.
func (a *Adapter) Announce(ctx context.Context, iface *net.Interface,
	ips []string) (stop func(), err error) {
	addr, err := a.waitServing(ctx)
	if err != nil {
		return nil, fmt.Errorf("announce %s: %w", a.id, err)
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("announce %s: API address %s is not TCP", a.id, addr)
	}
	var ifaces []net.Interface
	if iface != nil {
		ifaces = []net.Interface{*iface}
	}

	service := mdnsService
	if a.opts.LegacyMDNS {
		service = mdnsLegacyService
	}
	srv, err := zeroconf.RegisterProxy(mdnsInstance, service, "local.", tcp.Port,
		"wican_"+a.id, ips, a.txt(), ifaces)
	if err != nil {
		return nil, fmt.Errorf("announce %s: %w", a.id, err)
	}
	a.log.Info("announcing over mDNS", "service", service, "port", tcp.Port)

	registered := time.Now()
	var once sync.Once
	done := make(chan struct{})
	stop = func() {
		once.Do(func() {
			close(done)
			// NOTE: zeroconf v1.0.0 starts its receive goroutines after RegisterProxy
			// returns, and each calls WaitGroup.Add, which races with the Wait in
			// Shutdown. The library does not signal when they have started, so the
			// wait of shutdownAfter is an estimate of how long that takes.
			time.Sleep(time.Until(registered.Add(shutdownAfter)))
			srv.Shutdown()
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return stop, nil
}

// txt is the TXT record. mac is the station MAC, one below the soft-AP MAC that
// device_id holds. A Pro leaves firmware, hardware and version empty; old firmware
// sent only "fimrware" (sic), hardware and path.
func (a *Adapter) txt() []string {
	firmware, hardware, version := obdFirmware, "WiCAN-OBD", "v"+obdFirmware
	if a.opts.Pro {
		firmware, hardware, version = "", "", ""
	}
	if a.opts.LegacyMDNS {
		return []string{"fimrware=" + firmware, "hardware=" + hardware, "path=/"}
	}
	return []string{
		"mac=" + stationMAC(a.id), "device_id=" + a.id, "firmware=" + firmware,
		"hardware=" + hardware, "version=" + version, "path=/",
	}
}

// stationMAC derives the station MAC, upper case with colons, from the soft-AP MAC.
func stationMAC(deviceID string) string {
	b, err := hex.DecodeString(deviceID)
	if err != nil || len(b) != 6 {
		return ""
	}
	b[5]--
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}
