package ha

import (
	"testing"

	"github.com/wican-bridge/wican-bridge/payload"
)

func num(f float64) payload.Value { return payload.Value{Kind: payload.Number, Num: f} }

func onOff(on bool) payload.Value {
	if on {
		return payload.Value{Kind: payload.Binary, Num: 1, Text: "on"}
	}
	return payload.Value{Kind: payload.Binary, Num: 0, Text: "off"}
}

func meta(class, unit string) *payload.Meta { return &payload.Meta{Class: class, Unit: unit} }

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		param string
		meta  *payload.Meta
		value payload.Value
		want  Entity
	}{
		{"valid metadata kept", "HV_V", meta("voltage", "V"), num(702.4),
			Entity{Component: Sensor, DeviceClass: "voltage", Unit: "V", StateClass: "measurement"}},
		{"rpm with class speed loses the class", "0C-EngineRPM", meta("speed", "rpm"), num(851),
			Entity{Component: Sensor, Unit: "rpm", StateClass: "measurement", Icon: "mdi:engine",
				EngineOnly: true}},
		{"battery with volts becomes voltage", "AUX_V", meta("battery", "V"), num(12.6),
			Entity{Component: Sensor, DeviceClass: "voltage", Unit: "V", StateClass: "measurement"}},
		{"degC repaired", "05-EngineCoolantTemp", meta("temperature", "degC"), num(88),
			Entity{Component: Sensor, DeviceClass: "temperature", Unit: "°C",
				StateClass: "measurement", EngineOnly: true}},
		{"KPa repaired", "TYRE_P_FL", meta("pressure", "KPa"), num(241.3),
			Entity{Component: Sensor, DeviceClass: "pressure", Unit: "kPa", StateClass: "measurement"}},
		{"RPM unit repaired", "MY_RPM", meta("none", "RPM"), num(900),
			Entity{Component: Sensor, Unit: "rpm", StateClass: "measurement", EngineOnly: true}},
		{"fuel trim volume_storage with percent", "06-ShortTermFuelTrim", meta("volume_storage", "%"),
			num(-2.3), Entity{Component: Sensor, Unit: "%", StateClass: "measurement", EngineOnly: true}},
		{"odometer is total_increasing", "ODOMETER", meta("distance", "km"), num(48211.7),
			Entity{Component: Sensor, DeviceClass: "distance", Unit: "km", StateClass: "total_increasing"}},
		{"energy counter is total_increasing", "KWH_CHARGED", meta("energy", "kWh"), num(1532.44),
			Entity{Component: Sensor, DeviceClass: "energy", Unit: "kWh", StateClass: "total_increasing"}},
		{"unknown energy name still total_increasing", "MY_ENERGY", meta("none", "kWh"), num(3),
			Entity{Component: Sensor, DeviceClass: "energy", Unit: "kWh", StateClass: "total_increasing"}},
		{"on/off string is binary with meta class", "DOOR_FL", meta("door", "none"), onOff(false),
			Entity{Component: BinarySensor, DeviceClass: "door"}},
		{"0/1 flag from table is binary", "CHARGING", meta("none", "none"), num(1),
			Entity{Component: BinarySensor, DeviceClass: "battery_charging"}},
		{"0/1 flag with binary meta class", "HOOD", meta("opening", "none"), num(0),
			Entity{Component: BinarySensor, DeviceClass: "opening"}},
		{"documented speed", "speed", nil, num(65),
			Entity{Component: Sensor, DeviceClass: "speed", Unit: "km/h", StateClass: "measurement",
				EngineOnly: true}},
		{"documented soc", "soc", nil, num(78.5),
			Entity{Component: Sensor, DeviceClass: "battery", Unit: "%", StateClass: "measurement"}},
		{"documented coolant", "coolant_temp", nil, num(92),
			Entity{Component: Sensor, DeviceClass: "temperature", Unit: "°C",
				StateClass: "measurement", EngineOnly: true}},
		{"standard PID without meta", "0D-VehicleSpeed", nil, num(42),
			Entity{Component: Sensor, DeviceClass: "speed", Unit: "km/h", StateClass: "measurement",
				EngineOnly: true}},
		{"fuel level keeps its value", "2F-FuelTankLevel", nil, num(63.14),
			Entity{Component: Sensor, Unit: "%", StateClass: "measurement", Icon: "mdi:gas-station"}},
		{"unknown PID is engine-only", "99-Something", nil, num(3),
			Entity{Component: Sensor, StateClass: "measurement", EngineOnly: true}},
		{"custom name is a plain number", "Custom fuel rate", nil, num(0.8),
			Entity{Component: Sensor, StateClass: "measurement"}},
		{"cell voltage by prefix", "HV_C_V_001", nil, num(3.91),
			Entity{Component: Sensor, DeviceClass: "voltage", Unit: "V", StateClass: "measurement"}},
		{"text value has no unit", "VIN", nil, payload.Value{Kind: payload.Text, Text: "WVW"},
			Entity{Component: Sensor}},
		{"unknown class with unknown unit dropped", "X", meta("bogus", "furlong"), num(1.5),
			Entity{Component: Sensor, Unit: "furlong", StateClass: "measurement"}},
		{"class without unit dropped", "Y", meta("temperature", "none"), num(20),
			Entity{Component: Sensor, StateClass: "measurement"}},
		{"0/1 value of a numeric param stays a sensor", "SOC", meta("battery", "%"), num(1),
			Entity{Component: Sensor, DeviceClass: "battery", Unit: "%", StateClass: "measurement"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.param, tt.meta, tt.value)
			if got != tt.want {
				t.Errorf("Classify(%q) = %+v, want %+v", tt.param, got, tt.want)
			}
		})
	}
}

