package publish

import (
	"strconv"
	"testing"
)

func msg(topic, payload string) Message { return Message{Topic: topic, Payload: []byte(payload)} }

func TestQueueKeepsLatestPerTopic(t *testing.T) {
	q := newQueue()
	q.push(msg("config/a", "c1"), msg("state/a", "1"))
	q.push(msg("state/a", "2"), msg("state/b", "x"))
	got := q.take(nil, 1<<20)
	if len(got) != 3 {
		t.Fatalf("took %d messages, want 3 (one per topic)", len(got))
	}
	want := []struct{ topic, payload string }{{"config/a", "c1"}, {"state/a", "2"}, {"state/b", "x"}}
	for i, w := range want {
		if got[i].Topic != w.topic || string(got[i].Payload) != w.payload {
			t.Errorf("message %d = %s %s, want %s %s", i, got[i].Topic, got[i].Payload, w.topic, w.payload)
		}
	}
	if q.len() != 0 {
		t.Errorf("%d messages left after take, want 0", q.len())
	}
}

func TestQueueBoundedByTopics(t *testing.T) {
	q := newQueue()
	for i := range 10000 {
		q.push(msg("state/"+strconv.Itoa(i%7), strconv.Itoa(i)))
	}
	if q.len() != 7 {
		t.Errorf("%d messages queued for 7 topics, want 7", q.len())
	}
}

func TestRequeueYieldsToNewer(t *testing.T) {
	q := newQueue()
	q.push(msg("a", "old-a"), msg("b", "old-b"))
	failed := q.take(nil, 1<<20)
	q.push(msg("b", "new-b"))
	q.requeue(failed)
	got := q.take(nil, 1<<20)
	if len(got) != 2 {
		t.Fatalf("took %d messages, want 2", len(got))
	}
	if got[0].Topic != "a" || string(got[0].Payload) != "old-a" {
		t.Errorf("first = %s %s, want the failed a first", got[0].Topic, got[0].Payload)
	}
	if got[1].Topic != "b" || string(got[1].Payload) != "new-b" {
		t.Errorf("second = %s %s, want the newer b, not the failed one", got[1].Topic, got[1].Payload)
	}
}

func TestQueueTakesBoundedBatches(t *testing.T) {
	q := newQueue()
	for i := range 2500 {
		q.push(msg("state/"+strconv.Itoa(i), strconv.Itoa(i)))
	}
	q.push(msg("state/5", "newer"))
	first := q.take(nil, 1000)
	if len(first) != 1000 || first[0].Topic != "state/0" || string(first[5].Payload) != "newer" {
		t.Fatalf("first batch: %d messages, first %s, sixth %s", len(first), first[0].Topic, first[5].Payload)
	}
	q.push(msg("state/0", "again"))
	rest := q.take(nil, 5000)
	if len(rest) != 1501 {
		t.Fatalf("second batch: %d messages, want the 1500 left and the new one", len(rest))
	}
	if rest[0].Topic != "state/1000" || rest[len(rest)-1].Topic != "state/0" {
		t.Errorf("second batch runs %s to %s, want state/1000 to state/0", rest[0].Topic, rest[len(rest)-1].Topic)
	}
	if q.len() != 0 {
		t.Errorf("%d left, want 0", q.len())
	}
}

// A queue that is never empty when take runs must still hold only what waits.
func TestQueueNeverEmptyStaysSmall(t *testing.T) {
	q := newQueue()
	var buf []Message
	next := 0
	for range 5000 {
		for range 10 {
			q.push(msg("state/"+strconv.Itoa(next), strconv.Itoa(next)))
			next++
		}
		buf = q.take(buf, 9)
		for _, m := range buf {
			if m.Topic != "state/"+string(m.Payload) {
				t.Fatalf("took %s with payload %s", m.Topic, m.Payload)
			}
		}
	}
	waiting := q.len()
	if waiting != 5000 {
		t.Fatalf("%d messages wait, want 5000", waiting)
	}
	if cap(q.pending) > 4*waiting {
		t.Errorf("queue keeps room for %d messages while %d wait", cap(q.pending), waiting)
	}
	q.push(msg("state/49999", "newer"))
	rest := q.take(nil, 1<<20)
	if len(rest) != 5000 || rest[0].Topic != "state/45000" {
		t.Fatalf("took %d messages from %s, want 5000 from state/45000", len(rest), rest[0].Topic)
	}
	if last := rest[len(rest)-1]; string(last.Payload) != "newer" {
		t.Errorf("last message %s %s, want the newer payload", last.Topic, last.Payload)
	}
}
