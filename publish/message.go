// Package publish delivers messages to an MQTT broker for the bridge.
package publish

// Message is one MQTT message to publish.
type Message struct {
	Topic   string
	Payload []byte
	Retain  bool
}