func TestClassifyAlwaysValid(t *testing.T) {
	classes := []string{"", "none", "speed", "battery", "voltage", "temperature", "door",
		"volume_storage", "energy", "distance", "bogus", "pressure", "power", "duration"}
	units := []string{"", "none", "rpm", "V", "%", "degC", "KPa", "km/h", "kWh", "km", "L",
		"l/h", "mi/h", "s", "furlong", "A"}
	names := []string{"SOC", "ODOMETER", "0C-EngineRPM", "weird name", "CHARGING"}
	topics := Topics{Prefix: "homeassistant", Base: "wican-bridge"}
	dev := Device{Node: "wican_abc", Name: "Car"}
	for _, class := range classes {
		for _, unit := range units {
			for _, name := range names {
				for _, v := range []payload.Value{num(0), num(42.5), onOff(true)} {
					e := Classify(name, meta(class, unit), v)
					msg := topics.ParamConfig(dev, ParamKey(name), name, e)
					if err := ValidateConfig(msg.Topic, msg.Payload); err != nil {
						t.Errorf("class %q unit %q name %q value %v: %v", class, unit, name, v, err)
					}
				}
			}
		}
	}
}

// The bridge classifies a parameter again only when SameEntity reports that a new value
// may change its entity, so a wrong result would leave an entity with a stale component.
func TestSameEntityMatchesClassify(t *testing.T) {
	values := []payload.Value{num(0), num(1), num(42.5), num(-3), onOff(true), onOff(false),
		{Kind: payload.Text, Text: "P"}, {Kind: payload.Text, Text: "1"}}
	metas := []*payload.Meta{nil, meta("door", ""), meta("battery", "%"), meta("", "rpm"),
		meta("bogus", "")}
	names := []string{"SOC", "CHARGING", "0C-EngineRPM", "weird name"}
	differ := 0
	for _, name := range names {
		for _, m := range metas {
			for _, a := range values {
				for _, b := range values {
					first, second := Classify(name, m, a), Classify(name, m, b)
					if SameEntity(a, b) && first != second {
						t.Errorf("%s meta %v: SameEntity(%v, %v) but Classify gives %+v and %+v",
							name, m, a, b, first, second)
					}
					if first != second {
						differ++
					}
				}
			}
		}
	}
	if differ == 0 {
		t.Fatal("no pair of values classified differently: the table does not exercise SameEntity")
	}
}

func TestDiagnosticConfigsValid(t *testing.T) {
	topics := Topics{Prefix: "homeassistant", Base: "wican-bridge"}
	for _, msg := range topics.DiagnosticConfigs(Device{Node: "wican_abc", Name: "WiCAN abc"}, nil) {
		if err := ValidateConfig(msg.Topic, msg.Payload); err != nil {
			t.Error(err)
		}
	}
}

func TestValidateConfigRejects(t *testing.T) {
	tests := []struct {
		name, topic, body string
	}{
		{"unit not valid for class", "homeassistant/sensor/n/o/config",
			`{"unique_id":"u","default_entity_id":"sensor.x","state_topic":"s","device_class":"temperature","unit_of_measurement":"degC","origin":{"name":"o"},"device":{"identifiers":["d"]}}`},
		{"object_id present", "homeassistant/sensor/n/o/config",
			`{"unique_id":"u","object_id":"x","default_entity_id":"sensor.x","state_topic":"s","origin":{"name":"o"},"device":{"identifiers":["d"]}}`},
		{"bad topic id", "homeassistant/sensor/n/a b/config",
			`{"unique_id":"u","default_entity_id":"sensor.x","state_topic":"s","origin":{"name":"o"},"device":{"identifiers":["d"]}}`},
		{"energy with measurement", "homeassistant/sensor/n/o/config",
			`{"unique_id":"u","default_entity_id":"sensor.x","state_topic":"s","device_class":"energy","unit_of_measurement":"kWh","state_class":"measurement","origin":{"name":"o"},"device":{"identifiers":["d"]}}`},
		{"template with subscript", "homeassistant/sensor/n/o/config",
			`{"unique_id":"u","default_entity_id":"sensor.x","state_topic":"s","value_template":"{{ value_json.0C }}","origin":{"name":"o"},"device":{"identifiers":["d"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateConfig(tt.topic, []byte(tt.body)); err == nil {
				t.Errorf("ValidateConfig accepted %s", tt.body)
			}
		})
	}
}
