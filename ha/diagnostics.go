package ha

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/wican-bridge/wican-bridge/publish"
)

// Diagnostics are an adapter's diagnostic values. They travel together as one JSON object,
// so a post costs one diagnostics message however many of them changed. Nil fields are
// sent as null, which Home Assistant shows as unknown.
type Diagnostics struct {
	Battery12V *float64 `json:"battery_12v"`
	Uptime     *float64 `json:"uptime"`
	Firmware   string   `json:"firmware,omitempty"`
	ECU        *string  `json:"ecu"` // "ON" or "OFF"
	LastPost   string   `json:"last_post,omitempty"`
	Online     string   `json:"online"` // "ON" or "OFF"
	// Engine is the availability of engine-only values: "online" while the adapter posts
	// and its ECU answers, "offline" otherwise.
	Engine string `json:"engine"`

	// The adapter's own webhook counters, read from its API.
	WebhookOK        *int    `json:"webhook_ok"`
	WebhookFail      *int    `json:"webhook_fail"`
	WebhookLastError *string `json:"webhook_last_error"`
}

// diagnostic is one entity fed from the diagnostics object.
type diagnostic struct {
	key, field, name string
	component        string
	class, unit      string
	stateClass       string
	icon             string
	category         string
}

var diagnosticEntities = []diagnostic{
	{key: "diag_battery_12v", field: "battery_12v", name: "12 V battery", component: Sensor,
		class: "voltage", unit: "V", stateClass: "measurement"},
	{key: "diag_uptime", field: "uptime", name: "Uptime", component: Sensor,
		class: "duration", unit: "s", category: "diagnostic"},
	{key: "diag_firmware", field: "firmware", name: "Firmware", component: Sensor,
		icon: "mdi:chip", category: "diagnostic"},
	{key: "diag_ecu", field: "ecu", name: "ECU online", component: BinarySensor,
		class: "running", category: "diagnostic"},
	{key: "diag_last_post", field: "last_post", name: "Last post", component: Sensor,
		class: "timestamp", category: "diagnostic"},
	{key: "diag_online", field: "online", name: "Online", component: BinarySensor,
		class: "connectivity", category: "diagnostic"},
	{key: "diag_webhook_ok", field: "webhook_ok", name: "Webhook posts OK", component: Sensor,
		icon: "mdi:webhook", stateClass: "total_increasing", category: "diagnostic"},
	{key: "diag_webhook_fail", field: "webhook_fail", name: "Webhook posts failed",
		component: Sensor, icon: "mdi:webhook", stateClass: "total_increasing",
		category: "diagnostic"},
	{key: "diag_webhook_last_error", field: "webhook_last_error", name: "Webhook last error",
		component: Sensor, icon: "mdi:alert-circle-outline", category: "diagnostic"},
}

// IsDiagnosticKey reports whether key is the object id of a diagnostic entity.
func IsDiagnosticKey(key string) bool {
	for _, d := range diagnosticEntities {
		if d.key == key {
			return true
		}
	}
	return false
}

// DiagnosticConfigs builds the discovery configs of an adapter's diagnostic entities,
// leaving out those whose keys skip reports true. Their only availability is the
// bridge's, so the 12 V battery keeps its last value while the car sleeps and the Online
// sensor can show the adapter as disconnected.
func (t Topics) DiagnosticConfigs(dev Device, skip func(key string) bool) []publish.Message {
	msgs := make([]publish.Message, 0, len(diagnosticEntities))
	for _, d := range diagnosticEntities {
		if skip != nil && skip(d.key) {
			continue
		}
		cfg := entityConfig{
			Name:            d.name,
			UniqueID:        dev.Node + "_" + d.key,
			DefaultEntityID: DefaultEntityID(d.component, dev.Name, d.name),
			StateTopic:      t.Diagnostics(dev.Node),
			ValueTemplate:   "{{ value_json." + d.field + " }}",
			DeviceClass:     d.class,
			Unit:            d.unit,
			StateClass:      d.stateClass,
			EntityCategory:  d.category,
			Icon:            d.icon,
			Availability:    []availability{{Topic: t.BridgeStatus()}},
			Device:          dev.config(),
			Origin:          Origin,
		}
		msgs = append(msgs, configMessage(t.Config(d.component, dev.Node, d.key), cfg))
	}
	return msgs
}

// RemoveDiagnostics returns the messages that remove an adapter's diagnostic entities.
func (t Topics) RemoveDiagnostics(node string) []publish.Message {
	msgs := make([]publish.Message, 0, len(diagnosticEntities))
	for _, d := range diagnosticEntities {
		msgs = append(msgs, t.RemoveConfig(d.component, node, d.key))
	}
	return msgs
}

// DiagnosticsMessage builds the retained diagnostics state of an adapter. It has QoS 0,
// like every state, because the bridge publishes it again after a reconnect.
func (t Topics) DiagnosticsMessage(node string, d Diagnostics) publish.Message {
	body, err := json.Marshal(d)
	if err != nil {
		panic("marshal diagnostics: " + err.Error())
	}
	return publish.Message{Topic: t.Diagnostics(node), Payload: body, Retain: true}
}

// OnOff returns Home Assistant's default binary sensor payload for b.
func OnOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// Timestamp formats t for a sensor with device class timestamp.
func Timestamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// FormatNumber formats a parameter value as its MQTT state.
func FormatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// DiagnosticEntityIDs returns the proposed entity ids of a device's diagnostic entities,
// by diagnostics field name.
func DiagnosticEntityIDs(deviceName string) map[string]string {
	ids := make(map[string]string, len(diagnosticEntities))
	for _, d := range diagnosticEntities {
		ids[d.field] = DefaultEntityID(d.component, deviceName, d.name)
	}
	return ids
}
