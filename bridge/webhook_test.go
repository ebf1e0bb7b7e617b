package bridge

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
)

const proNode = "wican_a1b2c3d4e5f6"

func TestFixturesBecomeEntities(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("Golf")
	h.mustPost(id, fixture(t, "pro-full.json"))
	h.mustPost(id, fixture(t, "pro-changed.json"))

	latest := h.sub.WaitFor(t, 5*time.Second, "changed post published", func(l map[string]string) bool {
		return l[testTopics.State(proNode, "0D-VehicleSpeed")] == "47" &&
			l[testTopics.State(proNode, "SOC")] == "71.4" &&
			l[testTopics.State(proNode, "DOOR_FL")] == "ON" &&
			strings.Contains(l[testTopics.Diagnostics(proNode)], `"uptime":3738`)
	})
	want := map[string]string{
		"SOC": "71.4", "HV_V": "702.4", "HV_A": "-12.35", "AUX_V": "12.61", "CHARGING": "OFF",
		"0C-EngineRPM": "851", "0D-VehicleSpeed": "47", "05-EngineCoolantTemp": "88",
		"TYRE_P_FL": "241.3", "ODOMETER": "48211.7", "KWH_CHARGED": "1532.44", "DOOR_FL": "ON",
	}
	for key, value := range want {
		if got := latest[testTopics.State(proNode, key)]; got != value {
			t.Errorf("state of %s = %q, want %q", key, got, value)
		}
	}

	configs := 0
	for topic, body := range latest {
		if !strings.HasSuffix(topic, "/config") || body == "" {
			continue
		}
		configs++
		if err := ha.ValidateConfig(topic, []byte(body)); err != nil {
			t.Errorf("invalid discovery config: %v", err)
		}
	}
	if configs != len(want)+9 {
		t.Errorf("%d discovery configs, want %d parameters + 9 diagnostics", configs, len(want))
	}

	diag := diagnosticsOf(t, latest, proNode)
	if diag["battery_12v"] != 12.5 {
		t.Errorf("12 V battery = %v, want 12.5 from the changed post", diag["battery_12v"])
	}
	if diag["uptime"] != float64(3738) {
		t.Errorf("uptime = %v, want 3738 s", diag["uptime"])
	}
	if diag["firmware"] != "4.50" || diag["online"] != "ON" || diag["ecu"] != "ON" {
		t.Errorf("diagnostics = %v, want firmware 4.50, online ON, ECU ON", diag)
	}
}

