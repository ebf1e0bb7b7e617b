package bridge

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// findAdapter returns the adapter with this device id, mDNS host name or API address.
func (b *Bridge) findAdapter(deviceID, mdnsHost, host string) *adapter {
	for _, a := range b.list() {
		a.mu.Lock()
		h := a.hook
		match := (deviceID != "" && strings.EqualFold(h.DeviceID, deviceID)) ||
			(mdnsHost != "" && strings.EqualFold(h.MDNSHost, mdnsHost)) ||
			(host != "" && h.Host == host)
		a.mu.Unlock()
		if match {
			return a
		}
	}
	return nil
}

// findNode returns the adapter whose Home Assistant device id is node.
func (b *Bridge) findNode(node string) *adapter {
	for _, a := range b.list() {
		a.mu.Lock()
		match := a.node == node
		a.mu.Unlock()
		if match {
			return a
		}
	}
	return nil
}

func (b *Bridge) isIgnored(keys ...string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, k := range keys {
		if k != "" && b.ignored[strings.ToLower(k)] {
			return true
		}
	}
	return false
}

func (b *Bridge) setIgnored(ignored bool, keys ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if k == "" {
			continue
		}
		if ignored {
			b.ignored[strings.ToLower(k)] = true
		} else {
			delete(b.ignored, strings.ToLower(k))
		}
	}
	b.structureDirty.Store(true)
}

// addDiscovered creates the record of an adapter found on the network. Its webhook id
// is made now and pushed when the adapter is paired.
func (b *Bridge) addDiscovered(deviceID, mdnsHost, host, source string) *adapter {
	hook := &store.Webhook{ID: newWebhookID(), Created: time.Now().UTC(),
		DeviceID: strings.ToLower(deviceID), Host: host, MDNSHost: mdnsHost, Source: source}
	a := newAdapter(hook)
	a.pair = &pairInfo{state: stateWaiting, reason: "checking the adapter"}
	b.mu.Lock()
	b.adapters[hook.ID] = a
	b.mu.Unlock()
	b.structureDirty.Store(true)
	return a
}

// AddAdapter adds an adapter by the address of its API and pairs it. It returns the
// existing adapter when the address is known already.
func (b *Bridge) AddAdapter(host, source string) (*adapter, error) {
	host = strings.TrimSpace(host)
	if err := validateHost(host); err != nil {
		return nil, err
	}
	if b.pairer == nil {
		return nil, fmt.Errorf("pairing is off in this bridge")
	}
	b.setIgnored(false, host)
	a := b.findAdapter("", "", host)
	if a == nil {
		a = b.addDiscovered("", "", host, source)
		b.log.Info("adapter added by address", "host", host, "source", source)
	}
	if source == "api" {
		a.mu.Lock()
		a.hook.Approved = true
		a.mu.Unlock()
	}
	b.pairer.schedule(a)
	return a, nil
}

func validateHost(host string) error {
	if host == "" || strings.ContainsAny(host, "/?#@ \t") {
		return fmt.Errorf("%q is not an adapter address: give a host name or IP, optionally with :port", host)
	}
	if h, port, err := net.SplitHostPort(host); err == nil {
		if h == "" || port == "" {
			return fmt.Errorf("%q is not host:port", host)
		}
	}
	return nil
}

// setHost records a new address of the adapter and reports whether it changed.
func (a *adapter) setHost(host, mdnsHost string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if mdnsHost != "" {
		a.hook.MDNSHost = mdnsHost
	}
	if a.hook.Host == host {
		return false
	}
	a.hook.Host = host
	if a.pair == nil {
		a.pair = &pairInfo{state: stateWaiting, reason: "checking the adapter"}
	}
	return true
}

// applyAndSend merges an update read from the adapter's API and publishes the result.
func (b *Bridge) applyAndSend(a *adapter, p *payload.Post) {
	a.mu.Lock()
	b.send(a.update(b.topics, p, nil)...)
	a.mu.Unlock()
	b.handOver(a)
	if len(p.Meta) > 0 {
		b.structureDirty.Store(true)
	}
	b.valuesDirty.Store(true)
}

// forget removes an adapter: its entities and retained states leave Home Assistant and
// its record leaves the state file.
func (b *Bridge) forget(a *adapter) {
	a.mu.Lock()
	msgs := a.removeEntities(b.topics, nil)
	for _, prm := range a.params {
		msgs = append(msgs, publish.Message{Topic: b.topics.State(a.node, prm.key()),
			Payload: []byte{}, Retain: true})
	}
	msgs = append(msgs, publish.Message{Topic: b.topics.Diagnostics(a.node), Payload: []byte{},
		Retain: true})
	id := a.hook.ID
	b.send(msgs...)
	a.mu.Unlock()

	b.mu.Lock()
	delete(b.adapters, id)
	for key, other := range b.byDevice {
		if other == a {
			delete(b.byDevice, key)
		}
	}
	b.mu.Unlock()
	b.structureDirty.Store(true)
}
