package publish

import "testing"

func TestMessageQoSPerKind(t *testing.T) {
	cases := []struct {
		name string
		msg  Message
		want byte
	}{
		{"state", Message{Topic: "s", Payload: []byte("1")}, 0},
		{"config", Message{Topic: "c", Payload: []byte("{}"), QoS: 1}, 1},
		// A removal is retried after a failure, which needs the broker's acknowledgement.
		{"removal with QoS 0", Message{Topic: "c", Payload: []byte{}}, 1},
		{"QoS 2 requested", Message{Topic: "s", Payload: []byte("1"), QoS: 2}, 1},
	}
	for _, c := range cases {
		if got := c.msg.qos(); got != c.want {
			t.Errorf("%s: published with QoS %d, want %d", c.name, got, c.want)
		}
	}
}
