package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/bridge"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/mqtttest"
	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// testBridge is a bridge in this process with its listeners on loopback and a real broker.
type testBridge struct {
	admin, webhook, mqtt string
}

func startBridge(t *testing.T) *testBridge {
	t.Helper()
	broker := mqtttest.Start(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	topics := ha.Topics{Prefix: "homeassistant", Base: "wican-bridge"}
	var b *bridge.Bridge
	client, err := publish.New(publish.Options{Broker: broker.URL, ClientID: "bridge-under-load",
		StatusTopic: topics.BridgeStatus(), Logger: log, OnConnect: func() { b.Republish() }})
	if err != nil {
		t.Fatal(err)
	}
	webhook := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + webhook.Listener.Addr().String()
	b = bridge.New(bridge.Options{Topics: topics, PublicURL: publicURL, DataDir: t.TempDir(),
		Logger: log}, &store.State{}, client)
	webhook.Config.Handler = b.WebhookHandler()
	webhook.Start()
	admin := httptest.NewServer(b.AdminHandler())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = client.Run(ctx); done <- struct{}{} }()
	go func() { b.Run(ctx, nil); done <- struct{}{} }()
	t.Cleanup(func() {
		webhook.Close()
		admin.Close()
		cancel()
		<-done
		<-done
	})
	return &testBridge{admin: admin.URL, webhook: webhook.URL, mqtt: broker.URL}
}

func TestLoadRunLosesNothing(t *testing.T) {
	tb := startBridge(t)
	cfg := Config{Admin: tb.admin, Webhook: tb.webhook, MQTT: tb.mqtt, BaseTopic: "wican-bridge",
		Adapters: 3, Duration: 20 * time.Second, MaxPosts: 50, Changed: 5, Shape: shapeFull,
		Workers: 2, Grace: 5 * time.Second, BridgePID: os.Getpid(), Baseline: true}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err := Run(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if rep.Posts != 50 {
		t.Errorf("posts = %d, want 50", rep.Posts)
	}
	if rep.Statuses[http.StatusOK] != rep.Posts || len(rep.Statuses) != 1 {
		t.Errorf("statuses = %v, want every post to return 200", rep.Statuses)
	}
	if rep.Lost != 0 {
		t.Errorf("lost updates = %d, want 0", rep.Lost)
	}
	if rep.MQTTLatency.Count == 0 {
		t.Error("no POST-to-MQTT latency samples")
	}
	if rep.MessagesPerPost < 1 || rep.MessagesPerPost > float64(cfg.Changed+1) {
		t.Errorf("messages per post = %.2f, want 1 to %d", rep.MessagesPerPost, cfg.Changed+1)
	}
	if rep.Bridge.RSSEndMiB <= 0 {
		t.Error("bridge RSS not reported")
	}
	if rep.Baseline == nil || rep.Baseline.Statuses[http.StatusOK] != rep.Baseline.Posts {
		t.Errorf("baseline = %+v, want every post to return 200", rep.Baseline)
	}
}

func TestLoadRunChangedShape(t *testing.T) {
	tb := startBridge(t)
	cfg := Config{Admin: tb.admin, Webhook: tb.webhook, MQTT: tb.mqtt, BaseTopic: "wican-bridge",
		Adapters: 2, Rate: 200, Duration: 20 * time.Second, MaxPosts: 20, Changed: 0,
		Shape: shapeChanged, Workers: 2, Grace: 5 * time.Second}
	rep, err := Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Statuses[http.StatusOK] != 20 {
		t.Errorf("statuses = %v, want 20×200", rep.Statuses)
	}
	if rep.MessagesPerPost > 1 {
		t.Errorf("messages per post = %.2f, want at most 1 (diagnostics) when nothing changed",
			rep.MessagesPerPost)
	}
}

func TestWarmUpOnlyReportsMemory(t *testing.T) {
	tb := startBridge(t)
	cfg := Config{Admin: tb.admin, Webhook: tb.webhook, MQTT: tb.mqtt, BaseTopic: "wican-bridge",
		Adapters: 4, MaxPosts: 1, Shape: shapeFull, Workers: 2, BridgePID: os.Getpid()}
	rep, err := Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Posts != 0 {
		t.Errorf("posts = %d, want 0 with --duration 0", rep.Posts)
	}
	if rep.Bridge.RSSAfterWarmUpMiB <= 0 {
		t.Error("RSS after warm-up not reported")
	}
}

func TestTargetsMustBeLoopback(t *testing.T) {
	cases := []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:8099", true},
		{"http://127.3.2.1:8099", true},
		{"tcp://[::1]:1883", true},
		{"http://localhost:8780", true},
		{"http://192.168.1.20:8780", false},
		{"tcp://0.0.0.0:1883", false},
		{"http://example.com", false},
		{"http://127.0.0.1.example.com", false},
	}
	for _, c := range cases {
		err := checkLoopback("admin", c.url)
		if got := err == nil; got != c.want {
			t.Errorf("checkLoopback(%q) = %v, want accepted %v", c.url, err, c.want)
		}
		if err != nil && !errors.Is(err, errNotLoopback) {
			t.Errorf("checkLoopback(%q) = %v, want errNotLoopback", c.url, err)
		}
	}
}

