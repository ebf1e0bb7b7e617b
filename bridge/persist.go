package bridge

import (
	"context"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wican-bridge/wican-bridge/discovery"
	"github.com/wican-bridge/wican-bridge/store"
)

// How soon changes reach the state file. Webhooks and bindings must survive a crash, so
// they are saved quickly. Values change with every post and are only a head start after
// a restart, since adapters keep posting, so they are saved less often.
const (
	structureSaveDelay = time.Second
	valuesSaveDelay    = 30 * time.Second
)

// snapshots returns the persisted part of every adapter, each copied when it is
// reached, and the ignored adapters.
func (b *Bridge) snapshots() (iter.Seq[*store.Webhook], []string) {
	list := b.list()
	b.mu.RLock()
	ignored := slices.Sorted(maps.Keys(b.ignored))
	b.mu.RUnlock()
	return func(yield func(*store.Webhook) bool) {
		// SaveEach writes each webhook before it takes the next, so one webhook record and
		// its collections serve every adapter.
		var h store.Webhook
		values := make(map[string]store.Value)
		var removed []string
		for _, a := range list {
			a.snapshot(&h, values, removed[:0])
			removed = h.Removed
			if !yield(&h) {
				return
			}
		}
	}, ignored
}

// snapshot fills h with the adapter's webhook, last values and diagnostics. It clears
// values and appends to removed, and h refers to both afterwards.
func (a *adapter) snapshot(h *store.Webhook, values map[string]store.Value, removed []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	*h = *a.hook
	h.ECU, h.Battery12V, h.RemoteIP = a.ecu, a.battery, a.remoteIP
	clear(values)
	for name, p := range a.params {
		values[name] = store.Value{Num: p.value.Num, Text: p.value.Text, Kind: p.value.Kind}
	}
	h.Values = values
	for key := range a.removed {
		removed = append(removed, key)
	}
	h.Removed = removed
}

// Save writes the state file now.
func (b *Bridge) Save() error {
	b.structureDirty.Store(false)
	b.valuesDirty.Store(false)
	webhooks, ignored := b.snapshots()
	return store.SaveEach(b.opts.DataDir, webhooks, ignored)
}

// runSaver saves changes in the background until ctx ends, then saves once more.
func (b *Bridge) runSaver(ctx context.Context) {
	tick := time.NewTicker(structureSaveDelay)
	defer tick.Stop()
	lastValues := time.Now()
	for {
		select {
		case <-ctx.Done():
			if err := b.Save(); err != nil {
				b.log.Error("saving state at shutdown failed", "err", err)
			}
			return
		case now := <-tick.C:
			due := b.structureDirty.Load() ||
				(b.valuesDirty.Load() && now.Sub(lastValues) >= valuesSaveDelay)
			if !due {
				continue
			}
			lastValues = now
			if err := b.Save(); err != nil {
				b.log.Error("saving state failed, will retry", "dir", b.opts.DataDir, "err", err)
				b.structureDirty.Store(true)
			}
		}
	}
}

// runOnlineCheck marks silent adapters offline until ctx ends.
func (b *Bridge) runOnlineCheck(ctx context.Context) {
	period := min(time.Second, b.opts.MinOffline/4)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			b.CheckOnline(now)
		}
	}
}

// Run runs the bridge's background work until ctx ends: marking silent adapters offline,
// pairing adapters when EnablePairing was called, and saving state. events carries
// adapters found by mDNS and may be nil.
func (b *Bridge) Run(ctx context.Context, events <-chan discovery.Event) {
	var wg sync.WaitGroup
	wg.Go(func() { b.runOnlineCheck(ctx) })
	wg.Go(func() { b.runAnnouncer(ctx) })
	if b.pairer != nil {
		wg.Go(func() { b.pairer.run(ctx, events) })
	}
	b.runSaver(ctx)
	wg.Wait()
}
