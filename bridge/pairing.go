package bridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
	"github.com/wican-bridge/wican-bridge/discovery"
	"github.com/wican-bridge/wican-bridge/payload"
)

// PairingOptions configures automatic pairing.
type PairingOptions struct {
	Mode        string        // "auto" or "manual"
	Interval    time.Duration // posting interval pushed to adapters
	FailoverURL string        // base URL reached from outside the LAN, or ""
	Hosts       []string      // adapters that mDNS cannot see
	// CheckPeriod is how often each adapter's webhook configuration is read; 5 min when zero.
	CheckPeriod time.Duration
	// HealPeriod is how often current values are read from each posting adapter, to
	// recover changes lost with failed posts; 10 min when zero.
	HealPeriod time.Duration
}

// pairer finds, pairs and watches adapters through their HTTP API.
type pairer struct {
	b      *Bridge
	client *devicecfg.Client
	opts   PairingOptions
	log    *slog.Logger
	sem    chan struct{} // bounds concurrent API calls
	wg     sync.WaitGroup
	ctx    context.Context
}

// EnablePairing makes the bridge pair adapters through their HTTP API. Call before Run.
func (b *Bridge) EnablePairing(client *devicecfg.Client, opts PairingOptions) {
	if opts.CheckPeriod == 0 {
		opts.CheckPeriod = 5 * time.Minute
	}
	if opts.HealPeriod == 0 {
		opts.HealPeriod = 10 * time.Minute
	}
	if opts.Interval == 0 {
		opts.Interval = 15 * time.Second
	}
	b.pairer = &pairer{b: b, client: client, opts: opts, log: b.log, sem: make(chan struct{}, 8)}
}

// run checks every known adapter, adds the fixed hosts and follows discovery events until
// ctx ends.
func (p *pairer) run(ctx context.Context, events <-chan discovery.Event) {
	p.ctx = ctx
	for _, host := range p.opts.Hosts {
		if _, err := p.b.AddAdapter(host, "hosts"); err != nil {
			p.log.Warn("adapter from --hosts not added", "host", host, "err", err)
		}
	}
	p.checkAll()
	check := time.NewTicker(p.opts.CheckPeriod)
	heal := time.NewTicker(p.opts.HealPeriod)
	defer check.Stop()
	defer heal.Stop()
	for {
		select {
		case <-ctx.Done():
			p.wg.Wait()
			return
		case ev := <-events:
			p.onDiscovered(ev)
		case <-check.C:
			p.checkAll()
		case <-heal.C:
			p.healAll()
		}
	}
}

// checkAll checks every adapter, except unreachable ones still backing off.
func (p *pairer) checkAll() {
	now := time.Now()
	for _, a := range p.b.list() {
		a.mu.Lock()
		waiting := a.pair != nil && now.Before(a.pair.retryAt)
		a.mu.Unlock()
		if !waiting {
			p.schedule(a)
		}
	}
}

// maxBackoff bounds how long periodic checks skip an unreachable adapter.
const maxBackoff = time.Hour

// recordReachable updates the backoff after a check. Call with the adapter's mutex held.
func (p *pairer) recordReachable(a *adapter, reachable bool) {
	if reachable {
		a.pair.failures, a.pair.retryAt = 0, time.Time{}
		return
	}
	a.pair.failures++
	backoff := p.opts.CheckPeriod << min(a.pair.failures-1, 10)
	a.pair.retryAt = time.Now().Add(min(backoff, maxBackoff))
}

// schedule checks one adapter in the background, unless a check is under way.
func (p *pairer) schedule(a *adapter) {
	if p.ctx == nil || p.ctx.Err() != nil {
		return
	}
	a.mu.Lock()
	if a.pair == nil || a.pair.checking || a.hook.Host == "" {
		a.mu.Unlock()
		return
	}
	a.pair.checking = true
	a.mu.Unlock()

	p.wg.Go(func() {
		defer func() {
			a.mu.Lock()
			a.pair.checking = false
			a.mu.Unlock()
		}()
		select {
		case p.sem <- struct{}{}:
		case <-p.ctx.Done():
			return
		}
		defer func() { <-p.sem }()
		p.check(p.ctx, a)
	})
}