func TestDiscoveryConfigContents(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("Golf")
	h.mustPost(id, fixture(t, "pro-full.json"))
	topic := testTopics.Config(ha.Sensor, proNode, "0C-EngineRPM")
	latest := h.sub.WaitFor(t, 5*time.Second, "RPM config", func(l map[string]string) bool {
		return l[topic] != ""
	})
	var cfg struct {
		UniqueID        string `json:"unique_id"`
		DefaultEntityID string `json:"default_entity_id"`
		DeviceClass     string `json:"device_class"`
		Unit            string `json:"unit_of_measurement"`
		Availability    []struct {
			Topic         string `json:"topic"`
			ValueTemplate string `json:"value_template"`
		} `json:"availability"`
		Device struct {
			Identifiers  []string `json:"identifiers"`
			Manufacturer string   `json:"manufacturer"`
			Model        string   `json:"model"`
			SWVersion    string   `json:"sw_version"`
			Name         string   `json:"name"`
		} `json:"device"`
	}
	if err := json.Unmarshal([]byte(latest[topic]), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.DeviceClass != "" || cfg.Unit != "rpm" {
		t.Errorf("RPM has class %q unit %q, want no class and rpm", cfg.DeviceClass, cfg.Unit)
	}
	if cfg.DefaultEntityID != "sensor.golf_0c_enginerpm" {
		t.Errorf("default_entity_id = %q", cfg.DefaultEntityID)
	}
	if len(cfg.Availability) != 2 {
		t.Fatalf("RPM availability has %d entries, want bridge and engine", len(cfg.Availability))
	}
	d := cfg.Device
	if d.Identifiers[0] != proNode || d.Manufacturer != "MeatPi" || d.Model != "WiCAN-OBD-PRO" ||
		d.SWVersion != "4.50" || d.Name != "Golf" {
		t.Errorf("device = %+v", d)
	}

	var soc struct {
		Availability []any `json:"availability"`
	}
	_ = json.Unmarshal([]byte(latest[testTopics.Config(ha.Sensor, proNode, "SOC")]), &soc)
	if len(soc.Availability) != 1 {
		t.Errorf("SOC availability has %d entries, want only the bridge's", len(soc.Availability))
	}
}

func TestDocumentedShape(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "documented-format.json"))
	node := "wican_WiCAN_Pro_A1B2"
	want := map[string]string{"speed": "65", "rpm": "2450", "soc": "78.5", "coolant_temp": "92"}
	// The announcer sends an adapter's states in no fixed order, then its diagnostics.
	latest := h.sub.WaitFor(t, 5*time.Second, "states and diagnostics", func(l map[string]string) bool {
		for key := range want {
			if l[testTopics.State(node, key)] == "" {
				return false
			}
		}
		return l[testTopics.Diagnostics(node)] != ""
	})
	for key, want := range want {
		if got := latest[testTopics.State(node, key)]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if d := diagnosticsOf(t, latest, node); d["battery_12v"] != 13.4 || d["uptime"] != float64(3600) {
		t.Errorf("diagnostics = %v, want battery 13.4 and uptime 3600", d)
	}
}

func TestBothShapesPublishSameStates(t *testing.T) {
	h := newHarness(t)
	firmwareID, _ := h.createWebhook("a")
	documentedID, _ := h.createWebhook("b")
	h.mustPost(firmwareID, []byte(`{"status":{"device_id":"aaaaaaaaaaaa","batt_voltage":"13.4V"},
		"autopid_data":{"speed":65,"rpm":2450,"soc":78.5,"coolant_temp":92}}`))
	h.mustPost(documentedID, []byte(`{"device_id":"bbbbbbbbbbbb","battery":13.4,
		"data":{"speed":65,"rpm":2450,"soc":78.5,"coolant_temp":92}}`))
	h.waitState(testTopics.State("wican_bbbbbbbbbbbb", "coolant_temp"), "92")
	h.waitState(testTopics.State("wican_aaaaaaaaaaaa", "coolant_temp"), "92")
	latest := h.sub.Latest()
	for _, key := range []string{"speed", "rpm", "soc", "coolant_temp"} {
		a := latest[testTopics.State("wican_aaaaaaaaaaaa", key)]
		b := latest[testTopics.State("wican_bbbbbbbbbbbb", key)]
		if a != b {
			t.Errorf("%s: firmware shape %q, documented shape %q", key, a, b)
		}
	}
}

func TestChangedPostKeepsMissingKeys(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	h.mustPost(id, []byte(`{"autopid_data":{"SOC":70}}`))
	h.mustPost(id, []byte(`{"status":{"uptime":"01:05:00"}}`))
	h.waitState(testTopics.State(proNode, "SOC"), "70")
	devices := h.devices()
	if len(devices) != 1 {
		t.Fatalf("%d devices, want 1", len(devices))
	}
	values := devices[0].Values
	if len(values) != 12 {
		t.Errorf("%d values after changed-only posts, want all 12 kept", len(values))
	}
	if values["HV_V"].Value != 702.4 {
		t.Errorf("HV_V = %v, want 702.4 kept from the full post", values["HV_V"].Value)
	}
	if devices[0].Accepted != 3 {
		t.Errorf("accepted = %d, want 3", devices[0].Accepted)
	}
}

