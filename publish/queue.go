package publish

import (
	"sync"
	"time"
)

// queue holds messages waiting to be published, at most one per topic. A newer message
// for a topic that is still waiting replaces the older one in place, so the queue never
// grows past the number of distinct topics and the order of first arrival is kept:
// a discovery config queued before its first state still goes out first.
type queue struct {
	mu      sync.Mutex
	pending []Message
	index   map[string]int
	ready   chan struct{}
}

func newQueue() *queue {
	return &queue{index: make(map[string]int), ready: make(chan struct{}, 1)}
}

func (q *queue) push(msgs ...Message) {
	if len(msgs) == 0 {
		return
	}
	now := time.Now()
	q.mu.Lock()
	for _, m := range msgs {
		m.queued = now
		if i, ok := q.index[m.Topic]; ok {
			// The replaced message's wait counts, so the latency covers the whole delay.
			m.queued = q.pending[i].queued
			q.pending[i] = m
			continue
		}
		q.index[m.Topic] = len(q.pending)
		q.pending = append(q.pending, m)
	}
	q.mu.Unlock()

	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take removes and returns every waiting message, oldest first. buf is reused when it
// has room.
func (q *queue) take(buf []Message) []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf[:0], q.pending...)
	if cap(q.pending) > maxKeptBatch {
		// After a backlog, let the grown slice and map go instead of keeping their size.
		q.pending, q.index = nil, make(map[string]int)
	} else {
		clear(q.pending)
		q.pending = q.pending[:0]
		clear(q.index)
	}
	return buf
}

// requeue puts back messages that could not be published, unless a newer message for
// the same topic arrived meanwhile.
func (q *queue) requeue(msgs []Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	older := make([]Message, 0, len(msgs)+len(q.pending))
	for _, m := range msgs {
		if _, newer := q.index[m.Topic]; !newer {
			older = append(older, m)
		}
	}
	q.pending = append(older, q.pending...)
	clear(q.index)
	for i, m := range q.pending {
		q.index[m.Topic] = i
	}
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}
