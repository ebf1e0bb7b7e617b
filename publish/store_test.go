package publish

import (
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// paho marks a stored PUBLISH as a duplicate when it sends it again after a reconnect.
// The packet that its sender may still be writing must not change with it.
func TestStoreKeepsPublishCopy(t *testing.T) {
	store := newCopyingStore()
	store.Open()
	defer store.Close()
	sent := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	sent.TopicName, sent.Qos, sent.MessageID = "wican-bridge/node/soc", 1, 7
	sent.Payload = []byte("71")

	store.Put("o.7", sent)
	stored, ok := store.Get("o.7").(*packets.PublishPacket)
	if !ok {
		t.Fatal("store returned no PUBLISH packet for the key")
	}
	stored.Dup = true

	if sent.Dup {
		t.Error("marking the stored packet as a duplicate changed the packet being sent")
	}
	if stored.TopicName != sent.TopicName || string(stored.Payload) != "71" || stored.MessageID != 7 {
		t.Errorf("stored packet %v differs from the one put", stored)
	}
}
