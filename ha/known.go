package ha

import (
	"regexp"
	"strings"
)

// known describes a parameter the bridge recognises by name.
type known struct {
	class      string
	unit       string
	stateClass string
	binary     bool // a 0/1 flag: a binary sensor with class as its binary device class
	engineOnly bool // only meaningful while the engine runs; frozen values mislead otherwise
	icon       string
}

// knownNames are keyed by upper-case name: the documented payload's keys and common
// vehicle profile names.
var knownNames = map[string]known{
	"SPEED":          {class: "speed", unit: "km/h", engineOnly: true},
	"RPM":            {unit: "rpm", engineOnly: true, icon: "mdi:engine"},
	"SOC":            {class: "battery", unit: "%"},
	"SOC_D":          {class: "battery", unit: "%"},
	"SOC_BMS":        {class: "battery", unit: "%"},
	"SOC_DISPLAY":    {class: "battery", unit: "%"},
	"SOH":            {unit: "%", icon: "mdi:battery-heart-variant"},
	"COOLANT_TEMP":   {class: "temperature", unit: "°C", engineOnly: true},
	"HV_V":           {class: "voltage", unit: "V"},
	"HV_A":           {class: "current", unit: "A", engineOnly: true},
	"HV_C":           {class: "current", unit: "A", engineOnly: true},
	"HV_P":           {class: "power", unit: "kW", engineOnly: true},
	"HV_W":           {class: "power", unit: "kW", engineOnly: true},
	"POWER":          {class: "power", unit: "kW", engineOnly: true},
	"AUX_V":          {class: "voltage", unit: "V"},
	"12V":            {class: "voltage", unit: "V"},
	"BATT_V":         {class: "voltage", unit: "V"},
	"ODOMETER":       {class: "distance", unit: "km", stateClass: "total_increasing"},
	"ODO":            {class: "distance", unit: "km", stateClass: "total_increasing"},
	"RANGE":          {class: "distance", unit: "km"},
	"EST_RANGE":      {class: "distance", unit: "km"},
	"KWH_CHARGED":    {class: "energy", unit: "kWh", stateClass: "total_increasing"},
	"KWH_DISCHARGED": {class: "energy", unit: "kWh", stateClass: "total_increasing"},
	"CEC":            {class: "energy", unit: "kWh", stateClass: "total_increasing"},
	"CED":            {class: "energy", unit: "kWh", stateClass: "total_increasing"},
	"CHARGING":       {class: "battery_charging", binary: true},
	"PLUGGED":        {class: "plug", binary: true},
	"CHARGE_PLUG":    {class: "plug", binary: true},
	"ENGINE_RUNNING": {class: "running", binary: true},
	"AMBIENT_TEMP":   {class: "temperature", unit: "°C"},
	"EXT_TEMP":       {class: "temperature", unit: "°C"},
	"BATT_TEMP":      {class: "temperature", unit: "°C"},
	"HV_T_MAX":       {class: "temperature", unit: "°C"},
	"HV_T_MIN":       {class: "temperature", unit: "°C"},
	"FUEL_LEVEL":     {unit: "%", icon: "mdi:gas-station"},
	"FUEL":           {unit: "%", icon: "mdi:gas-station"},
	"THROTTLE":       {unit: "%", engineOnly: true},
	"ENGINE_LOAD":    {unit: "%", engineOnly: true},
}

// knownPrefixes match profile names with a numbered or positional suffix.
var knownPrefixes = []struct {
	prefix string
	known  known
}{
	{"HV_C_V_", known{class: "voltage", unit: "V"}},
	{"HV_T_", known{class: "temperature", unit: "°C"}},
	{"TYRE_P_", known{class: "pressure", unit: "kPa"}},
	{"TIRE_P_", known{class: "pressure", unit: "kPa"}},
	{"TYRE_T_", known{class: "temperature", unit: "°C"}},
	{"TIRE_T_", known{class: "temperature", unit: "°C"}},
	{"DOOR_", known{class: "door", binary: true}},
	{"WINDOW_", known{class: "window", binary: true}},
}

// obdPIDs describes standard OBD-II mode 01 parameters by PID number. The adapter names
// them "%02X-<Name>", such as "0C-EngineRPM".
var obdPIDs = map[string]known{
	"04": {unit: "%", engineOnly: true, icon: "mdi:engine"},
	"05": {class: "temperature", unit: "°C", engineOnly: true},
	"06": {unit: "%", engineOnly: true}, "07": {unit: "%", engineOnly: true},
	"08": {unit: "%", engineOnly: true}, "09": {unit: "%", engineOnly: true},
	"0A": {class: "pressure", unit: "kPa", engineOnly: true},
	"0B": {class: "pressure", unit: "kPa", engineOnly: true},
	"0C": {unit: "rpm", engineOnly: true, icon: "mdi:engine"},
	"0D": {class: "speed", unit: "km/h", engineOnly: true},
	"0E": {unit: "°", engineOnly: true},
	"0F": {class: "temperature", unit: "°C", engineOnly: true},
	"10": {unit: "g/s", engineOnly: true},
	"11": {unit: "%", engineOnly: true},
	"1F": {class: "duration", unit: "s", engineOnly: true},
	"21": {class: "distance", unit: "km"},
	"2F": {unit: "%", icon: "mdi:gas-station"},
	"31": {class: "distance", unit: "km"},
	"33": {class: "pressure", unit: "kPa", engineOnly: true},
	"42": {class: "voltage", unit: "V", engineOnly: true},
	"43": {unit: "%", engineOnly: true},
	"45": {unit: "%", engineOnly: true},
	"46": {class: "temperature", unit: "°C", engineOnly: true},
	"49": {unit: "%", engineOnly: true}, "4A": {unit: "%", engineOnly: true},
	"4C": {unit: "%", engineOnly: true},
	"5B": {class: "battery", unit: "%"},
	"5C": {class: "temperature", unit: "°C", engineOnly: true},
	"5E": {class: "volume_flow_rate", unit: "L/h", engineOnly: true},
	"A6": {class: "distance", unit: "km", stateClass: "total_increasing"},
}

var obdName = regexp.MustCompile(`^([0-9A-Fa-f]{2})-`)

// lookupKnown finds the built-in description of a parameter name. Unknown standard PIDs
// count as engine-only, since the adapter reads them from an ECU that stops answering
// when the engine is off.
func lookupKnown(name string) (known, bool) {
	upper := strings.ToUpper(strings.TrimSpace(name))
	if k, ok := knownNames[upper]; ok {
		return k, true
	}
	for _, p := range knownPrefixes {
		if strings.HasPrefix(upper, p.prefix) {
			return p.known, true
		}
	}
	if m := obdName.FindStringSubmatch(upper); m != nil {
		if k, ok := obdPIDs[m[1]]; ok {
			return k, true
		}
		return known{engineOnly: true}, false
	}
	return known{}, false
}
