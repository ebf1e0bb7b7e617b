package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
	"github.com/wican-bridge/wican-bridge/discovery"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/mqtttest"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// harness runs a bridge against a real broker, with its HTTP handlers on real sockets.
type harness struct {
	t       *testing.T
	broker  *mqtttest.Broker
	sub     *mqtttest.Subscriber
	b       *Bridge
	client  *publish.Client
	webhook *httptest.Server
	admin   *httptest.Server
	dataDir string
	logs    *syncBuffer
	stop    func()
	events  chan discovery.Event
	opts    harnessOptions
}

// harnessOptions change the bridge under test.
type harnessOptions struct {
	pairing    *PairingOptions
	minOffline time.Duration
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

var testTopics = ha.Topics{Prefix: "homeassistant", Base: "wican-bridge"}

func newHarness(t *testing.T, opts ...harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, broker: mqtttest.Start(t), dataDir: t.TempDir(), logs: &syncBuffer{},
		events: make(chan discovery.Event, 8)}
	if len(opts) > 0 {
		h.opts = opts[0]
	}
	h.sub = mqtttest.Subscribe(t, h.broker.URL, "#")
	h.start(&store.State{})
	return h
}

func (h *harness) start(st *store.State) {
	t := h.t
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var b *Bridge
	client, err := publish.New(publish.Options{
		Broker: h.broker.URL, ClientID: "bridge-under-test-" + newWebhookID()[:6],
		StatusTopic: testTopics.BridgeStatus(), Logger: log,
		OnConnect: func() { b.Republish() },
		OnFailure: func() { b.Republish() },
	})
	if err != nil {
		t.Fatal(err)
	}
	// The webhook listener comes first: adapters must be told its real URL.
	h.webhook = httptest.NewUnstartedServer(nil)
	b = New(Options{Topics: testTopics, PublicURL: "http://" + h.webhook.Listener.Addr().String(),
		DataDir: h.dataDir, BirthDelay: 50 * time.Millisecond, MinOffline: h.opts.minOffline,
		Logger: log}, st, client)
	client.Subscribe(testTopics.HAStatus(), b.HandleHAStatus)
	for _, filter := range b.ConfigFilters() {
		client.Subscribe(filter, b.HandleConfig)
	}
	if h.opts.pairing != nil {
		b.EnablePairing(devicecfg.New(log, devicecfg.Options{Timeout: time.Second}), *h.opts.pairing)
	}
	h.webhook.Config.Handler = b.WebhookHandler()
	h.webhook.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = client.Run(ctx); done <- struct{}{} }()
	go func() { b.Run(ctx, h.events); done <- struct{}{} }()
	h.b, h.client = b, client
	h.admin = httptest.NewServer(b.AdminHandler())
	webhook, admin := h.webhook, h.admin
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			webhook.Close()
			admin.Close()
			cancel()
			<-done
			<-done
		})
	}
	t.Cleanup(h.stop)
	h.sub.WaitFor(t, 5*time.Second, "bridge online", func(l map[string]string) bool {
		return l[testTopics.BridgeStatus()] == "online"
	})
}

// restart stops the bridge and starts a new one from the saved state file.
func (h *harness) restart() {
	h.stop()
	st, err := store.Load(h.dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		h.t.Fatal(err)
	}
	h.start(st)
}

func (h *harness) createWebhook(name string) (id, url string) {
	h.t.Helper()
	body := `{"name":` + string(mustJSON(name)) + `}`
	resp, err := http.Post(h.admin.URL+"/api/webhooks", "application/json", strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("POST /api/webhooks: status %d, want 201", resp.StatusCode)
	}
	var info WebhookInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		h.t.Fatal(err)
	}
	return info.ID, info.URL
}

// post sends a webhook body and returns the status and response body.
func (h *harness) post(id string, body []byte, headers ...string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.webhook.URL+"/api/webhook/"+id, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ESP32 WiCAN/1.0")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (h *harness) mustPost(id string, body []byte) {
	h.t.Helper()
	if status, resp := h.post(id, body); status != http.StatusOK {
		h.t.Fatalf("post: status %d (%s), want 200", status, resp)
	}
}

// waitState waits until topic carries want.
func (h *harness) waitState(topic, want string) {
	h.t.Helper()
	h.sub.WaitFor(h.t, 5*time.Second, topic+" = "+want, func(l map[string]string) bool {
		return l[topic] == want
	})
}

func (h *harness) devices() []DeviceInfo {
	h.t.Helper()
	resp, err := http.Get(h.admin.URL + "/api/devices")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []DeviceInfo
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		h.t.Fatal(err)
	}
	return list
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

// diagnostics decodes the latest diagnostics message of a node.
func diagnosticsOf(t *testing.T, latest map[string]string, node string) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(latest[testTopics.Diagnostics(node)]), &d); err != nil {
		t.Fatalf("diagnostics of %s: %v", node, err)
	}
	return d
}
