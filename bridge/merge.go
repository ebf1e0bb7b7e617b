package bridge

import (
	"maps"
	"time"
	"unique"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/publish"
)

// topics adds the bridge's message builders to Home Assistant's topic layout.
type topics struct {
	ha.Topics
}

// apply merges a post into the adapter's state and appends the MQTT messages that bring
// Home Assistant up to date: configs of new entities, states of changed values and one
// diagnostics message. A key missing from the post keeps its last value, because
// changed-only posts leave out every key that did not change.
func (a *adapter) apply(t *topics, p *payload.Post, now time.Time, remoteIP string,
	msgs []publish.Message) ([]publish.Message, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applyLocked(t, p, now, remoteIP, msgs)
}

// applyLocked is apply with mu held. Callers queue the messages before releasing mu, so
// that messages reach the broker in the order the state changed.
func (a *adapter) applyLocked(t *topics, p *payload.Post, now time.Time, remoteIP string,
	msgs []publish.Message) ([]publish.Message, error) {
	h := a.hook
	if p.DeviceID != "" && h.DeviceID != "" && p.DeviceID != h.DeviceID {
		a.rejected++
		return msgs, errIdentity
	}

	if !h.Bound {
		h.Bound, a.structChanged = true, true
	}
	msgs, deviceChanged := a.updateIdentity(t, p, remoteIP, msgs)
	metaChanged := a.updateMeta(p.Meta)
	a.structChanged = a.structChanged || deviceChanged || metaChanged
	announceAll := deviceChanged || !a.announced

	for _, pp := range p.Params {
		msgs = a.mergeParam(t, pp, announceAll, msgs)
	}
	a.updateDiagnostics(p, now)
	a.accepted++
	switch {
	case announceAll:
		// The announcer sends configs, states and diagnostics together, when the publish
		// queue has room.
		a.requestAnnounce()
		return msgs, nil
	case metaChanged:
		msgs = a.announcePending(t, msgs)
	}
	return append(msgs, t.DiagnosticsMessage(a.node, a.diagnostics())), nil
}

// requestAnnounce marks the adapter for the announcer. Call with mu held.
func (a *adapter) requestAnnounce() {
	if !a.announceWanted {
		a.announceWanted, a.announceQueued = true, true
	}
}

// update merges metadata or values read from the adapter's API. Unlike a post it does
// not count as a sign of life. Before the adapter's first post only metadata is kept.
// Call with mu held.
func (a *adapter) update(t *topics, p *payload.Post, msgs []publish.Message) []publish.Message {
	metaChanged := a.updateMeta(p.Meta)
	if !a.hook.Bound {
		return msgs
	}
	announceAll := !a.announced
	for _, pp := range p.Params {
		msgs = a.mergeParam(t, pp, announceAll, msgs)
	}
	switch {
	case announceAll:
		a.requestAnnounce()
	case metaChanged:
		msgs = a.announcePending(t, msgs)
	}
	return msgs
}

// updateIdentity learns the adapter's identity, versions and address. When the identity
// arrives after entities were published under the webhook's provisional node, those
// entities are removed so that Home Assistant does not keep two devices.
func (a *adapter) updateIdentity(t *topics, p *payload.Post, remoteIP string,
	msgs []publish.Message) ([]publish.Message, bool) {
	h := a.hook
	changed := false
	if p.DeviceID != "" && h.DeviceID == "" {
		if a.announced {
			msgs = a.removeEntities(t, msgs)
		}
		h.DeviceID = p.DeviceID
		a.node = nodeID(h)
		a.learned = true
		changed = true
	}
	if p.Firmware != "" && p.Firmware != h.Firmware {
		h.Firmware, changed = p.Firmware, true
	}
	if p.Hardware != "" && p.Hardware != h.Hardware {
		h.Hardware, changed = p.Hardware, true
	}
	if remoteIP != "" && remoteIP != a.remoteIP {
		a.remoteIP = remoteIP
		changed = changed || h.Host == ""
	}
	return msgs, changed
}

// updateMeta stores new metadata and reclassifies the parameters it describes. It
// reports whether anything changed. The adapter's table may be shared with other
// adapters, so a change builds a new table.
func (a *adapter) updateMeta(meta map[string]payload.Meta) bool {
	var table map[string]payload.Meta
	for name, m := range meta {
		if old, ok := a.hook.Meta[name]; ok && old == m {
			continue
		}
		if table == nil {
			table = make(map[string]payload.Meta, max(len(a.hook.Meta), len(meta)))
			maps.Copy(table, a.hook.Meta)
		}
		table[name] = m
	}
	if table == nil {
		return false
	}
	a.hook.Meta = metaTables.share(table)
	for name := range meta {
		if prm := a.params[name]; prm != nil {
			a.reclassify(prm)
		}
	}
	return true
}

// announcePending appends the config and state of every entity whose config has not
// been sent since it was last classified.
func (a *adapter) announcePending(t *topics, msgs []publish.Message) []publish.Message {
	for _, prm := range a.params {
		if !prm.announced {
			msgs = a.paramConfig(t, prm, msgs)
			msgs = append(msgs, t.stateMessage(a.node, prm))
		}
	}
	return msgs
}

