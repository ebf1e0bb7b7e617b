package bridge

import (
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/mqtttest"
	"github.com/wican-bridge/wican-bridge/store"
)

// countAfter counts messages under the bridge's state topics that arrive until the
// diagnostics of node show uptime, which marks the end of one post's messages.
func countAfter(t *testing.T, h *harness, node string, uptime string) []mqtttest.Message {
	t.Helper()
	h.sub.WaitFor(t, 5*time.Second, "diagnostics with uptime "+uptime, func(l map[string]string) bool {
		return strings.Contains(l[testTopics.Diagnostics(node)], `"uptime":`+uptime+`,`)
	})
	time.Sleep(100 * time.Millisecond)
	var msgs []mqtttest.Message
	for _, m := range h.sub.Messages() {
		if strings.HasPrefix(m.Topic, testTopics.Base+"/"+node+"/") {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

func TestMessagesPerPostFollowChanges(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	// The diagnostics message comes last in an adapter's announcement.
	countAfter(t, h, proNode, "3723")

	h.sub.Reset()
	h.mustPost(id, []byte(`{"status":{"uptime_sec":5000},"autopid_data":{"SOC":70,"HV_V":700,"HV_A":-1,"ODOMETER":48211.7}}`))
	msgs := countAfter(t, h, proNode, "5000")
	if len(msgs) != 4 {
		t.Errorf("a post changing 3 values sent %d messages, want 3 states + 1 diagnostics: %v",
			len(msgs), msgs)
	}

	h.sub.Reset()
	h.mustPost(id, []byte(`{"status":{"uptime_sec":5015},"autopid_data":{"SOC":70,"HV_V":700}}`))
	msgs = countAfter(t, h, proNode, "5015")
	if len(msgs) != 1 {
		t.Errorf("a post changing no value sent %d messages, want 1: %v", len(msgs), msgs)
	}
}

func TestAdapterGoesOfflineAfterSilence(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723") // the whole announcement has arrived

	// Nothing pushed an interval and one post gives no gap, so the limit is
	// max(5 × 15 s, 120 s) = 120 s.
	h.b.CheckOnline(time.Now().Add(119 * time.Second))
	if !h.devices()[0].Online {
		t.Fatal("adapter offline after 119 s, want online until 120 s")
	}
	h.b.CheckOnline(time.Now().Add(121 * time.Second))
	latest := h.sub.WaitFor(t, 5*time.Second, "offline diagnostics", func(l map[string]string) bool {
		return strings.Contains(l[testTopics.Diagnostics(proNode)], `"online":"OFF"`)
	})
	d := diagnosticsOf(t, latest, proNode)
	if d["engine"] != "offline" {
		t.Errorf("engine availability = %v while the adapter is offline, want offline", d["engine"])
	}
	if d["battery_12v"] != 12.6 {
		t.Errorf("12 V battery = %v while offline, want the last value 12.6", d["battery_12v"])
	}
	if latest[testTopics.State(proNode, "SOC")] != "71.5" {
		t.Error("state of charge lost its retained value while offline")
	}

	h.mustPost(id, []byte(`{"autopid_data":{"SOC":71}}`))
	h.sub.WaitFor(t, 5*time.Second, "online again", func(l map[string]string) bool {
		return strings.Contains(l[testTopics.Diagnostics(proNode)], `"online":"ON"`)
	})
}

func TestOfflineLimitUsesObservedInterval(t *testing.T) {
	a := newAdapter(newHookForTest())
	start := time.Now()
	a.updateDiagnostics(emptyPost(), start)
	a.updateDiagnostics(emptyPost(), start.Add(60*time.Second))
	if got := a.offlineAfter(120 * time.Second); got != 300*time.Second {
		t.Errorf("limit with posts 60 s apart = %v, want 5 × 60 s", got)
	}
	a.hook.Interval = 10
	if got := a.offlineAfter(120 * time.Second); got != 120*time.Second {
		t.Errorf("limit with a pushed 10 s interval = %v, want the 120 s floor", got)
	}
}

func TestECUOfflineMakesEngineValuesUnavailable(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	h.mustPost(id, []byte(`{"status":{"ecu_status":"offline"}}`))
	latest := h.sub.WaitFor(t, 5*time.Second, "ECU offline", func(l map[string]string) bool {
		return strings.Contains(l[testTopics.Diagnostics(proNode)], `"ecu":"OFF"`)
	})
	d := diagnosticsOf(t, latest, proNode)
	if d["engine"] != "offline" || d["online"] != "ON" {
		t.Errorf("diagnostics = %v, want engine offline while the adapter stays online", d)
	}
}

func TestHomeAssistantBirthResendsEverything(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723") // the whole announcement has arrived

	// Home Assistant subscribes with QoS 0, so it receives configs and states in the
	// order the bridge published them.
	homeAssistant := mqtttest.SubscribeQoS0(t, h.broker.URL, "#")
	configTopic := testTopics.Config(ha.Sensor, proNode, "SOC")
	stateTopic := testTopics.State(proNode, "SOC")
	socArrived := func(l map[string]string) bool { return l[configTopic] != "" && l[stateTopic] == "71.5" }
	homeAssistant.WaitFor(t, 5*time.Second, "retained SOC config and state", socArrived)
	homeAssistant.Reset()

	homeAssistant.Publish(t, testTopics.HAStatus(), "online", false)
	homeAssistant.WaitFor(t, 5*time.Second, "configs and states resent", socArrived)
	configAt, stateAt := -1, -1
	for i, m := range homeAssistant.Messages() {
		switch {
		case m.Retained:
			// The broker sent it for the subscription, not for the resend.
		case m.Topic == configTopic:
			configAt = i
		case m.Topic == stateTopic:
			stateAt = i
		}
	}
	if configAt < 0 || stateAt < 0 {
		t.Fatalf("resent SOC config at index %d, state at %d: expected both", configAt, stateAt)
	}
	if configAt > stateAt {
		t.Error("the state was resent before its discovery config")
	}
}

func TestBrokerRestartRepublishes(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723") // the whole announcement has arrived

	h.broker.Stop()
	// Posts during the outage get 200 and their values are kept.
	h.mustPost(id, []byte(`{"autopid_data":{"SOC":65.5}}`))
	h.broker.Restart(t)

	sub := mqtttest.Subscribe(t, h.broker.URL, "#")
	sub.WaitFor(t, 40*time.Second, "state and configs after the broker restart",
		func(l map[string]string) bool {
			return l[testTopics.State(proNode, "SOC")] == "65.5" &&
				l[testTopics.Config(ha.Sensor, proNode, "SOC")] != "" &&
				l[testTopics.BridgeStatus()] == "online"
		})
}

func TestRestartKeepsWebhookAndMetadata(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("Golf")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723") // the whole announcement has arrived
	h.sub.Reset()
	h.restart()

	// A changed-only post after the restart: no config section, no identity.
	h.mustPost(id, []byte(`{"autopid_data":{"05-EngineCoolantTemp":90}}`))
	topic := testTopics.Config(ha.Sensor, proNode, "05-EngineCoolantTemp")
	latest := h.sub.WaitFor(t, 5*time.Second, "config after restart", func(l map[string]string) bool {
		return l[topic] != ""
	})
	if !strings.Contains(latest[topic], `"unit_of_measurement":"°C"`) {
		t.Errorf("config after restart lost the learned metadata: %s", latest[topic])
	}
	devices := h.devices()
	if len(devices) != 1 || devices[0].Name != "Golf" || devices[0].DeviceID != "a1b2c3d4e5f6" {
		t.Fatalf("devices after restart = %+v", devices)
	}
	if v := devices[0].Values["HV_V"].Value; v != 702.4 {
		t.Errorf("HV_V after restart = %v, want 702.4", v)
	}
}

// The values of a silent adapter must survive two restarts in a row, because the second
// save writes only what the first restart loaded.
func TestValuesSurviveRestartsWithoutPosts(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723")
	for i := range 2 {
		h.restart()
		devices := h.devices()
		if len(devices) != 1 {
			t.Fatalf("restart %d: %d devices, want 1", i+1, len(devices))
		}
		if v := devices[0].Values["HV_V"].Value; v != 702.4 {
			t.Errorf("restart %d: HV_V = %v, want 702.4", i+1, v)
		}
	}
}

// A save reuses one webhook record for every adapter, so a value left over from one
// adapter would show up under the next after a restart.
func TestRestartKeepsEachAdaptersValues(t *testing.T) {
	h := newHarness(t)
	bindProAndOBD(t, h)
	before := valuesByDevice(h.devices())
	if len(before["Pro"]) == 0 || len(before["OBD"]) == 0 {
		t.Fatalf("values before the restart: %v", before)
	}

	h.restart()
	after := valuesByDevice(h.devices())
	if !reflect.DeepEqual(after, before) {
		t.Errorf("values after the restart:\n%v\nwant\n%v", after, before)
	}
}

// Each adapter's deleted entities must be saved under that adapter alone, because a save
// reuses one list for them.
func TestSaveKeepsEachAdaptersDeletedEntities(t *testing.T) {
	h := newHarness(t)
	bindProAndOBD(t, h)

	deleted := map[string]string{"Pro": ha.ParamKey("SOC"), "OBD": ha.ParamKey("2F-FuelTankLevel")}
	h.sub.Publish(t, testTopics.Config(ha.Sensor, proNode, deleted["Pro"]), "", true)
	h.sub.Publish(t, testTopics.Config(ha.Sensor, obdNode, deleted["OBD"]), "", true)
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(h.logs.String(), "entity deleted in Home Assistant") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the bridge did not notice both deletions")
		}
		time.Sleep(20 * time.Millisecond)
	}

	h.restart()
	st, err := store.Load(h.dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range st.Webhooks {
		if want := []string{deleted[w.Name]}; !reflect.DeepEqual(w.Removed, want) {
			t.Errorf("%s saved deleted entities %v, want %v", w.Name, w.Removed, want)
		}
	}
}

const obdNode = "wican_0a1b2c3d4e5f"

// bindProAndOBD posts a Pro adapter's first post to a webhook named "Pro" and an OBD
// adapter's to one named "OBD", and waits for both announcements.
func bindProAndOBD(t *testing.T, h *harness) {
	t.Helper()
	pro, _ := h.createWebhook("Pro")
	obd, _ := h.createWebhook("OBD")
	h.mustPost(pro, fixture(t, "pro-full.json"))
	h.mustPost(obd, fixture(t, "obd-full.json"))
	countAfter(t, h, proNode, "3723")
	countAfter(t, h, obdNode, "183845")
}

func valuesByDevice(devices []DeviceInfo) map[string]map[string]any {
	out := make(map[string]map[string]any)
	for _, d := range devices {
		values := make(map[string]any)
		for name, v := range d.Values {
			values[name] = v.Value
		}
		out[d.Name] = values
	}
	return out
}

func TestEntityDeletedInHAStaysDeleted(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	socConfig := testTopics.Config(ha.Sensor, proNode, "SOC")
	h.sub.WaitFor(t, 5*time.Second, "SOC config", func(l map[string]string) bool { return l[socConfig] != "" })

	// Home Assistant clears the retained config when the user deletes the entity.
	h.sub.Publish(t, socConfig, "", true)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.logs.String(), "entity deleted in Home Assistant") {
		if time.Now().After(deadline) {
			t.Fatal("the bridge did not notice the deletion")
		}
		time.Sleep(20 * time.Millisecond)
	}

	h.sub.Reset()
	h.sub.Publish(t, testTopics.HAStatus(), "online", false)
	h.mustPost(id, []byte(`{"autopid_data":{"SOC":50}}`))
	h.waitState(testTopics.State(proNode, "HV_V"), "702.4") // the birth resend is done
	time.Sleep(200 * time.Millisecond)
	for _, m := range h.sub.Messages() {
		if m.Topic == socConfig && m.Payload != "" {
			t.Fatal("the deleted entity was published again")
		}
	}

	resp, err := http.Post(h.admin.URL+"/api/devices/"+proNode+"/restore", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.sub.WaitFor(t, 5*time.Second, "SOC restored", func(l map[string]string) bool { return l[socConfig] != "" })
}

func TestOwnRemovalIsNotADeletion(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-changed.json")) // provisional node first
	h.mustPost(id, fixture(t, "pro-full.json"))    // identity arrives: provisional entities removed
	countAfter(t, h, proNode, "3723")              // the whole announcement has arrived
	time.Sleep(300 * time.Millisecond)
	if strings.Contains(h.logs.String(), "entity deleted in Home Assistant") {
		t.Error("the bridge took its own removal for a deletion by the user")
	}
}

// States go out with QoS 0, so the broker loses those still on their way when it stops.
// The bridge publishes its current state again after the reconnect.
func TestBrokerCrashKeepsLastValues(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723") // the whole announcement has arrived

	for i := range 500 {
		body := fmt.Sprintf(`{"status":{"uptime_sec":%d},"autopid_data":{"SOC":%d,"HV_V":%d}}`, i, i%100, i)
		h.mustPost(id, []byte(body))
	}
	h.broker.Stop()
	h.broker.Restart(t)
	sub := mqtttest.Subscribe(t, h.broker.URL, "#")
	// The bridge waits up to 30 s between reconnect attempts (publish.New).
	sub.WaitFor(t, 40*time.Second, "final values after the crash", func(l map[string]string) bool {
		return l[testTopics.State(proNode, "SOC")] == "99" && l[testTopics.State(proNode, "HV_V")] == "499"
	})
}

func TestOutageKeepsMemoryBounded(t *testing.T) {
	h := newHarness(t)
	id, _ := h.createWebhook("")
	h.mustPost(id, fixture(t, "pro-full.json"))
	countAfter(t, h, proNode, "3723") // the whole announcement has arrived

	h.broker.Stop()
	for i := range 2000 {
		body := fmt.Sprintf(`{"status":{"uptime_sec":%d},"autopid_data":{"SOC":%d,"HV_V":%d}}`, i, i%100, i)
		h.mustPost(id, []byte(body))
	}
	// One message per topic waits, however many posts came: at most 12 parameters,
	// diagnostics and the configs.
	if pending := h.client.Pending(); pending > 40 {
		t.Errorf("%d messages queued after 2000 posts during the outage, want one per topic", pending)
	}
	h.broker.Restart(t)
	sub := mqtttest.Subscribe(t, h.broker.URL, "#")
	sub.WaitFor(t, 40*time.Second, "final values after the outage", func(l map[string]string) bool {
		return l[testTopics.State(proNode, "SOC")] == "99" && l[testTopics.State(proNode, "HV_V")] == "1999"
	})
}
