package bridge

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
)

func TestHostileNamesSanitised(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	body := `{"status":{"device_id":"a/b+#c d\u0000é"},"autopid_data":{"x/y":1,"x+y":2,"x#y":3,
		"x y":4,"\u0001ctl":5,"nul\u0000":6,"Öl":7,"0C-EngineRPM":9,"homeassistant/status":10,
		"` + strings.Repeat("k", 10000) + `":11}}`
	h.mustPost(id, []byte(body))

	var node string
	h.sub.WaitFor(t, 5*time.Second, "configs of the hostile post", func(l map[string]string) bool {
		configs := 0
		for topic, payload := range l {
			if strings.HasSuffix(topic, "/config") && payload != "" && !strings.Contains(topic, "diag_") {
				configs++
			}
		}
		return configs == 10
	})
	latest := h.sub.Latest()
	seen := map[string]bool{}
	for topic, payload := range latest {
		if strings.ContainsAny(topic, "+#\x00") {
			t.Errorf("topic %q holds a wildcard or NUL", topic)
		}
		if !strings.HasSuffix(topic, "/config") || payload == "" {
			continue
		}
		if err := ha.ValidateConfig(topic, []byte(payload)); err != nil {
			t.Errorf("invalid config: %v", err)
		}
		if seen[topic] {
			t.Errorf("duplicate config topic %s", topic)
		}
		seen[topic] = true
		if strings.Contains(payload, `"name":"x/y"`) {
			node = topic
		}
	}
	if node == "" {
		t.Error(`no entity is named "x/y": names must stay readable`)
	}
	if got := latest[testTopics.HAStatus()]; got != "" {
		t.Errorf("a parameter name reached Home Assistant's status topic: %q", got)
	}
}

func TestHostilePostLeavesOtherAdapterAlone(t *testing.T) {
	h := newHarness(t)
	good, _ := h.createWebhook("good")
	bad, _ := h.createWebhook("bad")
	h.mustPost(good, fixture(t, "pro-full.json"))

	hostile := [][]byte{
		[]byte(`{"status":{"device_id":"bbbbbbbbbbbb"},"autopid_data":{"SOC":1}}`), // binds bad
		[]byte(`{"autopid_data":{"SOC":1e400,"HV_V":"NaN","HV_A":{"x":1}}}`),
		[]byte(`{"status":{"device_id":"ffffffffffff"}}`),
		[]byte(strings.Repeat(`[`, 5000)),
	}
	for _, body := range hostile {
		h.post(bad, body)
	}
	var params strings.Builder
	params.WriteString(`{"autopid_data":{`)
	for i := range 5000 {
		fmt.Fprintf(&params, `"P%d":%d,`, i, i)
	}
	params.WriteString(`"last":1}}`)
	if status, _ := h.post(bad, []byte(params.String())); status != http.StatusOK {
		t.Errorf("a post with 5000 parameters: status %d, want 200 with the excess dropped", status)
	}

	for _, d := range h.devices() {
		if d.Name == "bad" && len(d.Values) > maxParams {
			t.Errorf("the adapter keeps %d parameters, want at most %d", len(d.Values), maxParams)
		}
		if d.Name != "good" {
			continue
		}
		if d.Values["SOC"].Value != 71.5 || d.Values["HV_V"].Value != 702.4 {
			t.Errorf("the good adapter's values changed: %v", d.Values)
		}
	}
	if status, _ := h.post(good, fixture(t, "pro-changed.json")); status != http.StatusOK {
		t.Errorf("the good adapter's next post: status %d", status)
	}
}

func TestPathTricksAnswer404(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	paths := []string{
		"/api/webhook/..%2f..%2fapi%2fwebhooks",
		"/api/webhook/" + id + "/extra",
		"/api/webhook/" + id + "%00",
		"/api/webhook/" + strings.ToUpper(id),
		"/api/webhook/%2e%2e",
		"/api/webhooks",
	}
	for _, path := range paths {
		resp, err := http.Post(h.webhook.URL+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: status %d, want 404", path, resp.StatusCode)
		}
	}
	if len(h.devices()) != 0 {
		t.Error("a tricked path bound the webhook")
	}
}

func TestSlowAndIdleClientsCutOff(t *testing.T) {
	old := serverTimeouts
	serverTimeouts.header, serverTimeouts.read, serverTimeouts.idle =
		300*time.Millisecond, time.Second, 300*time.Millisecond
	t.Cleanup(func() { serverTimeouts = old })
	h := newHarness(t)
	id, _ := h.createWebhook("")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(h.b.WebhookHandler())
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	// Many idle connections do not keep the server from responding.
	for range 200 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	resp, err := http.Post("http://"+ln.Addr().String()+"/api/webhook/"+id, "application/json",
		strings.NewReader(string(fixture(t, "pro-full.json"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("post beside 200 idle connections: status %d", resp.StatusCode)
	}

	// A client that trickles its headers is disconnected after the header timeout.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, _ = fmt.Fprintf(c, "POST /api/webhook/%s HTTP/1.1\r\nHost: x\r\n", id)
	closed := false
	reader := bufio.NewReader(c)
	for i := 0; i < 50 && !closed; i++ {
		if _, err := fmt.Fprintf(c, "X-Slow-%d: 1\r\n", i); err != nil {
			closed = true
			break
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := reader.ReadByte(); err == nil || !isTimeout(err) {
			closed = true
		}
	}
	elapsed := time.Since(start)
	if !closed {
		t.Errorf("a client trickling headers for %v was not disconnected", elapsed)
	}
	if elapsed < 250*time.Millisecond {
		t.Errorf("disconnected after %v, before the 300 ms header timeout: the request was "+
			"rejected for another reason", elapsed)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
