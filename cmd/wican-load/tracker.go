package main

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// tracker matches the state messages the bridge publishes to the values the load tool
// posted. Every posted value is unique across the run, so a value alone identifies the
// post that carried it.
type tracker struct {
	mu        sync.Mutex
	slots     map[string]int32 // state topic → slot (adapter × parameter)
	pending   map[int64]pendingValue
	final     []int64 // last value posted, by slot
	arrived   []bool  // final value received, by slot
	latencies []time.Duration

	messages atomic.Int64 // live messages under the subscribed filter
}

// pendingValue is a posted value not yet seen on MQTT.
type pendingValue struct {
	slot int32
	sent time.Time
}

func newTracker(slots int) *tracker {
	return &tracker{
		slots:   make(map[string]int32, slots),
		pending: make(map[int64]pendingValue),
		final:   make([]int64, slots),
		arrived: make([]bool, slots),
	}
}

// addTopic maps a state topic to its slot. Call before any message arrives.
func (t *tracker) addTopic(topic string, slot int32) {
	t.slots[topic] = slot
}

// expect records values about to be posted at sent.
func (t *tracker) expect(slots []int32, values []int64, sent time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, slot := range slots {
		t.pending[values[i]] = pendingValue{slot: slot, sent: sent}
		t.final[slot] = values[i]
		t.arrived[slot] = false
	}
}

// forget drops the values of a post the bridge did not accept. previous are the values
// the slots had before, which stay the ones expected.
func (t *tracker) forget(slots []int32, values, previous []int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, slot := range slots {
		delete(t.pending, values[i])
		if t.final[slot] == values[i] {
			t.final[slot] = previous[i]
			t.arrived[slot] = true
		}
	}
}

// receive handles one MQTT message. Retained messages are old state and are ignored.
func (t *tracker) receive(topic string, payload []byte, retained bool, at time.Time) {
	if retained {
		return
	}
	t.messages.Add(1)
	slot, ok := t.slots[topic]
	if !ok {
		return
	}
	value, err := strconv.ParseInt(string(payload), 10, 64)
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.pending[value]
	if !ok || p.slot != slot {
		return
	}
	delete(t.pending, value)
	t.latencies = append(t.latencies, at.Sub(p.sent))
	if t.final[slot] == value {
		t.arrived[slot] = true
	}
}

// lost returns the number of slots whose final value has not arrived.
func (t *tracker) lost() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, ok := range t.arrived {
		if !ok {
			n++
		}
	}
	return n
}

// superseded returns how many posted values never arrived because a newer value for
// the same slot replaced them, as the bridge's per-topic queue does under load.
func (t *tracker) superseded() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for value, p := range t.pending {
		if t.final[p.slot] != value {
			n++
		}
	}
	return n
}

// takeLatencies returns the POST-to-MQTT latencies recorded so far and resets them.
func (t *tracker) takeLatencies() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.latencies
	t.latencies = nil
	return l
}