func (p *pairer) onDiscovered(ev discovery.Event) {
	ad := ev.Adapter
	host := ad.HostPort()
	if host == "" {
		return
	}
	a := p.b.findAdapter(ad.DeviceID, ad.HostName, host)
	if a == nil {
		if p.b.isIgnored(ad.DeviceID, ad.HostName) {
			return
		}
		a = p.b.addDiscovered(ad.DeviceID, ad.HostName, host, "mdns")
		p.log.Info("adapter discovered", "device", ad.Key, "host", host)
	} else if a.setHost(host, ad.HostName) {
		p.b.structureDirty.Store(true)
		p.log.Info("adapter address changed", "device", a.label(), "host", host)
	}
	p.schedule(a)
}

// target returns the configuration the bridge wants on the adapter.
func (p *pairer) target(a *adapter) target {
	t := target{id: a.hook.ID, url: p.b.WebhookURL(a.hook.ID), mode: p.opts.Mode,
		interval: int(p.opts.Interval / time.Second)}
	if a.hook.Interval > 0 {
		t.interval = a.hook.Interval
	}
	if p.opts.FailoverURL != "" {
		t.failover = p.opts.FailoverURL + "/api/webhook/" + a.hook.ID
	}
	return t
}

// check reads the adapter's webhook configuration and acts on it.
func (p *pairer) check(ctx context.Context, a *adapter) {
	a.mu.Lock()
	host := a.hook.Host
	a.mu.Unlock()

	wh, err := p.client.GetWebhook(ctx, host)
	if err != nil {
		if ctx.Err() == nil {
			a.mu.Lock()
			p.recordReachable(a, false)
			first := a.pair.failures == 1
			a.pair.state = stateUnreachable
			a.pair.reason = "the adapter's API at " + host + " does not respond: " + err.Error()
			a.mu.Unlock()
			if first {
				p.log.Warn("adapter unreachable; checking less often until it responds",
					"device", a.label(), "host", host, "err", err)
			}
		}
		return
	}
	a.mu.Lock()
	p.recordReachable(a, true)
	a.mu.Unlock()
	p.recordCounters(a, wh)

	a.mu.Lock()
	t := p.target(a)
	act, state, reason := decide(a, wh, t)
	a.pair.state, a.pair.reason = state, reason
	firstCheck := a.pair.checks == 0
	a.pair.checks++
	a.mu.Unlock()
	if firstCheck && act == actNone && state == stateManaged {
		p.recheckSoon(a, t.interval)
	}
	p.b.structureDirty.Store(true)

	if act == actPush {
		if reason != "pairing" {
			p.log.Info("adapter configuration drifted, pushing again", "device", a.label(),
				"reason", reason)
		}
		p.push(ctx, a, host, t)
	}
}

// push sends the webhook configuration, reads the response and records what the
// adapter really holds.
func (p *pairer) push(ctx context.Context, a *adapter, host string, t target) {
	u := devicecfg.WebhookUpdate{URL: t.url, Failover: t.failover, Interval: t.interval,
		Enabled: true}
	res, err := p.client.SetWebhook(ctx, host, u)
	if errors.Is(err, devicecfg.ErrHTTPSUnsupported) && u.Failover != "" {
		p.log.Warn("adapter cannot post to an https:// failover URL; pushing without it",
			"device", a.label())
		u.Failover = ""
		res, err = p.client.SetWebhook(ctx, host, u)
	}
	switch {
	case errors.Is(err, devicecfg.ErrURLTooLong):
		p.setState(a, stateNotPosting, "the webhook URL is longer than the 191 characters the "+
			"adapter stores: use a shorter --public-url or --failover-url")
		return
	case err != nil:
		p.setState(a, stateUnreachable, "pushing the webhook configuration failed: "+err.Error())
		p.log.Warn("pushing webhook configuration failed", "device", a.label(), "err", err)
		return
	}
	p.recordCounters(a, res)
	p.recordPush(a, res, t)
	p.fetchMeta(ctx, a, host)
}

