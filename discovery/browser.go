package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grandcat/zeroconf"
)

// Defaults for Options.
const (
	DefaultPeriod = 60 * time.Second
	DefaultRound  = 10 * time.Second
)

// Options configures a Browser. Zero values select the defaults.
type Options struct {
	Interface string        // network interface name; "" browses all multicast interfaces
	Period    time.Duration // time between the starts of two browse rounds; default 60 s
	Round     time.Duration // how long each browse round listens; default 10 s, at most Period
	Logger    *slog.Logger  // default discards all records
}

// Browser finds WiCAN adapters by browsing both service types on a fixed period.
// zeroconf v1.0.0 stops querying after the first response and gives up after 15 minutes,
// so each round is a fresh browse that ends after Options.Round.
type Browser struct {
	opts Options
	log  *slog.Logger
	warn *warnLimiter
	seen map[string]Adapter // last adapter reported per Key, owned by Run

	running atomic.Bool
}

// NewBrowser returns a Browser with the defaults filled in.
func NewBrowser(opts Options) *Browser {
	if opts.Period <= 0 {
		opts.Period = DefaultPeriod
	}
	if opts.Round <= 0 {
		opts.Round = DefaultRound
	}
	opts.Round = min(opts.Round, opts.Period)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	log := opts.Logger.With("component", "discovery")
	return &Browser{
		opts: opts,
		log:  log,
		warn: newWarnLimiter(log, warnInterval),
	}
}

// Run browses both service types every Options.Period until ctx ends, then returns nil.
// It sends Found the first time a Key is seen during this call and AddressChanged when the
// adapter's first address or port differs from the one last sent. A send waits for the
// receiver but gives up when ctx ends. events may be nil to only log the adapters.
// Run returns an error without browsing when Options.Interface names no interface or
// another call of Run on b has not returned yet.
func (b *Browser) Run(ctx context.Context, events chan<- Event) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("discovery: Browser.Run is already running")
	}
	defer b.running.Store(false)

	if _, err := b.interfaces(); err != nil {
		return err
	}

	b.seen = make(map[string]Adapter)
	b.log.Info("mDNS discovery started", "interface", b.opts.Interface,
		"period", b.opts.Period, "round", b.opts.Round)
	ticker := time.NewTicker(b.opts.Period)
	defer ticker.Stop()

	for {
		b.browseRound(ctx, events)

		select {
		case <-ctx.Done():
			b.log.Info("mDNS discovery stopped")
			return nil
		case <-ticker.C:
		}
	}
}

// browseRound browses both service types at once for Options.Round and reports each
// adapter as it arrives. Adapters still arriving while the receiver of events lags
// behind at the end of the round are dropped, and the next round finds them again.
func (b *Browser) browseRound(ctx context.Context, events chan<- Event) {
	if ctx.Err() != nil {
		return
	}

	services := []string{ServiceWiCAN, ServiceHTTP}
	ifaces, err := b.interfaces()
	if err == nil && len(ifaces) == 1 {
		err = checkMulticast(ifaces[0])
	}
	if err != nil {
		for _, service := range services {
			b.warn.failed(service, fmt.Errorf("browse %s: %w", service, err))
		}
		return
	}

	roundCtx, cancel := context.WithTimeout(ctx, b.opts.Round)
	defer cancel()

	found := make(chan Adapter)
	errs := make([]error, len(services))
	var wg sync.WaitGroup
	for i, service := range services {
		wg.Go(func() { errs[i] = browse(roundCtx, service, ifaces, found) })
	}
	go func() {
		wg.Wait()
		close(found)
	}()

	for a := range found {
		b.track(ctx, a, events)
	}

	// found is closed only after every browse has returned, so errs is complete.
	for i, service := range services {
		if errs[i] != nil {
			b.warn.failed(service, errs[i])
		} else {
			b.warn.succeeded(service)
		}
	}
}

// browse sends every WiCAN adapter that responds to a browse for service to found
// until ctx ends. Once ctx has ended, it drops adapters but keeps reading until zeroconf
// closes entries, because zeroconf sends on entries without watching the context.
func browse(ctx context.Context, service string, ifaces []net.Interface,
	found chan<- Adapter,
) error {
	// IPv4 only: when joining the IPv6 group fails, zeroconf v1.0.0 returns an error
	// but leaves its IPv4 socket open. HostPort prefers IPv4 addresses anyway.
	resolver, err := zeroconf.NewResolver(
		zeroconf.SelectIfaces(ifaces), zeroconf.SelectIPTraffic(zeroconf.IPv4))
	if err != nil {
		return fmt.Errorf("browse %s: %w", service, err)
	}

	entries := make(chan *zeroconf.ServiceEntry)
	if err := resolver.Browse(ctx, service, "local.", entries); err != nil {
		for range entries {
		}
		return fmt.Errorf("browse %s: %w", service, err)
	}

	// NOTE: zeroconf v1.0.0 reports one entry per instance name and browse. When two
	// adapters announce the same instance name under one service type because neither
	// renamed itself, a round reports only the one that responded first.
	for entry := range entries {
		a, ok := AdapterFromEntry(entry)
		if !ok {
			continue
		}
		select {
		case found <- a:
		case <-ctx.Done():
		}
	}
	return nil
}

// interfaces returns the interface named in Options, or nil to let zeroconf use every
// interface that is up and multicast-capable. It looks the name up each round because
// the interface index changes when the interface is recreated.
func (b *Browser) interfaces() ([]net.Interface, error) {
	if b.opts.Interface == "" {
		return nil, nil
	}

	iface, err := net.InterfaceByName(b.opts.Interface)
	if err != nil {
		return nil, fmt.Errorf("look up network interface %q: %w", b.opts.Interface, err)
	}
	return []net.Interface{*iface}, nil
}

// checkMulticast returns an error when iface cannot carry mDNS queries. zeroconf v1.0.0
// ignores send errors, so without this check such a round would fail without a warning.
func checkMulticast(iface net.Interface) error {
	if iface.Flags&net.FlagUp == 0 {
		return fmt.Errorf("network interface %q is down", iface.Name)
	}
	if iface.Flags&net.FlagMulticast == 0 {
		return fmt.Errorf("network interface %q has multicast disabled", iface.Name)
	}
	return nil
}