func TestIdentityMismatchRejected(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	status, body := h.post(id, []byte(`{"status":{"device_id":"ffffffffffff"},"autopid_data":{"SOC":1}}`))
	if status != http.StatusForbidden {
		t.Fatalf("post from another adapter: status %d, want 403", status)
	}
	if strings.Contains(body, id) {
		t.Errorf("403 body %q names the webhook id", body)
	}
	if v := h.devices()[0].Values["SOC"].Value; v != 71.5 {
		t.Errorf("SOC = %v after a rejected post, want 71.5", v)
	}
	if h.devices()[0].Rejected != 1 {
		t.Errorf("rejected = %d, want 1", h.devices()[0].Rejected)
	}
}

func TestPostWithoutIdentityBindsWebhook(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-changed.json"))
	devices := h.devices()
	if len(devices) != 1 {
		t.Fatalf("%d devices after an anonymous post, want 1", len(devices))
	}
	provisional := devices[0].ID
	if !strings.HasPrefix(provisional, "wican_webhook_") || strings.Contains(provisional, id[:8]) {
		t.Errorf("provisional id %q must derive from, but not reveal, the webhook id", provisional)
	}
	h.waitState(testTopics.State(provisional, "SOC"), "71.4")

	// The adapter reboots: its next post names it, and entities move to the real device.
	h.mustPost(id, fixture(t, "pro-full.json"))
	h.waitState(testTopics.State(proNode, "SOC"), "71.5")
	old := testTopics.Config(ha.Sensor, provisional, "SOC")
	h.sub.WaitFor(t, 5*time.Second, "provisional entity removed", func(l map[string]string) bool {
		return l[old] == ""
	})
	if got := h.devices()[0].ID; got != proNode {
		t.Errorf("device id after identity arrived = %q, want %q", got, proNode)
	}
}

func TestUnknownWebhookAnswers404(t *testing.T) {
	h := newHarness(t)
	h.createWebhook("")
	s1, b1 := h.post("00000000000000000000000000000000", []byte(`{}`))
	s2, b2 := h.post("ffffffffffffffffffffffffffffffff", fixture(t, "pro-full.json"))
	if s1 != http.StatusNotFound || s2 != http.StatusNotFound {
		t.Errorf("statuses %d and %d, want 404", s1, s2)
	}
	if b1 != b2 {
		t.Errorf("bodies differ by id: %q and %q", b1, b2)
	}
	if strings.Contains(b1, "0000") {
		t.Errorf("404 body %q repeats the id", b1)
	}
}

func TestBadBodiesRejected(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(bytes.Repeat([]byte("{"), 1<<20))
	_ = w.Close()
	tests := []struct {
		name    string
		body    []byte
		headers []string
		status  int
	}{
		{"invalid JSON", []byte(`{"status":`), nil, 400},
		{"array", []byte(`[1,2]`), nil, 400},
		{"string", []byte(`"hello"`), nil, 400},
		{"empty", nil, nil, 400},
		{"NaN", []byte(`{"autopid_data":{"SOC":NaN}}`), nil, 400},
		{"too large", append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), MaxBody)...), '"', '}'), nil, 413},
		{"gzip", gz.Bytes(), []string{"Content-Encoding", "gzip"}, 415},
		{"deep nesting", append(bytes.Repeat([]byte("["), 20000), bytes.Repeat([]byte("]"), 20000)...), nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.post(id, tt.body, tt.headers...)
			if status != tt.status {
				t.Errorf("status %d (%s), want %d", status, body, tt.status)
			}
			if strings.Contains(body, id) {
				t.Errorf("body %q names the webhook id", body)
			}
			if strings.Contains(body, "float64") || strings.Contains(body, "map[") {
				t.Errorf("body %q shows Go internals", body)
			}
		})
	}
	if devices := h.devices(); len(devices) != 0 {
		t.Errorf("rejected posts bound the webhook: %d devices", len(devices))
	}
	for topic := range h.sub.Latest() {
		if strings.Contains(topic, "wican_") {
			t.Errorf("rejected posts published %s", topic)
		}
	}
	if !strings.Contains(h.logs.String(), "post rejected") {
		t.Error("no log line says why posts were rejected")
	}
}

