package main

import (
	"encoding/json"
	"sync"
	"time"
)

// Sources of a value in the ledger.
const (
	sourcePost = "post" // a webhook post
	sourceRead = "read" // GET /autopid_data by the bridge, which it merges like a post
)

// ledgerValue is one parameter value the bridge received, and when.
type ledgerValue struct {
	value  any
	at     time.Time
	source string
}

// deviceLedger is the record of the traffic between one adapter and the bridge.
type deviceLedger struct {
	// posted merges every post the adapter made, accepted or not, with the time of the
	// last post that carried each parameter. In changed mode this is what the adapter's
	// diff starts from, so it is what the adapter believes it delivered.
	posted map[string]ledgerValue
	// received is the latest value per parameter that the bridge received, from accepted
	// posts and from its own reads. previous is the value before it.
	received, previous map[string]ledgerValue

	lastAccepted time.Time // when the bridge last accepted a post (HTTP 2xx)
}

// ledger records the traffic between the adapters and the bridge, as the proxies see it.
type ledger struct {
	mu       sync.Mutex
	byPath   map[string]string // webhook path to device id
	devices  map[string]*deviceLedger
	unmapped int // posts on a webhook path whose device id was never seen
}

func newLedger() *ledger {
	return &ledger{byPath: map[string]string{}, devices: map[string]*deviceLedger{}}
}

// postBody is the part of a firmware-shape post that the ledger reads.
type postBody struct {
	Status struct {
		DeviceID string `json:"device_id"`
	} `json:"status"`
	AutoPIDData map[string]any `json:"autopid_data"`
}

// recordPost records one post to path and whether the bridge accepted it. The device id
// comes from the post's status section. Changed-only posts leave it out after the first
// post since boot, so later posts are matched by their webhook path.
func (l *ledger) recordPost(path string, body []byte, accepted bool, at time.Time) {
	var p postBody
	if json.Unmarshal(body, &p) != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	id := p.Status.DeviceID
	if id != "" {
		l.byPath[path] = id
	} else if id = l.byPath[path]; id == "" {
		l.unmapped++
		return
	}

	d := l.device(id)
	for name, v := range p.AutoPIDData {
		d.posted[name] = ledgerValue{value: v, at: at, source: sourcePost}
	}
	if !accepted {
		return
	}
	d.lastAccepted = at
	d.merge(p.AutoPIDData, at, sourcePost)
}

// recordRead records the values of a GET /autopid_data that the bridge made.
func (l *ledger) recordRead(id string, body []byte, at time.Time) {
	var values map[string]any
	if json.Unmarshal(body, &values) != nil || len(values) == 0 {
		return
	}
	if _, failed := values["error"]; failed && len(values) == 1 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.device(id)
	d.merge(values, at, sourceRead)
}

// device returns the ledger of id, creating it. Call with mu held.
func (l *ledger) device(id string) *deviceLedger {
	d := l.devices[id]
	if d == nil {
		d = &deviceLedger{posted: map[string]ledgerValue{}, received: map[string]ledgerValue{},
			previous: map[string]ledgerValue{}}
		l.devices[id] = d
	}
	return d
}

func (d *deviceLedger) merge(values map[string]any, at time.Time, source string) {
	for name, v := range values {
		if old, ok := d.received[name]; ok {
			d.previous[name] = old
		}
		d.received[name] = ledgerValue{value: v, at: at, source: source}
	}
}
