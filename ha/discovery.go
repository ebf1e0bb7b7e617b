package ha

import (
	"encoding/json"
	"strings"

	"github.com/wican-bridge/wican-bridge/publish"
)

// Origin names the bridge in every discovery config, as Home Assistant asks publishers to.
var Origin = map[string]string{"name": "wican-bridge"}

// Topics builds the MQTT topics of the bridge and of Home Assistant discovery.
type Topics struct {
	Prefix string // Home Assistant's discovery prefix, "homeassistant" by default
	Base   string // root of the bridge's own state topics, "wican-bridge" by default
}

// BridgeStatus returns the bridge's availability topic, which carries its last will.
func (t Topics) BridgeStatus() string { return t.Base + "/status" }

// HAStatus returns the topic on which Home Assistant announces that it started.
func (t Topics) HAStatus() string { return t.Prefix + "/status" }

// State returns the state topic of one parameter.
func (t Topics) State(node, key string) string { return t.Base + "/" + node + "/" + key }

// Diagnostics returns the topic of an adapter's diagnostic values, sent as one JSON object.
func (t Topics) Diagnostics(node string) string { return t.Base + "/" + node + "/_diagnostics" }

// Config returns the discovery config topic of one entity. Every entity of the bridge
// sits under one node id, the Base, so that ConfigFilter can watch all of them.
func (t Topics) Config(component, node, key string) string {
	return t.Prefix + "/" + component + "/" + t.Base + "/" + node + "_" + key + "/config"
}

// ConfigFilter returns a subscription filter matching the bridge's discovery configs of
// one component.
func (t Topics) ConfigFilter(component string) string {
	return t.Prefix + "/" + component + "/" + t.Base + "/+/config"
}

// Device is the Home Assistant device of one adapter.
type Device struct {
	Node      string // object id of the device, unique per adapter
	Name      string
	Model     string // hw_version, such as "WiCAN-OBD-PRO"
	Firmware  string
	ConfigURL string // the adapter's own web page, when its address is known
}

type deviceConfig struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model,omitempty"`
	SWVersion    string   `json:"sw_version,omitempty"`
	ConfigURL    string   `json:"configuration_url,omitempty"`
}

type availability struct {
	Topic         string `json:"topic"`
	ValueTemplate string `json:"value_template,omitempty"`
}

// entityConfig is one discovery config, with Home Assistant's long key names.
type entityConfig struct {
	Name             string            `json:"name"`
	UniqueID         string            `json:"unique_id"`
	DefaultEntityID  string            `json:"default_entity_id"`
	StateTopic       string            `json:"state_topic"`
	ValueTemplate    string            `json:"value_template,omitempty"`
	DeviceClass      string            `json:"device_class,omitempty"`
	Unit             string            `json:"unit_of_measurement,omitempty"`
	StateClass       string            `json:"state_class,omitempty"`
	EntityCategory   string            `json:"entity_category,omitempty"`
	Icon             string            `json:"icon,omitempty"`
	Availability     []availability    `json:"availability"`
	AvailabilityMode string            `json:"availability_mode,omitempty"`
	Device           deviceConfig      `json:"device"`
	Origin           map[string]string `json:"origin"`
}

func (d Device) config() deviceConfig {
	return deviceConfig{
		Identifiers:  []string{d.Node},
		Name:         d.Name,
		Manufacturer: "MeatPi",
		Model:        d.Model,
		SWVersion:    d.Firmware,
		ConfigURL:    d.ConfigURL,
	}
}

// DefaultEntityID returns the entity id the bridge proposes for an entity, such as
// "sensor.golf_soc". Home Assistant uses it when it first creates the entity.
func DefaultEntityID(component, deviceName, key string) string {
	return component + "." + EntitySlug(deviceName) + "_" + EntitySlug(key)
}

// ParamKey returns the object id of a parameter, kept apart from the diagnostic ids.
func ParamKey(name string) string {
	key := ObjectID(name)
	if strings.HasPrefix(key, "diag_") {
		return "p_" + key
	}
	return key
}

// ParamConfig builds the discovery config of one parameter entity.
func (t Topics) ParamConfig(dev Device, key, name string, e Entity) publish.Message {
	cfg := entityConfig{
		Name:            DisplayName(name),
		UniqueID:        dev.Node + "_" + key,
		DefaultEntityID: DefaultEntityID(e.Component, dev.Name, key),
		StateTopic:      t.State(dev.Node, key),
		DeviceClass:     e.DeviceClass,
		Unit:            e.Unit,
		StateClass:      e.StateClass,
		Icon:            e.Icon,
		Availability:    []availability{{Topic: t.BridgeStatus()}},
		Device:          dev.config(),
		Origin:          Origin,
	}
	if e.Component == BinarySensor {
		cfg.Unit, cfg.StateClass = "", ""
	}
	if e.EngineOnly {
		engine := availability{Topic: t.Diagnostics(dev.Node), ValueTemplate: "{{ value_json.engine }}"}
		cfg.Availability = append(cfg.Availability, engine)
		cfg.AvailabilityMode = "all"
	}
	return configMessage(t.Config(e.Component, dev.Node, key), cfg)
}

func configMessage(topic string, cfg entityConfig) publish.Message {
	body, err := json.Marshal(cfg)
	if err != nil {
		// Every field is a string or a list of strings, which always marshal.
		panic("marshal discovery config: " + err.Error())
	}
	return publish.Message{Topic: topic, Payload: body, Retain: true, QoS: 1}
}

// RemoveConfig returns the message that removes an entity from Home Assistant: an empty
// retained payload on its config topic.
func (t Topics) RemoveConfig(component, node, key string) publish.Message {
	return publish.Message{Topic: t.Config(component, node, key), Payload: []byte{}, Retain: true, QoS: 1}
}
