package bridge

import (
	"maps"
	"strings"
)

// retireDuplicate handles an adapter that posts to a new webhook while an older webhook
// is bound to the same device_id, as after a user lost the URL and created another. The
// newer webhook takes over the older record (name, pairing, metadata, deleted entities,
// values it has not posted yet) and the older webhook is retired, so one adapter never
// appears as two devices with the same id.
func (b *Bridge) retireDuplicate(newer *adapter) {
	newer.mu.Lock()
	deviceID, newerID := newer.hook.DeviceID, newer.hook.ID
	newer.mu.Unlock()

	key := strings.ToLower(deviceID)
	b.mu.Lock()
	older := b.byDevice[key]
	b.byDevice[key] = newer
	b.mu.Unlock()
	if older == newer || older == nil || older.hookID() == newerID {
		return
	}

	older.mu.Lock()
	old := *older.hook
	oldMeta := older.hook.Meta // never changed in place
	oldRemoved := maps.Clone(older.removed)
	oldParams := maps.Clone(older.params)
	oldPair := older.pair
	older.mu.Unlock()

	b.mu.Lock()
	delete(b.adapters, old.ID)
	b.mu.Unlock()

	newer.mu.Lock()
	h := newer.hook
	if h.Name == "" {
		h.Name = old.Name
	}
	if h.Host == "" {
		h.Host, h.MDNSHost, h.Source, h.Approved = old.Host, old.MDNSHost, old.Source, old.Approved
		h.Interval = old.Interval
		newer.pair = oldPair
	}
	// The newer adapter's metadata wins, and the older one's fills the gaps.
	if len(oldMeta) > 0 {
		merged := maps.Clone(oldMeta)
		maps.Copy(merged, h.Meta)
		h.Meta = metaTables.share(merged)
	}
	maps.Copy(newer.removed, oldRemoved)
	for name, prm := range oldParams {
		if _, ok := newer.params[name]; !ok {
			newer.params[name] = prm
		}
	}
	// Each parameter was classified with one of the two tables, so classify every one with
	// the merged table, because a later value does so only when ha.SameEntity is false.
	for _, prm := range newer.params {
		newer.reclassify(prm)
	}
	b.send(newer.republishLocked(b.topics, nil)...)
	newer.mu.Unlock()

	b.structureDirty.Store(true)
	b.log.Warn("adapter now posts to a newer webhook; the older one is retired and its URL "+
		"gets 404", "device", deviceID, "retired", redact(old.ID), "webhook", redact(newerID))
}
