// Package publish delivers messages to an MQTT broker for the bridge.
package publish

import "time"

// Message is one MQTT message to publish.
type Message struct {
	Topic   string
	Payload []byte
	Retain  bool
	queued  time.Time // when Send queued it, for the latency histogram
}
