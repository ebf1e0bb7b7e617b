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
	got := q.take(nil)
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
	failed := q.take(nil)
	q.push(msg("b", "new-b"))
	q.requeue(failed)
	got := q.take(nil)
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
