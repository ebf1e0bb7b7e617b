package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/procstat"
)

// Post shapes.
const (
	shapeFull    = "full"
	shapeChanged = "changed"
)

// Limits that keep every run bounded.
const (
	maxAdapters = 100_000
	maxRate     = 100_000
	maxDuration = 30 * time.Minute
	maxGrace    = time.Minute
	maxWorkers  = 1024
)

// Config is one load run.
type Config struct {
	Admin     string // base URL of the bridge's admin API
	Webhook   string // base URL of the bridge's webhook listener
	MQTT      string // broker the bridge publishes to
	BaseTopic string // the bridge's --base-topic

	Adapters int
	Rate     int // posts/s in total, or 0 to post as fast as the bridge responds
	Duration time.Duration
	MaxPosts int
	Changed  int    // values changed per post
	Shape    string // shapeFull or shapeChanged
	Workers  int
	Grace    time.Duration // how long to wait for the last values on MQTT

	BridgePID   int // 0 skips the CPU and memory figures
	BrokerPID   int // 0 skips the broker's CPU figure
	Baseline    bool
	AllowRemote bool
}

func (c *Config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Adapters >= 1 && c.Adapters <= maxAdapters, "--adapters %d: must be 1 to %d",
		c.Adapters, maxAdapters)
	check(c.Rate >= 0 && c.Rate <= maxRate, "--rate %d: must be 0 to %d", c.Rate, maxRate)
	check(c.Duration >= 0 && c.Duration <= maxDuration, "--duration %s: must be 0 to %s",
		c.Duration, maxDuration)
	check(c.MaxPosts >= 1, "--max-posts %d: must be at least 1", c.MaxPosts)
	check(c.Changed >= 0 && c.Changed <= len(carParams), "--changed %d: must be 0 to %d",
		c.Changed, len(carParams))
	check(c.Shape == shapeFull || c.Shape == shapeChanged,
		"--shape %q: must be %s or %s", c.Shape, shapeFull, shapeChanged)
	check(c.Workers >= 1 && c.Workers <= maxWorkers, "--workers %d: must be 1 to %d",
		c.Workers, maxWorkers)
	check(c.Grace >= 0 && c.Grace <= maxGrace, "--grace %s: must be 0 to %s", c.Grace, maxGrace)

	check(c.BaseTopic != "", "--base-topic must not be empty")
	check(c.MQTT != "", "--mqtt is missing: give the broker the bridge publishes to")

	if !c.AllowRemote {
		for flag, target := range map[string]string{"admin": c.Admin, "webhook": c.Webhook,
			"mqtt": c.MQTT} {
			if err := checkLoopback(flag, target); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Run creates the webhooks, posts one full post to each adapter, then runs the
// measured load and, with Baseline, the same load against a do-nothing receiver.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rep := newReport(cfg)
	bridge := &bridgeProc{pid: cfg.BridgePID}
	if err := bridge.sample(&rep.Bridge.Start); err != nil {
		return nil, err
	}

	client := newHTTPClient(cfg.Workers)
	ids, err := createWebhooks(ctx, client, cfg.Admin, cfg.Adapters)
	if err != nil {
		return nil, err
	}
	log.Info("webhooks created", "count", len(ids))
	adapters := newAdapters(ids, rand.Uint32())
	t := newTracker(len(adapters) * len(carParams))
	topics := ha.Topics{Base: cfg.BaseTopic}
	for _, a := range adapters {
		a.addTopics(t, topics)
	}
	sub, err := subscribe(cfg.MQTT, cfg.BaseTopic+"/#", t)
	if err != nil {
		return nil, err
	}
	defer sub.Disconnect(250)

	d := &driver{client: client, webhook: cfg.Webhook, adapters: adapters, seq: &valueSeq{},
		tracker: t, changed: cfg.Changed, shape: cfg.Shape, workers: cfg.Workers}
	if err := warmUp(ctx, d, t, cfg, rep, log); err != nil {
		return nil, err
	}
	if err := bridge.sample(&rep.Bridge.AfterWarmUp); err != nil {
		return nil, err
	}
	defer func() { rep.Bridge.summarise(rep.Posts, rep.Seconds) }()
	if cfg.Duration == 0 {
		return rep, nil
	}

	if err := measure(ctx, d, t, cfg, rep, bridge, log); err != nil {
		return nil, err
	}
	if cfg.Baseline {
		if err := runBaseline(ctx, d, cfg, rep, log); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// warmUp sends each adapter's first post, which binds its webhook and announces its
// entities, and waits until every value arrived on MQTT.
func warmUp(ctx context.Context, d *driver, t *tracker, cfg Config, rep *Report,
	log *slog.Logger) error {
	start := time.Now()
	res := d.run(ctx, 0, cfg.Adapters, maxDuration)
	if res.statuses[http.StatusOK] != cfg.Adapters {
		return fmt.Errorf("warm-up: %d of %d first posts returned 200 (statuses %v, first error %v)",
			res.statuses[http.StatusOK], cfg.Adapters, res.statuses, res.firstErr)
	}
	// Announcing costs about 70 messages per adapter, so allow time in proportion.
	limit := 30*time.Second + time.Duration(cfg.Adapters)*5*time.Millisecond
	if lost := settle(ctx, t, limit); lost > 0 {
		return fmt.Errorf("warm-up: %d values of first posts did not arrive on MQTT within %s",
			lost, limit)
	}
	rep.WarmUpSeconds = time.Since(start).Seconds()
	log.Info("warm-up done", "adapters", cfg.Adapters, "seconds", rep.WarmUpSeconds)
	return nil
}

// measure runs the load and waits up to the grace period for its last values.
func measure(ctx context.Context, d *driver, t *tracker, cfg Config, rep *Report,
	bridge *bridgeProc, log *slog.Logger) error {
	if err := bridge.sample(&rep.Bridge.BeforeRun); err != nil {
		return err
	}
	others, err := sampleOthers(cfg.BrokerPID)
	if err != nil {
		return err
	}
	t.takeLatencies()
	messagesBefore := t.messages.Load()

	log.Info("load started", "rate", cfg.Rate, "duration", cfg.Duration)
	res := d.run(ctx, cfg.Rate, cfg.MaxPosts, cfg.Duration)
	settle(ctx, t, cfg.Grace)

	if err := bridge.sample(&rep.Bridge.End); err != nil {
		return err
	}
	rep.addRun(&res, t, t.messages.Load()-messagesBefore)
	return others.report(rep)
}

// otherProcs samples the load tool itself and, when its pid is known, the broker, so
// the report shows how the machine's CPU was shared.
type otherProcs struct {
	brokerPID    int
	self, broker procstat.Sample
	machineBusy  time.Duration
}

func sampleOthers(brokerPID int) (*otherProcs, error) {
	o := &otherProcs{brokerPID: brokerPID}
	var err error
	if o.self, err = procstat.Process(os.Getpid()); err != nil {
		return nil, err
	}
	if o.machineBusy, _, err = procstat.Machine(); err != nil {
		return nil, err
	}
	if brokerPID != 0 {
		if o.broker, err = procstat.Process(brokerPID); err != nil {
			return nil, fmt.Errorf("--broker-pid %d: %w", brokerPID, err)
		}
	}
	return o, nil
}

func (o *otherProcs) report(rep *Report) error {
	self, err := procstat.Process(os.Getpid())
	if err != nil {
		return err
	}
	rep.LoadToolCPUCores = (self.CPU - o.self.CPU).Seconds() / rep.Seconds
	busy, _, err := procstat.Machine()
	if err != nil {
		return err
	}
	rep.MachineCPUCores = (busy - o.machineBusy).Seconds() / rep.Seconds
	if o.brokerPID == 0 {
		return nil
	}
	broker, err := procstat.Process(o.brokerPID)
	if err != nil {
		return fmt.Errorf("--broker-pid %d: %w", o.brokerPID, err)
	}
	rep.BrokerCPUCores = (broker.CPU - o.broker.CPU).Seconds() / rep.Seconds
	return nil
}

// settle waits until every final value arrived and no message came for 300 ms, or
// until limit has passed. It returns the number of final values still missing.
func settle(ctx context.Context, t *tracker, limit time.Duration) int {
	const quiet = 300 * time.Millisecond
	deadline := time.Now().Add(limit)
	last, lastChange := t.messages.Load(), time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		lost := t.lost()
		now := time.Now()
		if n := t.messages.Load(); n != last {
			last, lastChange = n, now
		}
		if (lost == 0 && now.Sub(lastChange) >= quiet) || now.After(deadline) {
			return lost
		}
		select {
		case <-ctx.Done():
			return lost
		case <-tick.C:
		}
	}
}

// runBaseline posts the same bodies with the same client and workers to a receiver
// that only decodes them, as fast as it responds.
func runBaseline(ctx context.Context, d *driver, cfg Config, rep *Report, log *slog.Logger) error {
	url, stop, err := startBaseline()
	if err != nil {
		return err
	}
	defer stop()
	ids := make([]string, len(d.adapters))
	for i, a := range d.adapters {
		ids[i] = a.webhook
	}
	adapters := newAdapters(ids, rand.Uint32())
	for _, a := range adapters {
		a.posts = 1 // past the first post, so bodies have the measured shape
	}
	base := &driver{client: d.client, webhook: url, adapters: adapters, seq: &valueSeq{},
		changed: d.changed, shape: d.shape, workers: d.workers}
	log.Info("baseline started", "duration", cfg.Duration)
	res := base.run(ctx, 0, cfg.MaxPosts, cfg.Duration)
	rep.addBaseline(&res)
	return nil
}

// bridgeProc samples the bridge process, when its pid is known.
type bridgeProc struct{ pid int }

func (b *bridgeProc) sample(dst **procstat.Sample) error {
	if b.pid == 0 {
		return nil
	}
	s, err := procstat.Process(b.pid)
	if err != nil {
		return fmt.Errorf("--bridge-pid %d: %w", b.pid, err)
	}
	*dst = &s
	return nil
}
