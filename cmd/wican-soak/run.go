package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wican-bridge/wican-bridge/procstat"
)

// soak is one run and everything it started.
type soak struct {
	cfg    Config
	log    *slog.Logger
	work   string // temporary directory, removed at the end
	logDir string
	rep    *Report

	broker   *mosquitto
	sims     []*simGroup
	adapters []simAdapter
	ledger   *ledger
	posts    *postProxy
	postSrv  *http.Server
	apis     *apiProxy
	watcher  *watcher
	bridge   *child
	started  time.Time // when the bridge started
	sampler  *sampler
}

// Run runs the soak described by cfg and returns its report, which is partial when the
// run fails or ctx ends. Every process and listener it started is stopped before it
// returns, and its temporary directory is removed.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Report, error) {
	work, err := os.MkdirTemp("", "wican-soak-")
	if err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	defer os.RemoveAll(work)
	s := &soak{cfg: cfg, log: log, work: work, rep: newReport(cfg), ledger: newLedger()}
	defer s.stopAll()
	defer s.collectCounts()

	if err := s.setUp(ctx); err != nil {
		return s.rep, err
	}
	if err := s.waitPaired(ctx); err != nil {
		return s.rep, err
	}
	if err := s.run(ctx); err != nil {
		return s.rep, err
	}
	return s.rep, s.finish(ctx)
}

// setUp starts the broker, the simulators, the proxies, the MQTT watcher and the bridge,
// in that order.
func (s *soak) setUp(ctx context.Context) error {
	s.logDir = s.cfg.LogDir
	if s.logDir == "" {
		s.logDir = filepath.Join(s.work, "logs")
	}
	if err := os.MkdirAll(s.logDir, 0o755); err != nil {
		return fmt.Errorf("create log directory: %w", err)
	}
	if err := buildBinaries(ctx, &s.cfg, s.work, s.log); err != nil {
		return err
	}

	var err error
	if s.broker, err = newMosquitto(s.cfg.Mosquitto, s.work, s.logDir); err != nil {
		return err
	}
	if err := s.broker.start(ctx); err != nil {
		return err
	}
	s.log.Info("broker started", "addr", s.broker.addr)

	if err := s.startSims(ctx); err != nil {
		return err
	}
	s.log.Info("simulators started", "adapters", len(s.adapters))

	if s.watcher, err = startWatcher(s.broker.url()); err != nil {
		return err
	}
	return s.startBridge(ctx)
}

