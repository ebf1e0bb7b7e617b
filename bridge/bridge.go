// Package bridge receives WiCAN webhook posts and republishes them to Home Assistant.
package bridge

import (
	crand "crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// Sender delivers MQTT messages. *publish.Client is the real one.
type Sender interface {
	Send(msgs ...publish.Message)
}

// Options configures a Bridge.
type Options struct {
	Topics ha.Topics
	// PublicURL is the base URL adapters post to, such as "http://192.168.1.20:8780".
	PublicURL string
	DataDir   string
	// MinOffline is the shortest silence after which an adapter counts as offline; 120 s
	// when zero.
	MinOffline time.Duration
	// BirthDelay is the longest random delay before resending everything after Home
	// Assistant's birth message; 5 s when zero.
	BirthDelay time.Duration
	UIAccess   UIAccess
	Logger     *slog.Logger
}

// Bridge is the registry of webhooks and adapters, and the HTTP handlers around it.
type Bridge struct {
	opts   Options
	log    *slog.Logger
	topics *topics
	out    Sender
	stats  stats

	mu       sync.RWMutex
	adapters map[string]*adapter // by webhook id
	ignored  map[string]bool     // unpaired adapters, by lower-case device id or address
	byDevice map[string]*adapter // bound adapters, by lower-case device id
	pairer   *pairer
	removals removals

	structureDirty atomic.Bool // webhooks, bindings or metadata changed
	valuesDirty    atomic.Bool
	birthTimer     *time.Timer
	birthMu        sync.Mutex
	announcer      announcer
	unknownLog     rateLimit // posts to unknown webhooks
	emptyLog       rateLimit // posts with nothing the bridge reads
}

// New creates a bridge from persisted state.
func New(opts Options, st *store.State, out Sender) *Bridge {
	adapters := make([]*adapter, 0, len(st.Webhooks))
	for _, hook := range st.Webhooks {
		adapters = append(adapters, newAdapter(hook))
	}
	return newBridge(opts, adapters, st.Ignored, out)
}

// newBridge creates a bridge from adapters built from their persisted webhooks.
func newBridge(opts Options, adapters []*adapter, ignored []string, out Sender) *Bridge {
	if opts.MinOffline == 0 {
		opts.MinOffline = 120 * time.Second
	}
	if opts.BirthDelay == 0 {
		opts.BirthDelay = 5 * time.Second
	}
	b := &Bridge{
		opts:     opts,
		log:      opts.Logger,
		topics:   &topics{opts.Topics},
		out:      out,
		adapters: make(map[string]*adapter, len(adapters)),
		ignored:  make(map[string]bool, len(ignored)),
		byDevice: make(map[string]*adapter, len(adapters)),
	}
	for _, k := range ignored {
		b.ignored[k] = true
	}
	b.stats.init()
	b.announcer.wake = make(chan struct{}, 1)
	b.unknownLog.period, b.emptyLog.period = time.Minute, time.Minute
	for _, a := range adapters {
		b.adapters[a.hook.ID] = a
		if a.hook.DeviceID != "" {
			b.byDevice[strings.ToLower(a.hook.DeviceID)] = a
		}
	}
	return b
}

// newWebhookID returns 128 random bits as 32 hex characters.
func newWebhookID() string {
	var buf [16]byte
	if _, err := crand.Read(buf[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(buf[:])
}

// redact shortens a webhook id for logs: the whole id is a secret.
func redact(id string) string {
	if len(id) <= 4 {
		return "…"
	}
	return id[:4] + "…"
}

// CreateWebhook creates a webhook. The first adapter that posts to it is bound to it.
func (b *Bridge) CreateWebhook(name string) *store.Webhook {
	hook := &store.Webhook{ID: newWebhookID(), Name: name, Created: time.Now().UTC()}
	b.mu.Lock()
	b.adapters[hook.ID] = newAdapter(hook)
	b.mu.Unlock()
	b.structureDirty.Store(true)
	b.log.Info("webhook created", "webhook", redact(hook.ID), "name", name)
	return hook
}

// WebhookURL returns the URL an adapter posts to for a webhook id.
func (b *Bridge) WebhookURL(id string) string {
	return strings.TrimRight(b.opts.PublicURL, "/") + "/api/webhook/" + id
}

func (b *Bridge) lookup(id string) *adapter {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.adapters[id]
}

// list returns the adapters sorted by creation time, then id.
func (b *Bridge) list() []*adapter {
	list := b.all()
	sort.Slice(list, func(i, j int) bool {
		hi, hj := list[i].hook, list[j].hook
		if !hi.Created.Equal(hj.Created) {
			return hi.Created.Before(hj.Created)
		}
		return hi.ID < hj.ID
	})
	return list
}

// all returns the adapters in no particular order, for work that visits each one and
// needs no order, at a fraction of the cost of sorting 10,000 adapters.
func (b *Bridge) all() []*adapter {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return slices.Collect(maps.Values(b.adapters))
}

// Republish sends every adapter's configs and states again, through the announcer. The
// MQTT client calls it after each (re)connect.
func (b *Bridge) Republish() {
	for _, a := range b.list() {
		a.mu.Lock()
		if a.hook.Bound {
			a.announced = false
			a.requestAnnounce()
		}
		a.mu.Unlock()
		b.handOver(a)
	}
}

// HandleHAStatus reacts to Home Assistant's status topic. After "online" (Home Assistant
// started) everything is resent after a short random delay, so that a fleet of
// publishers does not answer at the same instant.
func (b *Bridge) HandleHAStatus(_ string, payload []byte) {
	if string(payload) != "online" {
		return
	}
	delay := time.Duration(rand.Int64N(int64(b.opts.BirthDelay)))
	b.birthMu.Lock()
	defer b.birthMu.Unlock()
	if b.birthTimer != nil {
		b.birthTimer.Stop()
	}
	b.birthTimer = time.AfterFunc(delay, func() {
		b.log.Info("Home Assistant started, resending discovery and states")
		b.Republish()
	})
}

// CheckOnline marks adapters offline after their silence limit.
func (b *Bridge) CheckOnline(now time.Time) {
	var msgs []publish.Message
	for _, a := range b.all() {
		a.mu.Lock()
		var offline bool
		msgs, offline = a.checkOnline(b.topics, now, b.opts.MinOffline, msgs[:0])
		if offline {
			b.send(msgs...)
		}
		a.mu.Unlock()
		if offline {
			b.log.Info("adapter offline: no post within its limit", "device", a.label())
		}
	}
}

// label names the adapter in logs: its device id, else its provisional node id.
func (a *adapter) label() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.labelLocked()
}

func (a *adapter) labelLocked() string {
	if a.hook.DeviceID != "" {
		return a.hook.DeviceID
	}
	return a.node
}
