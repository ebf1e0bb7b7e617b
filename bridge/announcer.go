package bridge

import (
	"context"
	"sync"
	"time"
)

// announceLowWater is the number of messages that may wait in the publish queue before the
// announcer holds back. Announcing one adapter costs about 70 messages (configs, states
// and diagnostics), so without this limit 10,000 adapters posting for the first time, or
// a reconnect, would queue about 700,000 messages at once.
const announceLowWater = 4096

// announcer publishes adapters' configs and states a few at a time, while the publish
// queue has room, so that memory stays bounded in a burst.
type announcer struct {
	mu   sync.Mutex
	list []*adapter
	wake chan struct{}
}

func (n *announcer) add(a *adapter) {
	n.mu.Lock()
	n.list = append(n.list, a)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *announcer) waiting() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.list) > 0
}

func (n *announcer) pop() *adapter {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.list) == 0 {
		return nil
	}
	a := n.list[0]
	n.list[0] = nil
	n.list = n.list[1:]
	if len(n.list) == 0 {
		n.list = nil
	}
	return a
}

// queued returns the number of messages waiting in the publish queue, when the sender
// reports it.
func (b *Bridge) queued() int {
	if p, ok := b.out.(interface{ Pending() int }); ok {
		return p.Pending()
	}
	return 0
}

// handOver passes the adapter to the announcer when apply or update requested it.
func (b *Bridge) handOver(a *adapter) {
	a.mu.Lock()
	queued := a.announceQueued
	a.announceQueued = false
	a.mu.Unlock()
	if queued {
		b.announcer.add(a)
	}
}

// runAnnouncer announces waiting adapters until ctx ends.
func (b *Bridge) runAnnouncer(ctx context.Context) {
	for {
		// Poll the queue only while adapters wait; otherwise sleep until one is added.
		var poll <-chan time.Time
		if b.announcer.waiting() {
			poll = time.After(20 * time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.announcer.wake:
		case <-poll:
		}
		for b.queued() < announceLowWater {
			a := b.announcer.pop()
			if a == nil {
				break
			}
			b.announce(a)
		}
	}
}

// announce publishes one adapter's configs, states and diagnostics, unless it was
// unpaired or announced meanwhile.
func (b *Bridge) announce(a *adapter) {
	a.mu.Lock()
	if !a.announceWanted {
		a.mu.Unlock()
		return
	}
	a.announceWanted = false
	id := a.hook.ID
	if b.lookup(id) == a {
		b.send(a.republishLocked(b.topics, nil)...)
	}
	a.mu.Unlock()
}
