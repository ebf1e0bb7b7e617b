package publish

import (
	"sync"
	"time"
)

// queue holds messages waiting to be published, at most one per topic. A newer message
// for a topic that is still waiting replaces the older one in place. So the queue never
// grows past the number of distinct topics, and the order of first arrival is kept: a
// discovery config queued before its first state still goes out first.
type queue struct {
	mu      sync.Mutex
	pending []Message // waiting messages are pending[head:]
	head    int
	// index maps a waiting message's topic to its position counted from the first
	// message ever queued, so positions stay valid when take moves pending's contents
	// to the front. The message is at pending[index[topic]-base].
	index map[string]int
	base  int
	ready chan struct{}
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
		if pos, ok := q.index[m.Topic]; ok {
			// The replaced message's wait counts, so the latency covers the whole delay.
			i := pos - q.base
			m.queued = q.pending[i].queued
			q.pending[i] = m
			continue
		}
		q.index[m.Topic] = q.base + len(q.pending)
		q.pending = append(q.pending, m)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take removes and returns up to n waiting messages, oldest first, appended to buf[:0].
func (q *queue) take(buf []Message, n int) []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	end := min(q.head+n, len(q.pending))
	buf = append(buf[:0], q.pending[q.head:end]...)
	for _, m := range buf {
		delete(q.index, m.Topic)
	}
	clear(q.pending[q.head:end])
	q.head = end
	switch {
	case q.head == len(q.pending):
		q.base += len(q.pending)
		q.head = 0
		if cap(q.pending) > maxKeptBatch {
			// After a backlog, let the grown slice and map go instead of keeping their size.
			q.pending, q.index = nil, make(map[string]int)
		} else {
			q.pending = q.pending[:0]
		}
	case q.head >= len(q.pending)/2:
		// A queue that never empties would otherwise keep appending behind the taken
		// messages and grow with every message ever queued, not with those waiting.
		n := copy(q.pending, q.pending[q.head:])
		clear(q.pending[n:])
		q.pending = q.pending[:n]
		q.base += q.head
		q.head = 0
	}
	return buf
}

// requeue puts back messages that could not be published, ahead of the others, unless a
// newer message for the same topic arrived meanwhile.
func (q *queue) requeue(msgs []Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	older := make([]Message, 0, len(msgs)+len(q.pending)-q.head)
	for _, m := range msgs {
		if _, newer := q.index[m.Topic]; !newer {
			older = append(older, m)
		}
	}
	q.pending = append(older, q.pending[q.head:]...)
	q.head = 0
	clear(q.index)
	for i, m := range q.pending {
		q.index[m.Topic] = q.base + i
	}
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending) - q.head
}
