package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// baseTopic is the bridge's default --base-topic.
const baseTopic = "wican-bridge"

var clientSeq atomic.Int64

// newMQTTClient returns a client that reconnects within a second of the broker's return
// and subscribes to filter on every connect, calling handle for each message.
func newMQTTClient(broker, filter string, handle mqtt.MessageHandler) mqtt.Client {
	id := "wican-soak-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(clientSeq.Add(1), 10)
	opts := mqtt.NewClientOptions().
		AddBroker(broker).
		SetClientID(id).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(250 * time.Millisecond).
		SetMaxReconnectInterval(time.Second).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe(filter, 1, handle)
		})
	return mqtt.NewClient(opts)
}

// watcher follows every message under the bridge's base topic: the latest payload per
// topic and when it last arrived.
type watcher struct {
	client mqtt.Client
	mu     sync.Mutex
	latest map[string]string
	seen   map[string]time.Time
}

// startWatcher connects to broker and subscribes to the bridge's topics.
func startWatcher(broker string) (*watcher, error) {
	w := &watcher{latest: map[string]string{}, seen: map[string]time.Time{}}
	w.client = newMQTTClient(broker, baseTopic+"/#", func(_ mqtt.Client, m mqtt.Message) {
		w.mu.Lock()
		w.latest[m.Topic()] = string(m.Payload())
		w.seen[m.Topic()] = time.Now()
		w.mu.Unlock()
	})
	if err := connect(w.client); err != nil {
		return nil, fmt.Errorf("connect the MQTT watcher to %s: %w", broker, err)
	}
	return w, nil
}

func (w *watcher) close() { w.client.Disconnect(250) }

// stateTopics returns the parameter state topics seen so far: every topic
// <base>/wican_<id>/<key> except the diagnostics.
func (w *watcher) stateTopics() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for topic := range w.latest {
		if isStateTopic(topic) {
			out = append(out, topic)
		}
	}
	return out
}

func isStateTopic(topic string) bool {
	parts := strings.Split(topic, "/")
	return len(parts) == 3 && parts[0] == baseTopic && strings.HasPrefix(parts[1], "wican_") &&
		!strings.HasPrefix(parts[1], "wican_webhook_") && parts[2] != "_diagnostics"
}

// waitSeen waits until every topic got a message after since and returns the time from
// since to the last of those arrivals. It reports false with the number still missing
// when ctx ends first.
func (w *watcher) waitSeen(ctx context.Context, topics []string,
	since time.Time) (time.Duration, int, bool) {
	for {
		last, missing := w.arrivals(topics, since)
		if missing == 0 {
			return last.Sub(since), 0, true
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return 0, missing, false
		}
	}
}

func (w *watcher) arrivals(topics []string, since time.Time) (time.Time, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last time.Time
	missing := 0
	for _, t := range topics {
		at := w.seen[t]
		if !at.After(since) {
			missing++
			continue
		}
		if at.After(last) {
			last = at
		}
	}
	return last, missing
}

// retainedSnapshot subscribes with a new client and returns the retained messages under
// the bridge's base topic, collected until no message arrived for quiet.
func retainedSnapshot(ctx context.Context, broker string,
	quiet time.Duration) (map[string]string, error) {
	var mu sync.Mutex
	out := map[string]string{}
	last := time.Now()
	client := newMQTTClient(broker, baseTopic+"/#", func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		defer mu.Unlock()
		last = time.Now()
		if m.Retained() {
			out[m.Topic()] = string(m.Payload())
		}
	})
	if err := connect(client); err != nil {
		return nil, fmt.Errorf("connect to %s for the retained states: %w", broker, err)
	}
	defer client.Disconnect(250)

	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	for {
		if !sleep(ctx, 100*time.Millisecond) {
			return nil, ctx.Err()
		}
		mu.Lock()
		idle := time.Since(last)
		n := len(out)
		mu.Unlock()
		if idle >= quiet && (n > 0 || time.Since(start) > 10*time.Second) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("retained states from %s: %d messages, still arriving after 2 min",
				broker, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(out), nil
}

// connect connects client, waiting at most 10 s.
func connect(client mqtt.Client) error {
	tok := client.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		client.Disconnect(0)
		return errors.New("timed out after 10 s")
	}
	if err := tok.Error(); err != nil {
		client.Disconnect(0)
		return err
	}
	return nil
}