func (p *pairer) recordPush(a *adapter, res devicecfg.Webhook, t target) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case res.ManualOverride && !isOurs(res.URL, t.id):
		a.pair.state, a.pair.reason = stateUserSettings, "WebHook is set to Enable User "+
			"Settings: the adapter ignored the configuration; type this bridge's webhook URL "+
			"into the adapter to send data here"
	case res.URL != t.url || res.Interval != t.interval || !res.Enabled:
		a.pair.state, a.pair.reason = stateNotPosting, "the adapter answered but did not take "+
			"the configuration ("+driftOf(res, t)+")"
	default:
		a.hook.Managed, a.hook.Interval = true, t.interval
		a.pair.state, a.pair.reason = stateManaged, ""
		a.pair.pushedAt = time.Now()
		p.log.Info("adapter paired", "device", a.labelLocked(), "host", a.hook.Host,
			"interval", t.interval, "failover", res.Failover() != "")
		p.recheckSoon(a, t.interval)
	}
	p.b.structureDirty.Store(true)
}

// recheckSoon reads the adapter's webhook counters again after a few posting intervals,
// so that the counters shown after pairing or a restart are not left at their old values
// until the next periodic check.
func (p *pairer) recheckSoon(a *adapter, interval int) {
	delay := max(3*time.Duration(interval)*time.Second, 10*time.Second)
	if delay >= p.opts.CheckPeriod {
		return
	}
	time.AfterFunc(delay, func() { p.schedule(a) })
}

// fetchMeta reads the adapter's parameter metadata, which changed-only posts never carry.
func (p *pairer) fetchMeta(ctx context.Context, a *adapter, host string) {
	meta, err := p.client.CarConfig(ctx, host)
	if err != nil {
		p.log.Debug("adapter metadata not read", "device", a.label(), "err", err)
		return
	}
	converted := make(map[string]payload.Meta, len(meta))
	for name, m := range meta {
		converted[name] = payload.Meta{Class: m.Class, Unit: m.Unit}
	}
	p.b.applyAndSend(a, &payload.Post{Meta: converted})
}

// healAll reads current values from posting adapters, recovering changes that a failed
// changed-only post lost for good.
func (p *pairer) healAll() {
	for _, a := range p.b.list() {
		a.mu.Lock()
		host, online := a.hook.Host, a.online
		a.mu.Unlock()
		if host == "" || !online {
			continue
		}
		p.wg.Go(func() {
			values, err := p.client.AutoPIDData(p.ctx, host)
			if err != nil {
				return
			}
			post := &payload.Post{}
			for name, v := range values {
				if val, ok := payload.ValueOf(v); ok {
					post.Params = append(post.Params, payload.Param{Name: name, Value: val})
				}
			}
			p.b.applyAndSend(a, post)
		})
	}
}

func (p *pairer) setState(a *adapter, state, reason string) {
	a.mu.Lock()
	a.pair.state, a.pair.reason = state, reason
	a.mu.Unlock()
}

// recordCounters keeps the adapter's own webhook counters and publishes them when they
// changed.
func (p *pairer) recordCounters(a *adapter, wh devicecfg.Webhook) {
	a.mu.Lock()
	stats := &webhookStats{OK: wh.SuccessCount, Fail: wh.FailCount, LastError: wh.LastError,
		Status: wh.Status}
	changed := a.deviceHook == nil || *a.deviceHook != *stats
	a.deviceHook = stats
	a.pair.device = &wh
	if changed && a.hook.Bound && a.announced {
		p.b.send(p.b.topics.DiagnosticsMessage(a.node, a.diagnostics()))
	}
	a.mu.Unlock()
}

// requestMeta fetches the adapter's metadata when a post brought parameters the bridge
// has no metadata for, at most once per HealPeriod.
func (p *pairer) requestMeta(a *adapter) {
	a.mu.Lock()
	host := a.hook.Host
	due := host != "" && time.Since(a.metaAsked) > p.opts.HealPeriod
	if due {
		a.metaAsked = time.Now()
	}
	a.mu.Unlock()
	if !due || p.ctx == nil || p.ctx.Err() != nil {
		return
	}
	p.wg.Go(func() { p.fetchMeta(p.ctx, a, host) })
}