func (s *soak) startSims(ctx context.Context) error {
	groups := []struct {
		count int
		pro   bool
		seed  int64
	}{{s.cfg.Pro, true, s.cfg.Seed}, {s.cfg.NonPro, false, s.cfg.Seed + 1_000_000}}
	for _, g := range groups {
		if g.count == 0 {
			continue
		}
		group, err := startSims(ctx, s.cfg.Sim, g.count, g.pro, g.seed, s.logDir)
		if group != nil {
			s.sims = append(s.sims, group)
			s.adapters = append(s.adapters, group.adapters...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// startBridge starts the post proxy, the API proxy and the bridge. The bridge pairs every
// adapter through the API proxy and sets its webhook URL to the post proxy.
func (s *soak) startBridge(ctx context.Context) error {
	// The proxies bind their ports first. A port from freeAddr is free only until another
	// listener binds port 0, so the bridge's ports are picked last.
	postLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the post proxy: %w", err)
	}
	var hosts []string
	if s.apis, hosts, err = startAPIProxy(s.adapters, s.ledger); err != nil {
		postLn.Close()
		return err
	}
	webhookAddr, err := freeAddr()
	if err != nil {
		postLn.Close()
		return err
	}
	uiAddr, err := freeAddr()
	if err != nil {
		postLn.Close()
		return err
	}
	s.posts = newPostProxy("http://"+webhookAddr, s.ledger)
	s.postSrv = &http.Server{Handler: s.posts, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.postSrv.Serve(postLn) }()

	dataDir := filepath.Join(s.work, "bridge-data")
	args := []string{"--mdns=false", "--mqtt", s.broker.url(), "--hosts", strings.Join(hosts, ","),
		"--interval", strconv.Itoa(int(s.cfg.Interval / time.Second)),
		"--public-url", "http://" + postLn.Addr().String(), "--webhook-addr", webhookAddr,
		"--ui-addr", uiAddr, "--data-dir", dataDir, "--log-level", "warn"}
	s.bridge, err = startChild("wican-bridge", s.cfg.Bridge, args,
		filepath.Join(s.logDir, "bridge.log"), nil)
	if err != nil {
		return err
	}
	s.started = time.Now()
	s.sampler = &sampler{pid: s.bridge.pid(), ui: "http://" + uiAddr, started: s.started,
		client: &http.Client{Timeout: 10 * time.Second}}
	if err := s.waitHealthy(ctx, 30*time.Second); err != nil {
		return err
	}
	s.log.Info("bridge started", "pid", s.bridge.pid(), "ui", uiAddr)
	return nil
}

// waitHealthy waits until the bridge's GET /healthz returns 200, at most timeout. It
// returns early with an error when the bridge exits, such as when a port was taken.
func (s *soak) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := s.checkAlive(); err != nil {
			return err
		}
		_, err := s.sampler.get(ctx, "/healthz")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wican-bridge is not healthy after %s: %w", timeout, err)
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// waitPaired waits until every adapter is managed and until every adapter's values are
// on MQTT, at most PairTimeout. A timeout is reported, not returned as an error.
func (s *soak) waitPaired(ctx context.Context) error {
	n := len(s.adapters)
	deadline := s.started.Add(s.cfg.PairTimeout)
	for s.rep.PairTime == 0 || s.rep.ValuesTime == 0 {
		if err := s.checkAlive(); err != nil {
			return err
		}
		if s.rep.PairTime == 0 {
			m, err := s.sampler.metrics(ctx)
			if err == nil && m.managed == n {
				s.rep.PairTime = time.Since(s.started)
				s.log.Info("every adapter paired", "adapters", n, "after", s.rep.PairTime)
			}
		}
		if s.rep.ValuesTime == 0 && nodes(s.watcher.stateTopics()) == n {
			s.rep.ValuesTime = time.Since(s.started)
		}
		if time.Now().After(deadline) {
			s.log.Warn("not every adapter paired or on MQTT before --pair-timeout",
				"adapters", n, "timeout", s.cfg.PairTimeout)
			return nil
		}
		if !sleep(ctx, 500*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

// nodes counts the distinct devices among state topics.
func nodes(topics []string) int {
	seen := map[string]bool{}
	for _, t := range topics {
		seen[strings.Split(t, "/")[1]] = true
	}
	return len(seen)
}

// checkAlive returns an error when a process that should run has exited.
func (s *soak) checkAlive() error {
	if s.bridge.exited() {
		return fmt.Errorf("wican-bridge exited (%v), see %s", s.bridge.err,
			filepath.Join(s.logDir, "bridge.log"))
	}
	for _, g := range s.sims {
		if g.proc.exited() {
			return fmt.Errorf("%s exited (%v), see its log in %s", g.proc.name, g.proc.err, s.logDir)
		}
	}
	return nil
}

// run samples the bridge until the end of the run and takes the broker down in the middle.
func (s *soak) run(ctx context.Context) error {
	s.takeSample(ctx, "paired")
	end := s.started.Add(s.cfg.Duration)
	endTimer := time.NewTimer(time.Until(end))
	defer endTimer.Stop()
	outageTimer := time.NewTimer(time.Until(s.started.Add(s.cfg.Duration / 2)))
	defer outageTimer.Stop()
	if s.cfg.Outage == 0 {
		outageTimer.Stop()
	}
	tick := time.NewTicker(s.cfg.Sample)
	defer tick.Stop()

	// The outage goroutine ends before run returns, because cancelOutage runs first.
	var outage sync.WaitGroup
	defer outage.Wait()
	outageCtx, cancelOutage := context.WithDeadline(ctx, end)
	defer cancelOutage()
	outageErr := make(chan error, 1)
	for {
		if err := s.checkAlive(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			s.takeSample(ctx, "")
		case <-outageTimer.C:
			s.takeSample(ctx, "before outage")
			outage.Go(func() { outageErr <- s.outage(outageCtx) })
		case err := <-outageErr:
			if err != nil {
				return err
			}
		case <-endTimer.C:
			return nil
		}
	}
}

// takeSample records one sample. A failed read is logged, and the sample is kept.
func (s *soak) takeSample(ctx context.Context, note string) {
	sm, err := s.sampler.take(ctx)
	sm.Note = note
	if err != nil {
		s.log.Warn("sample incomplete", "err", err)
	}
	busy, total, err := procstat.Machine()
	if err == nil {
		s.rep.machine = append(s.rep.machine, cpuPoint{at: sm.At, busy: busy, total: total})
	}
	s.rep.Samples = append(s.rep.Samples, sm)
	s.log.Info("sample", "at", sm.At.Round(time.Second), "rss_mib", mib(sm.RSS),
		"accepted", sm.Accepted, "rejected", sm.Rejected, "managed", sm.Managed,
		"mqtt_up", sm.MQTTUp, "queued", sm.Queued)
}