func (a *adapter) reclassify(prm *param) {
	// Comparing with the current entity first is cheaper than unique.Make, which hashes
	// every field, and a new value rarely changes the classification.
	e := ha.Classify(prm.name(), metaFor(a.hook, prm.name()), prm.value)
	if e != prm.entity.Value() {
		prm.entity = unique.Make(e)
		prm.announced = false
	}
}

// mergeParam merges one value. Without announceAll it appends the config of a new or
// reclassified entity and the state when the value changed.
func (a *adapter) mergeParam(t *topics, pp payload.Param, announceAll bool,
	msgs []publish.Message) []publish.Message {
	prm := a.params[pp.Name]
	if prm == nil {
		if len(a.params) >= maxParams {
			a.dropped++
			return msgs
		}
		prm = &param{id: newParamID(pp.Name), value: pp.Value}
		meta := metaFor(a.hook, pp.Name)
		prm.entity = unique.Make(ha.Classify(pp.Name, meta, pp.Value))
		a.params[prm.name()] = prm
		a.needMeta = a.needMeta || meta == nil
	} else {
		if prm.value.Equal(pp.Value) && prm.announced {
			return msgs
		}
		previous := prm.value
		prm.value = pp.Value
		if !ha.SameEntity(previous, pp.Value) {
			a.reclassify(prm)
		}
	}
	if announceAll {
		return msgs
	}
	if !prm.announced {
		msgs = a.paramConfig(t, prm, msgs)
	}
	return append(msgs, t.stateMessage(a.node, prm))
}

// paramConfig appends the config of one entity. When the entity changed component (a
// number that turned out to be an on/off flag), the config under the old one is removed.
func (a *adapter) paramConfig(t *topics, prm *param, msgs []publish.Message) []publish.Message {
	prm.announced = true
	if a.removed[prm.key()] {
		return msgs
	}
	entity := prm.entity.Value()
	if prm.sentAs != "" && prm.sentAs != entity.Component {
		msgs = append(msgs, t.RemoveConfig(prm.sentAs, a.node, prm.key()))
	}
	prm.sentAs = entity.Component
	return append(msgs, t.ParamConfig(a.device(), prm.key(), prm.name(), entity))
}

// announce appends every discovery config of the adapter, then every state.
func (a *adapter) announce(t *topics, msgs []publish.Message) []publish.Message {
	dev := a.device()
	msgs = append(msgs, t.DiagnosticConfigs(dev, func(key string) bool { return a.removed[key] })...)
	for _, prm := range a.params {
		msgs = a.paramConfig(t, prm, msgs)
	}
	for _, prm := range a.params {
		msgs = append(msgs, t.stateMessage(a.node, prm))
	}
	a.announced = true
	return msgs
}

// republishLocked appends everything Home Assistant needs to rebuild the adapter's
// device: configs, states and diagnostics. Call with mu held.
func (a *adapter) republishLocked(t *topics, msgs []publish.Message) []publish.Message {
	if !a.hook.Bound {
		return msgs
	}
	msgs = a.announce(t, msgs)
	return append(msgs, t.DiagnosticsMessage(a.node, a.diagnostics()))
}

// removeEntities appends the messages that remove every entity of the adapter from
// Home Assistant. Call with mu held.
func (a *adapter) removeEntities(t *topics, msgs []publish.Message) []publish.Message {
	msgs = append(msgs, t.RemoveDiagnostics(a.node)...)
	for _, prm := range a.params {
		if prm.sentAs != "" {
			msgs = append(msgs, t.RemoveConfig(prm.sentAs, a.node, prm.key()))
		}
		prm.announced, prm.sentAs = false, ""
	}
	a.announced = false
	return msgs
}

func (a *adapter) updateDiagnostics(p *payload.Post, now time.Time) {
	if p.HasBattery {
		v := p.Battery
		a.battery = &v
	}
	if p.HasUptime {
		v := p.Uptime
		a.uptime = &v
	}
	if p.ECU != "" {
		a.ecu = p.ECU
	}
	if !a.prevPost.IsZero() && now.After(a.prevPost) {
		a.observed = now.Sub(a.prevPost)
	}
	a.prevPost = now
	a.hook.LastPost = now
	a.online = true
}

// offlineAfter returns how long the adapter may stay silent before it counts as offline:
// five intervals, and never less than minimum. The interval is the one pushed to the
// adapter, else the observed gap between its posts, else 15 s.
func (a *adapter) offlineAfter(minimum time.Duration) time.Duration {
	interval := 15 * time.Second
	switch {
	case a.hook.Interval > 0:
		interval = time.Duration(a.hook.Interval) * time.Second
	case a.observed > 0:
		interval = a.observed
	}
	return max(5*interval, minimum)
}

// checkOnline marks the adapter offline after a silence and appends the diagnostics
// message that tells Home Assistant.
// Call with mu held.
func (a *adapter) checkOnline(t *topics, now time.Time, minimum time.Duration,
	msgs []publish.Message) ([]publish.Message, bool) {
	if !a.online || now.Sub(a.prevPost) < a.offlineAfter(minimum) {
		return msgs, false
	}
	a.online = false
	return append(msgs, t.DiagnosticsMessage(a.node, a.diagnostics())), true
}
