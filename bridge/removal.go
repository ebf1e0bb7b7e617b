package bridge

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/publish"
)

// removals remembers the config topics the bridge itself emptied, so that their echo
// from the broker is not taken for a deletion by the user.
type removals struct {
	mu     sync.Mutex
	topics map[string]time.Time
}

func (r *removals) expect(msgs []publish.Message) {
	if !hasRemoval(msgs) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for _, m := range msgs {
		if len(m.Payload) == 0 && strings.HasSuffix(m.Topic, "/config") {
			if r.topics == nil {
				r.topics = make(map[string]time.Time)
			}
			r.topics[m.Topic] = now
		}
	}
	for topic, at := range r.topics {
		if now.Sub(at) > time.Minute {
			delete(r.topics, topic)
		}
	}
}

func hasRemoval(msgs []publish.Message) bool {
	for _, m := range msgs {
		if len(m.Payload) == 0 {
			return true
		}
	}
	return false
}

// own reports whether the bridge emptied topic itself, and removes it from the record.
func (r *removals) own(topic string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.topics[topic]
	delete(r.topics, topic)
	return ok
}

// send publishes messages, noting the removals among them first.
func (b *Bridge) send(msgs ...publish.Message) {
	b.removals.expect(msgs)
	b.out.Send(msgs...)
}

// ConfigFilters returns the subscription filters for the bridge's own discovery configs.
func (b *Bridge) ConfigFilters() []string {
	return []string{b.topics.ConfigFilter(ha.Sensor), b.topics.ConfigFilter(ha.BinarySensor)}
}

// HandleConfig watches the bridge's discovery config topics. An empty payload that the
// bridge did not send means the user deleted the entity in Home Assistant, which then
// clears the retained config. The bridge remembers that and does not publish the entity
// again until it is restored.
func (b *Bridge) HandleConfig(topic string, payload []byte) {
	if len(payload) != 0 || b.removals.own(topic) {
		return
	}
	objectID := topic[strings.LastIndexByte(strings.TrimSuffix(topic, "/config"), '/')+1:]
	objectID = strings.TrimSuffix(objectID, "/config")
	for _, a := range b.list() {
		a.mu.Lock()
		key, ok := strings.CutPrefix(objectID, a.node+"_")
		if ok && a.ownsKey(key) && !a.removed[key] {
			a.removed[key] = true
			label := a.labelLocked()
			a.mu.Unlock()
			b.structureDirty.Store(true)
			b.log.Info("entity deleted in Home Assistant; the bridge will not recreate it",
				"device", label, "entity", key)
			return
		}
		a.mu.Unlock()
	}
}

// ownsKey reports whether key is one of the adapter's entities. Call with mu held.
func (a *adapter) ownsKey(key string) bool {
	if ha.IsDiagnosticKey(key) {
		return true
	}
	for _, p := range a.params {
		if p.key() == key {
			return true
		}
	}
	return false
}

func (b *Bridge) handleRestore(c echo.Context) error {
	a, err := b.deviceFromPath(c)
	if a == nil {
		return err
	}
	a.mu.Lock()
	restored := len(a.removed)
	clear(a.removed)
	b.send(a.republishLocked(b.topics, nil)...)
	a.mu.Unlock()
	b.structureDirty.Store(true)
	b.log.Info("entities restored", "device", a.label(), "count", restored)
	return c.JSON(http.StatusOK, map[string]int{"restored": restored})
}
