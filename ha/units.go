package ha

import "strings"

// sensorClass lists what Home Assistant accepts for one sensor device class: the units
// (HA 2025.7 and later drop an entity whose unit does not fit) and the state classes.
type sensorClass struct {
	units        []string
	stateClasses []string
}

var (
	onlyMeasurement = []string{"measurement"}
	totals          = []string{"total", "total_increasing"}
	anyAccumulating = []string{"measurement", "total", "total_increasing"}
	volumeUnits     = []string{"L", "mL", "gal", "fl. oz.", "m³", "ft³", "CCF", "MCF"}
	energyUnits     = []string{"J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh",
		"cal", "kcal", "Mcal", "Gcal"}
)

// sensorClasses is the subset of Home Assistant's sensor device classes that OBD data can
// use, with their allowed units and state classes (Home Assistant core, 2025-2026).
var sensorClasses = map[string]sensorClass{
	"speed": {[]string{"km/h", "m/s", "mph", "kn", "ft/s", "in/s", "mm/s", "in/d", "in/h", "mm/d"},
		onlyMeasurement},
	"voltage":          {[]string{"V", "mV", "μV", "kV", "MV"}, onlyMeasurement},
	"current":          {[]string{"A", "mA", "μA"}, onlyMeasurement},
	"power":            {[]string{"mW", "W", "kW", "MW", "GW", "TW"}, onlyMeasurement},
	"energy":           {energyUnits, totals},
	"energy_storage":   {energyUnits, onlyMeasurement},
	"energy_distance":  {[]string{"kWh/100km", "Wh/km", "mi/kWh", "km/kWh"}, onlyMeasurement},
	"battery":          {[]string{"%"}, onlyMeasurement},
	"temperature":      {[]string{"°C", "°F", "K"}, onlyMeasurement},
	"pressure":         {[]string{"Pa", "hPa", "kPa", "bar", "cbar", "mbar", "mmHg", "inHg", "psi", "mPa"}, onlyMeasurement},
	"distance":         {[]string{"mm", "cm", "m", "km", "in", "ft", "yd", "mi", "nmi"}, anyAccumulating},
	"duration":         {[]string{"d", "h", "min", "s", "ms", "μs"}, anyAccumulating},
	"frequency":        {[]string{"Hz", "kHz", "MHz", "GHz"}, onlyMeasurement},
	"volume":           {volumeUnits, totals},
	"volume_storage":   {volumeUnits, onlyMeasurement},
	"volume_flow_rate": {[]string{"m³/h", "m³/min", "m³/s", "ft³/min", "L/h", "L/min", "L/s", "gal/d", "gal/h", "gal/min", "mL/s"}, onlyMeasurement},
	"signal_strength":  {[]string{"dB", "dBm"}, onlyMeasurement},
	"weight":           {[]string{"kg", "g", "mg", "μg", "oz", "lb", "st"}, anyAccumulating},
}

// binaryClasses are the binary sensor device classes the bridge may send.
var binaryClasses = map[string]bool{
	"battery": true, "battery_charging": true, "plug": true, "door": true, "window": true,
	"opening": true, "lock": true, "running": true, "problem": true, "connectivity": true,
	"power": true, "moving": true, "light": true, "heat": true, "cold": true, "safety": true,
}

// unitAliases maps units as adapters and vehicle profiles write them to Home Assistant's
// exact strings. Keys are lower case.
var unitAliases = map[string]string{
	"degc": "°C", "c": "°C", "°c": "°C", "deg c": "°C", "celsius": "°C", "ºc": "°C",
	"degf": "°F", "f": "°F", "°f": "°F", "fahrenheit": "°F", "k": "K",
	"kpa": "kPa", "pa": "Pa", "hpa": "hPa", "bar": "bar", "mbar": "mbar", "psi": "psi",
	"rpm": "rpm", "r/min": "rpm", "1/min": "rpm",
	"km/h": "km/h", "kmh": "km/h", "kph": "km/h", "mph": "mph", "mi/h": "mph", "m/s": "m/s",
	"v": "V", "mv": "mV", "kv": "kV", "a": "A", "ma": "mA",
	"w": "W", "kw": "kW", "mw": "MW", "wh": "Wh", "kwh": "kWh", "mwh": "MWh",
	"km": "km", "m": "m", "mi": "mi", "cm": "cm", "mm": "mm", "ft": "ft",
	"s": "s", "sec": "s", "min": "min", "h": "h", "ms": "ms", "d": "d",
	"hz": "Hz", "khz": "kHz",
	"l": "L", "ml": "mL", "gal": "gal", "l/h": "L/h", "l/min": "L/min", "l/s": "L/s",
	"l/100km": "L/100km", "kwh/100km": "kWh/100km", "wh/km": "Wh/km",
	"%": "%", "g/s": "g/s", "ah": "Ah", "kg": "kg", "g": "g", "db": "dB", "dbm": "dBm",
	"deg": "°", "°": "°",
}

// classByUnit is the device class a unit implies when the adapter's class is missing or
// does not fit. Units absent here ("%", "rpm", "g/s") imply no class.
var classByUnit = map[string]string{
	"V": "voltage", "mV": "voltage", "kV": "voltage",
	"A": "current", "mA": "current",
	"W": "power", "kW": "power", "MW": "power",
	"Wh": "energy", "kWh": "energy", "MWh": "energy",
	"°C": "temperature", "°F": "temperature", "K": "temperature",
	"Pa": "pressure", "hPa": "pressure", "kPa": "pressure", "bar": "pressure",
	"mbar": "pressure", "psi": "pressure",
	"km/h": "speed", "mph": "speed", "m/s": "speed",
	"km": "distance", "m": "distance", "mi": "distance", "cm": "distance", "mm": "distance",
	"ft": "distance",
	"s":  "duration", "min": "duration", "h": "duration", "ms": "duration", "d": "duration",
	"Hz": "frequency", "kHz": "frequency",
	"L": "volume_storage", "mL": "volume_storage", "gal": "volume_storage",
	"L/h": "volume_flow_rate", "L/min": "volume_flow_rate", "L/s": "volume_flow_rate",
	"kWh/100km": "energy_distance", "Wh/km": "energy_distance",
	"dB": "signal_strength", "dBm": "signal_strength",
	"kg": "weight", "g": "weight",
}

// NormalizeUnit maps a unit as an adapter writes it to Home Assistant's spelling. "none"
// and "" become "". An unknown unit is kept as written, trimmed.
func NormalizeUnit(unit string) string {
	u := strings.TrimSpace(unit)
	lower := strings.ToLower(u)
	if lower == "" || lower == "none" || lower == "null" || lower == "n/a" {
		return ""
	}
	if mapped, ok := unitAliases[lower]; ok {
		return mapped
	}
	return u
}

func normalizeClass(class string) string {
	c := strings.ToLower(strings.TrimSpace(class))
	if c == "none" || c == "null" {
		return ""
	}
	return c
}

func unitFits(class, unit string) bool {
	sc, ok := sensorClasses[class]
	if !ok {
		return false
	}
	for _, u := range sc.units {
		if u == unit {
			return true
		}
	}
	return false
}

func stateClassFits(class, stateClass string) bool {
	sc, ok := sensorClasses[class]
	if !ok {
		return true
	}
	for _, s := range sc.stateClasses {
		if s == stateClass {
			return true
		}
	}
	return false
}