func TestRemoteTargetRejectedWithoutFlag(t *testing.T) {
	_, _, err := parseFlags([]string{"--mqtt", "tcp://192.168.1.10:1883"}, io.Discard)
	if !errors.Is(err, errNotLoopback) {
		t.Errorf("parseFlags with a LAN broker = %v, want errNotLoopback", err)
	}
	_, _, err = parseFlags([]string{"--mqtt", "tcp://192.168.1.10:1883", "--allow-remote"}, io.Discard)
	if err != nil {
		t.Errorf("parseFlags with --allow-remote = %v, want nil", err)
	}
}

func TestFullPostDecodes(t *testing.T) {
	a := newAdapters([]string{"hook"}, 0xabcdef)[0]
	var p post
	var seq valueSeq
	a.nextPost(&p, &seq, 5, shapeFull)
	first := decode(t, p.body)
	if first.DeviceID != a.deviceID || len(first.Params) != len(carParams) {
		t.Errorf("first post: device %q with %d params, want %q with %d",
			first.DeviceID, len(first.Params), a.deviceID, len(carParams))
	}
	if len(first.Meta) != len(carParams) || first.Skipped != 0 {
		t.Errorf("first post: %d metadata entries, %d skipped; want %d and 0",
			len(first.Meta), first.Skipped, len(carParams))
	}
	if len(p.values) != len(carParams) {
		t.Errorf("first post expects %d values, want %d", len(p.values), len(carParams))
	}

	var status struct {
		Status map[string]any `json:"status"`
	}
	if err := json.Unmarshal(p.body, &status); err != nil {
		t.Fatal(err)
	}
	if n := len(status.Status); n != 60 {
		t.Errorf("status has %d keys, want 60 as a WiCAN Pro sends", n)
	}

	a.nextPost(&p, &seq, 5, shapeFull)
	second := decode(t, p.body)
	if len(p.values) != 5 || second.Uptime != first.Uptime+1 {
		t.Errorf("second post: %d changed values, uptime %v; want 5 and %v",
			len(p.values), second.Uptime, first.Uptime+1)
	}
}

func TestChangedPostCarriesOnlyChanges(t *testing.T) {
	a := newAdapters([]string{"hook"}, 1)[0]
	var p post
	var seq valueSeq
	a.nextPost(&p, &seq, 7, shapeChanged)
	a.nextPost(&p, &seq, 7, shapeChanged)
	got := decode(t, p.body)
	if got.DeviceID != "" || len(got.Params) != 7 || !got.HasUptime {
		t.Errorf("changed post: device %q, %d params, uptime %v; want no device, 7, uptime",
			got.DeviceID, len(got.Params), got.HasUptime)
	}
	for _, prm := range got.Params {
		if prm.Value.Num < 1_000_000 {
			t.Errorf("%s = %v, want a unique value above 1,000,000", prm.Name, prm.Value.Num)
		}
	}
}

func decode(t *testing.T, body []byte) *payload.Post {
	t.Helper()
	p, err := payload.Decode(body)
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, body)
	}
	return p
}
