// Command wican-sim runs simulated WiCAN adapters: their HTTP API on a port each,
// their webhook posts and, with --mdns, their mDNS announcement.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/wican-bridge/wican-bridge/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "wican-sim:", err)
		os.Exit(1)
	}
}

type config struct {
	count  int
	listen string
	mdns   bool
	level  slog.Level
	opts   sim.Options
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	o := &c.opts
	fs := flag.NewFlagSet("wican-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.count, "count", 1, "number of adapters")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:0",
		"API address of the first adapter; port 0 gives each a free port, another counts up")
	fs.BoolVar(&o.Pro, "pro", false, "simulate WiCAN-OBD-PRO instead of WiCAN-OBD")
	fs.StringVar(&o.Shape, "shape", sim.ShapeFirmware, "payload shape: firmware or documented")
	fs.StringVar(&o.DataMode, "mode", "",
		"data mode: full or changed (default changed on Pro, full otherwise)")
	fs.StringVar(&o.Protocol, "protocol", sim.ProtocolAutoPID,
		"adapter protocol; anything but auto_pid never posts")
	fs.StringVar(&o.WebhookEn, "webhook-en", "enable",
		"webhook_en: enable, or disable (never posts)")
	fs.DurationVar(&o.Interval, "interval", 0, "initial posting interval (default 60s)")
	fs.StringVar(&o.Vehicle, "vehicle", "", "ev or ice (default ev on Pro, ice otherwise)")
	fs.StringVar(&o.UserURL, "webhook", "",
		"webhook URL already set by the user: the adapter posts without pairing")
	fs.BoolVar(&o.ManualOverride, "manual-override", false,
		"user-settings mode (Pro): pushes without manual_override are ignored")
	fs.BoolVar(&o.RejectURLs, "reject-urls", false, "the non-Pro build that answers 400 to urls")
	fs.BoolVar(&o.LegacyMDNS, "legacy-mdns", false,
		"announce _http._tcp like firmware before v4.46p")
	fs.Int64Var(&o.Seed, "seed", 0, "seed for device ids and drive cycles (random when 0)")
	fs.BoolVar(&c.mdns, "mdns", false, "announce the adapters over mDNS")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return c, err
	}

	if err := c.level.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("--log-level: %w", err)
	}
	return c, c.check()
}

// check refuses values the simulator would silently treat as another one.
func (c config) check() error {
	switch {
	case c.count < 1:
		return errors.New("--count must be at least 1")
	case !slices.Contains([]string{sim.ShapeFirmware, sim.ShapeDocumented}, c.opts.Shape):
		return fmt.Errorf("--shape %q: want firmware or documented", c.opts.Shape)
	case !slices.Contains([]string{"", sim.ModeFull, sim.ModeChanged}, c.opts.DataMode):
		return fmt.Errorf("--mode %q: want full or changed", c.opts.DataMode)
	case !slices.Contains([]string{"", sim.VehicleEV, sim.VehicleICE}, c.opts.Vehicle):
		return fmt.Errorf("--vehicle %q: want ev or ice", c.opts.Vehicle)
	case c.opts.ManualOverride && c.opts.UserURL == "":
		return errors.New("--manual-override needs --webhook, the user's own URL")
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: c.level}))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, c.count)
	var announcements []func()
	defer func() {
		for _, stop := range announcements {
			stop()
		}
	}()
	for i := range c.count {
		a, ln, err := start(c, i, logger)
		if err != nil {
			cancel()
			wg.Wait()
			return err
		}
		fmt.Fprintf(stdout, "device_id=%s api=%s\n", a.DeviceID(), ln.Addr())
		wg.Go(func() {
			if err := a.Serve(ctx, ln); err != nil {
				errs <- err
				cancel()
			}
		})
		if c.mdns {
			stop, err := a.Announce(ctx, nil, announceIPs(ln.Addr()))
			if err != nil {
				logger.Error("mDNS announcement failed", "device", a.DeviceID(), "err", err)
				continue
			}
			announcements = append(announcements, stop)
		}
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// start creates adapter i and its listener.
func start(c config, i int, logger *slog.Logger) (*sim.Adapter, net.Listener, error) {
	addr, err := listenAddr(c.listen, i)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	opts := c.opts
	if opts.Seed != 0 {
		opts.Seed += int64(i)
	}
	opts.Logger = logger
	return sim.New(opts), ln, nil
}

// listenAddr gives adapter i the base port plus i, or a free port when it is 0.
func listenAddr(base string, i int) (string, error) {
	host, port, err := net.SplitHostPort(base)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w", base, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("--listen %q: bad port", base)
	}
	if p != 0 {
		p += i
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

// announceIPs returns the listening address to announce. For a wildcard address it
// returns nil, so that each interface announces its own addresses.
func announceIPs(addr net.Addr) []string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		return nil
	}
	return []string{tcp.IP.String()}
}
