package main

import (
	"sync"
	"sync/atomic"

	"github.com/wican-bridge/wican-bridge/ha"
)

// simAdapter is one simulated adapter. Its mutex keeps its posts in order, as a real
// adapter posts one at a time.
type simAdapter struct {
	mu       sync.Mutex
	index    int
	webhook  string // webhook id
	deviceID string
	values   []int64
	posts    int64
}

// valueSeq hands out parameter values unique within the run. They start far from 0 and
// 1 so that no value reads as an on/off flag.
type valueSeq struct{ n atomic.Int64 }

func (s *valueSeq) next() int64 { return 1_000_000 + s.n.Add(1) }

// post is one rendered post and the values it changes, for the tracker.
type post struct {
	body     []byte
	slots    []int32 // tracker slots of the changed values
	values   []int64
	previous []int64
}

// slot returns the tracker slot of parameter i.
func (a *simAdapter) slot(i int) int32 { return int32(a.index*len(carParams) + i) }

// addTopics registers the adapter's state topics with the tracker.
func (a *simAdapter) addTopics(t *tracker, topics ha.Topics) {
	node := "wican_" + ha.ObjectID(a.deviceID)
	for i, p := range carParams {
		t.addTopic(topics.State(node, ha.ParamKey(p.name)), a.slot(i))
	}
}

// nextPost renders the adapter's next post into p. The first post is always full and
// sets every value. Later posts change k values, rotating through the parameters, and
// are full or changed-only by shape. Call with mu held.
func (a *simAdapter) nextPost(p *post, seq *valueSeq, k int, shape string) {
	p.slots, p.values, p.previous = p.slots[:0], p.values[:0], p.previous[:0]
	first := a.posts == 0
	changed := k
	if first {
		changed = len(carParams)
	}
	var indexes [32]int
	for j := range changed {
		i := int((a.posts*int64(k) + int64(j)) % int64(len(carParams)))
		if first {
			i = j
		}
		indexes[j] = i
		p.previous = append(p.previous, a.values[i])
		a.values[i] = seq.next()
		p.slots = append(p.slots, a.slot(i))
		p.values = append(p.values, a.values[i])
	}
	a.posts++
	uptime := 3600 + a.posts
	if first || shape == shapeFull {
		p.body = appendFull(p.body[:0], a.deviceID, uptime, a.values)
		return
	}
	p.body = appendChanged(p.body[:0], uptime, a.values, indexes[:changed])
}

// revert restores the values of a post the bridge did not accept. Call with mu held.
func (a *simAdapter) revert(p *post) {
	for j, slot := range p.slots {
		a.values[int(slot)-a.index*len(carParams)] = p.previous[j]
	}
}

// newAdapters creates the simulated adapters with device ids unique to this run, so
// that retained states of earlier runs never match.
func newAdapters(webhooks []string, runID uint32) []*simAdapter {
	list := make([]*simAdapter, len(webhooks))
	for i, id := range webhooks {
		list[i] = &simAdapter{index: i, webhook: id, deviceID: deviceID(runID, i),
			values: make([]int64, len(carParams))}
	}
	return list
}

// deviceID returns 12 hex digits, like the adapter's MAC-based id.
func deviceID(runID uint32, i int) string {
	const hex = "0123456789abcdef"
	v := uint64(runID&0xffffff)<<24 | uint64(i)&0xffffff
	var b [12]byte
	for j := 11; j >= 0; j-- {
		b[j] = hex[v&0xf]
		v >>= 4
	}
	return string(b[:])
}
