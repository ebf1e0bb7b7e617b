package publish

import (
	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// copyingStore is paho's MemoryStore, except that it keeps a copy of each PUBLISH
// packet instead of the packet itself. After a reconnect, paho (v1.5.1) sets the DUP
// flag on the stored packets it sends again, while its new sender may still be writing
// the same packet from before the outage: a data race that the race detector reports
// (eclipse-paho/paho.mqtt.golang issue 703, open). With a copy in the store, the flag is
// set on the copy that is sent again, and the packet being written stays untouched.
type copyingStore struct {
	*mqtt.MemoryStore
}

func newCopyingStore() copyingStore {
	return copyingStore{mqtt.NewMemoryStore()}
}

// Put stores message under key, as a copy when it is a PUBLISH packet. The copy shares
// the payload, which nothing changes after Publish.
func (s copyingStore) Put(key string, message packets.ControlPacket) {
	if publish, ok := message.(*packets.PublishPacket); ok {
		stored := *publish
		message = &stored
	}
	s.MemoryStore.Put(key, message)
}
