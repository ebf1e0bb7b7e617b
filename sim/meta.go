package sim

import (
	"maps"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

// The per-parameter metadata of a Pro, with the mistakes real vehicle profiles
// carry: RPM with class speed, battery class for a voltage, degC, KPa, RPM,
// volume_storage for a fuel trim, "none" and "" for missing values.

var evMeta = map[string]devicecfg.ParamMeta{
	"SOC":                  {Class: "battery", Unit: "%"},
	"HV_V":                 {Class: "voltage", Unit: "V"},
	"HV_A":                 {Class: "current", Unit: "A"},
	"AUX_V":                {Class: "battery", Unit: "V"},
	"CHARGING":             {Class: "none", Unit: "none"},
	"0C-EngineRPM":         {Class: "speed", Unit: "rpm"},
	"0D-VehicleSpeed":      {Class: "speed", Unit: "km/h"},
	"05-EngineCoolantTemp": {Class: "temperature", Unit: "degC"},
	"TYRE_P_FL":            {Class: "pressure", Unit: "KPa"},
	"TYRE_P_FR":            {Class: "pressure", Unit: "KPa"},
	"TYRE_P_RL":            {Class: "pressure", Unit: "KPa"},
	"TYRE_P_RR":            {Class: "pressure", Unit: "KPa"},
	"ODOMETER":             {Class: "distance", Unit: "km"},
	"KWH_CHARGED":          {Class: "energy", Unit: "kWh"},
	"DOOR_FL":              {Class: "door", Unit: "none"},
}

var iceMeta = map[string]devicecfg.ParamMeta{
	"0C-EngineRPM":                      {Class: "speed", Unit: "RPM"},
	"0D-VehicleSpeed":                   {Class: "speed", Unit: "km/h"},
	"05-EngineCoolantTemp":              {Class: "temperature", Unit: "degC"},
	"2F-FuelTankLevel":                  {Class: "none", Unit: "%"},
	"04-EngineLoad":                     {Class: "none", Unit: "%"},
	"10-MAFAirFlowRate":                 {Class: "none", Unit: "g/s"},
	"0F-IntakeAirTemperature":           {Class: "temperature", Unit: "degC"},
	"0B-IntakeManifoldAbsolutePressure": {Class: "pressure", Unit: "KPa"},
	"11-ThrottlePosition":               {Class: "none", Unit: "%"},
	"06-ShortTermFuelTrimBank1":         {Class: "volume_storage", Unit: "%"},
	"Custom fuel rate":                  {Class: "none", Unit: ""},
	"ODOMETER":                          {Class: "distance", Unit: "km"},
	"AUX_V":                             {Class: "battery", Unit: "V"},
	"DOOR_FL":                           {Class: "door", Unit: "none"},
}

// meta returns a copy of the metadata of the vehicle's parameters.
func (v *vehicle) meta() map[string]devicecfg.ParamMeta {
	if v.kind == VehicleEV {
		return maps.Clone(evMeta)
	}
	return maps.Clone(iceMeta)
}
