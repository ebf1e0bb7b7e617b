package ha

import (
	"strings"

	"github.com/wican-bridge/wican-bridge/payload"
)

// Components the bridge creates.
const (
	Sensor       = "sensor"
	BinarySensor = "binary_sensor"
)

// Entity is how one adapter parameter appears in Home Assistant.
type Entity struct {
	Component   string // Sensor or BinarySensor
	DeviceClass string
	Unit        string
	StateClass  string
	Icon        string
	// EngineOnly marks values that only mean something while the engine runs (speed, RPM,
	// load, flows). They become unavailable while the ECU is offline.
	EngineOnly bool
}

// Classify decides the component, device class, unit and state class of a parameter. The
// adapter's metadata wins when Home Assistant accepts it and is repaired when it does not.
// Without usable metadata the built-in table of known names decides, and otherwise the
// parameter is a plain number with state class measurement. meta may be nil.
func Classify(name string, meta *payload.Meta, value payload.Value) Entity {
	k, isKnown := lookupKnown(name)
	var class, unit string
	if meta != nil {
		class, unit = normalizeClass(meta.Class), NormalizeUnit(meta.Unit)
	}

	if e, ok := classifyBinary(k, isKnown, class, value); ok {
		return e
	}
	if value.Kind == payload.Text {
		return Entity{Component: Sensor, Icon: k.icon, EngineOnly: k.engineOnly}
	}

	e := Entity{Component: Sensor, Icon: k.icon, EngineOnly: k.engineOnly}
	if class != "" || unit != "" {
		e.DeviceClass, e.Unit = repair(class, unit)
	}
	if e.DeviceClass == "" && e.Unit == "" && isKnown && !k.binary {
		e.DeviceClass, e.Unit = k.class, k.unit
	}
	if !isKnown && impliesEngine(e.DeviceClass, e.Unit) {
		e.EngineOnly = true
	}
	e.StateClass = stateClass(name, e.DeviceClass, k)
	return e
}

// SameEntity reports whether Classify gives the same entity for both values with the same
// name and metadata. It compares the two things Classify reads of a value: its kind, and
// whether a number is 0 or 1.
func SameEntity(a, b payload.Value) bool {
	return a.Kind == b.Kind && (a.Kind != payload.Number || isFlag(a.Num) == isFlag(b.Num))
}

func isFlag(n float64) bool { return n == 0 || n == 1 }

func classifyBinary(k known, isKnown bool, class string, value payload.Value) (Entity, bool) {
	flag := value.Kind == payload.Number && isFlag(value.Num)
	metaBinary := binaryClasses[class] && sensorClasses[class].units == nil
	switch {
	case value.Kind == payload.Binary:
	case flag && metaBinary:
	case flag && isKnown && k.binary && class == "":
	default:
		return Entity{}, false
	}

	e := Entity{Component: BinarySensor, Icon: k.icon, EngineOnly: k.engineOnly}
	switch {
	case binaryClasses[class]:
		e.DeviceClass = class
	case isKnown && k.binary:
		e.DeviceClass = k.class
	}
	return e, true
}

// repair returns a class and unit pair that Home Assistant accepts. A class that does not
// fit the unit is replaced by the class the unit implies, or dropped.
func repair(class, unit string) (string, string) {
	if class != "" && unitFits(class, unit) {
		return class, unit
	}
	if implied, ok := classByUnit[unit]; ok {
		return implied, unit
	}
	return "", unit
}

func impliesEngine(class, unit string) bool {
	return class == "speed" || class == "volume_flow_rate" || unit == "rpm" || unit == "g/s"
}

func stateClass(name, class string, k known) string {
	if k.stateClass != "" && stateClassFits(class, k.stateClass) {
		return k.stateClass
	}
	upper := strings.ToUpper(name)
	if class == "distance" && strings.Contains(upper, "ODO") {
		return "total_increasing"
	}
	if class == "energy" || class == "volume" {
		return "total_increasing"
	}
	return "measurement"
}
