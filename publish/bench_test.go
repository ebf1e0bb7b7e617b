package publish

import (
	"strconv"
	"testing"
)

// postMessages returns the messages of one post to adapter a with k changed values:
// k states and the diagnostics object, with topics shaped like the bridge's.
func postMessages(a, k int) []Message {
	node := "wican-bridge/wican_" + strconv.Itoa(100000+a)
	msgs := make([]Message, 0, k+1)
	for i := range k {
		msgs = append(msgs, Message{Topic: node + "/param_" + strconv.Itoa(i),
			Payload: []byte("71.5"), Retain: true})
	}
	return append(msgs, Message{Topic: node + "/_diagnostics",
		Payload: []byte(`{"battery_12v":12.6,"uptime":3723,"online":"ON"}`), Retain: true})
}

// BenchmarkQueue pushes the messages of one post per iteration (5 states and the
// diagnostics object) and takes everything as the publishing loop does. With more than
// one post per take the same topics come again before the take and replace the waiting
// messages in place.
func BenchmarkQueue(b *testing.B) {
	cases := []struct {
		name              string
		adapters, perTake int
	}{
		{"take-every-post", 1, 1},
		{"10-posts-per-take", 1, 10},
		{"100-adapters-1000-posts-per-take", 100, 10},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			batches := make([][]Message, c.adapters)
			for a := range batches {
				batches[a] = postMessages(a, 5)
			}
			q := newQueue()
			var buf []Message
			posts, takenMessages := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				q.push(batches[posts%c.adapters]...)
				posts++
				if posts%(c.adapters*c.perTake) == 0 {
					buf = q.take(buf, 1<<20)
					takenMessages += len(buf)
				}
			}
			b.ReportMetric(float64(takenMessages)/float64(b.N), "taken/op")
		})
	}
}

// BenchmarkQueueParallel pushes from every CPU at once, as concurrent webhook handlers do.
func BenchmarkQueueParallel(b *testing.B) {
	q := newQueue()
	msgs := postMessages(0, 5)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf []Message
		n := 0
		for pb.Next() {
			q.push(msgs...)
			n++
			if n%10 == 0 {
				buf = q.take(buf, 1<<20)
			}
		}
	})
}