func TestWrongMethod(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	resp, err := http.Get(h.webhook.URL + "/api/webhook/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET on a webhook: status %d, want 405", resp.StatusCode)
	}
}

func TestWebhookIDNotPublishedOrLogged(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("Golf")
	h.mustPost(id, fixture(t, "pro-changed.json"))
	h.mustPost(id, fixture(t, "pro-full.json"))
	h.post(id, []byte("garbage"))
	h.waitState(testTopics.State(proNode, "SOC"), "71.5")
	for _, m := range h.sub.Messages() {
		if strings.Contains(m.Topic, id) || strings.Contains(m.Payload, id) {
			t.Errorf("MQTT message on %s holds the webhook id", m.Topic)
		}
	}
	if strings.Contains(h.logs.String(), id) {
		t.Error("the log holds the whole webhook id")
	}
}

// The newer webhook's adapter learns the metadata of the older one when it takes over,
// and its entities must get the class and unit at once, not only after a restart.
func TestTakeOverAppliesLearnedMetadata(t *testing.T) {
	h := newHarness(t)
	older, _ := h.createWebhook("Old")
	newer, _ := h.createWebhook("New")
	h.mustPost(older, []byte(`{"config":{"FOO":{"class":"temperature","unit":"°C"}},`+
		`"status":{"device_id":"aabbccddeeff"},"autopid_data":{"FOO":20}}`))
	h.mustPost(newer, []byte(`{"status":{"device_id":"aabbccddeeff"},"autopid_data":{"FOO":21}}`))
	h.mustPost(newer, []byte(`{"autopid_data":{"FOO":22}}`))

	devices := h.devices()
	if len(devices) != 1 {
		t.Fatalf("%d devices for one adapter on two webhooks, want 1", len(devices))
	}
	foo := devices[0].Values["FOO"]
	if foo.Unit != "°C" {
		t.Errorf("FOO unit = %q, want °C from the older webhook's metadata", foo.Unit)
	}
	if foo.DeviceClass != "temperature" {
		t.Errorf("FOO device class = %q, want temperature", foo.DeviceClass)
	}
}

func TestSecondWebhookTakesOverAdapter(t *testing.T) {
	h := newHarness(t)
	first, _ := h.createWebhook("Golf")
	h.mustPost(first, fixture(t, "pro-full.json"))
	second, _ := h.createWebhook("")
	h.mustPost(second, fixture(t, "pro-full.json"))
	h.mustPost(second, fixture(t, "pro-changed.json"))

	devices := h.devices()
	if len(devices) != 1 {
		t.Fatalf("%d devices for one adapter on two webhooks, want 1", len(devices))
	}
	if devices[0].Name != "Golf" {
		t.Errorf("name = %q, want the first webhook's name kept", devices[0].Name)
	}
	if status, _ := h.post(first, fixture(t, "pro-changed.json")); status != http.StatusNotFound {
		t.Errorf("post to the retired webhook: status %d, want 404", status)
	}

	h.restart()
	h.mustPost(second, []byte(`{"status":{"uptime":"02:00:00"}}`))
	latest := h.sub.WaitFor(t, 5*time.Second, "republish after restart", func(l map[string]string) bool {
		return strings.Contains(l[testTopics.Diagnostics(proNode)], `"uptime":7200`)
	})
	if got := latest[testTopics.State(proNode, "SOC")]; got != "71.4" {
		t.Errorf("SOC after restart = %q, want the newest value 71.4", got)
	}
	if len(h.devices()) != 1 {
		t.Errorf("%d devices after restart, want 1", len(h.devices()))
	}
}
