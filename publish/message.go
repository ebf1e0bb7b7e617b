// Package publish delivers messages to an MQTT broker for the bridge.
package publish

import "time"

// Message is one MQTT message to publish.
type Message struct {
	Topic   string
	Payload []byte
	Retain  bool
	// QoS is the MQTT quality of service, 0 or 1. QoS 0 suits states that the owner
	// publishes again after every reconnect and failed write, and takes one packet
	// instead of two. Removals (empty payloads) always use QoS 1, because the client
	// retries failed removals, which needs the broker's acknowledgement.
	QoS    byte
	queued time.Time // when Send queued it, for the latency histogram
}

// qos returns the quality of service to publish m with: QoS capped at 1, and 1 for a
// removal.
func (m *Message) qos() byte {
	if len(m.Payload) == 0 {
		return 1
	}
	return min(m.QoS, 1)
}
