package main

import (
	"strconv"
	"strings"
)

// paramSpec is one parameter of the simulated car profile, with the metadata the adapter
// sends for it in the config section.
type paramSpec struct {
	name, class, unit string
}

// carParams are the 30 parameters every simulated adapter posts: the numeric ones of a
// WiCAN Pro EV profile plus a few OBD-II PIDs.
var carParams = []paramSpec{
	{"SOC", "battery", "%"}, {"HV_V", "voltage", "V"}, {"HV_A", "current", "A"},
	{"AUX_V", "battery", "V"}, {"0C-EngineRPM", "speed", "rpm"},
	{"0D-VehicleSpeed", "speed", "km/h"}, {"05-EngineCoolantTemp", "temperature", "degC"},
	{"TYRE_P_FL", "pressure", "KPa"}, {"TYRE_P_FR", "pressure", "KPa"},
	{"TYRE_P_RL", "pressure", "KPa"}, {"TYRE_P_RR", "pressure", "KPa"},
	{"ODOMETER", "distance", "km"}, {"KWH_CHARGED", "energy", "kWh"},
	{"KWH_DISCHARGED", "energy", "kWh"}, {"HV_T_MIN", "temperature", "degC"},
	{"HV_T_MAX", "temperature", "degC"}, {"CELL_V_MIN", "voltage", "V"},
	{"CELL_V_MAX", "voltage", "V"}, {"SOH", "battery", "%"}, {"RANGE", "distance", "km"},
	{"AMBIENT_T", "temperature", "degC"}, {"CABIN_T", "temperature", "degC"},
	{"HV_P", "power", "kW"}, {"CHG_P", "power", "kW"},
	{"0F-IntakeAirTemp", "temperature", "degC"}, {"04-EngineLoad", "none", "%"},
	{"11-ThrottlePosition", "none", "%"}, {"2F-FuelLevel", "none", "%"},
	{"10-MAFRate", "none", "g/s"}, {"42-ControlModuleVoltage", "voltage", "V"},
}

// proStatus is the status section of a WiCAN Pro on firmware 4.50, copied from a real
// post, without the keys that differ per adapter or per post. Those are appended by
// appendFull, so a full post carries 60 status keys.
const proStatus = `"wifi_mode":"APStation","ap_ch":"6","ap_ssid_en":"enable",` +
	`"ap_auto_disable":"disable","home_protocol":"auto_pid","drive_protocol":"auto_pid",` +
	`"drive_connection_type":"wifi","drive_mode_timeout":"60","sta_status":"Connected",` +
	`"ble_status":"disable","ble_power":"medium","can_datarate":"500K","can_mode":"normal",` +
	`"port_type":"tcp","port":"3333","fw_version":"4.50","hw_version":"WiCAN-OBD-PRO",` +
	`"git_version":"v4.50p","protocol":"auto_pid","sleep_status":"enable",` +
	`"sleep_disable_agree":"no","sleep_volt":"13.1","sleep_time":"3","wakeup_volt":"13.5",` +
	`"periodic_wakeup":"disable","wakeup_interval":"15","batt_alert":"disable",` +
	`"batt_alert_protocol":"mqtt","batt_alert_volt":"11.0","batt_alert_topic":"",` +
	`"batt_alert_time":"1","logger_status":"disable","log_filesystem":"sdcard",` +
	`"log_period":"1","log_storage":"sdcard","imu_threshold":"8","elm327_udp_log":"disable",` +
	`"obd_chip_status":"Ready","restart_boot_count":12,"restart_unexpected_reset_count":0,` +
	`"restart_last_reset_reason":"power_on","restart_last_planned_reason":"config_saved",` +
	`"restart_last_source":"web","restart_last_boot_timestamp_unix":1767221877,` +
	`"time_synced":true,"dns_main":"192.0.2.1","dns_backup":"0.0.0.0",` +
	`"batt_voltage":"12.6V","mqtt_en":"disable","subnet_overlap":"no",` +
	`"ecu_status":"online","vpn_status":"disabled","vpn_ip":""`

// configSection is the config section of a full post: metadata for every parameter.
var configSection = buildConfig()

func buildConfig() string {
	var b strings.Builder
	b.WriteString(`"config":{`)
	for i, p := range carParams {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(p.name) + `:{"class":` + strconv.Quote(p.class) +
			`,"unit":` + strconv.Quote(p.unit) + `}`)
	}
	b.WriteByte('}')
	return b.String()
}

// appendFull appends a full post: config, 60 status keys with the adapter's identity and
// the given uptime, and every parameter value.
func appendFull(dst []byte, deviceID string, uptime int64, values []int64) []byte {
	dst = append(dst, '{')
	dst = append(dst, configSection...)
	dst = append(dst, `,"status":{`...)
	dst = append(dst, proStatus...)
	dst = append(dst, `,"mdns":"wican_`...)
	dst = append(dst, deviceID...)
	dst = append(dst, `.local","device_id":"`...)
	dst = append(dst, deviceID...)
	dst = append(dst, `","mqtt_tx_topic":"wican/`...)
	dst = append(dst, deviceID...)
	dst = append(dst, `/can/tx","mqtt_rx_topic":"wican/`...)
	dst = append(dst, deviceID...)
	dst = append(dst, `/can/rx","mqtt_status_topic":"wican/`...)
	dst = append(dst, deviceID...)
	dst = append(dst, `/can/status","timestamp":`...)
	dst = strconv.AppendInt(dst, 1767225600+uptime, 10)
	dst = appendUptime(append(dst, `,"uptime":"`...), uptime)
	dst = append(dst, `"},"autopid_data":{`...)
	for i, p := range carParams {
		dst = appendValue(dst, i > 0, p.name, values[i])
	}
	return append(dst, "}}"...)
}

// appendChanged appends a changed-values-only post as firmware in that mode sends it:
// uptime, timestamp and battery in status, and only the values at slots.
func appendChanged(dst []byte, uptime int64, values []int64, slots []int) []byte {
	dst = appendUptime(append(dst, `{"status":{"uptime":"`...), uptime)
	dst = append(dst, `","timestamp":`...)
	dst = strconv.AppendInt(dst, 1767225600+uptime, 10)
	dst = append(dst, `,"batt_voltage":"12.5V"},"autopid_data":{`...)
	for i, slot := range slots {
		dst = appendValue(dst, i > 0, carParams[slot].name, values[slot])
	}
	return append(dst, "}}"...)
}

func appendValue(dst []byte, comma bool, name string, value int64) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = strconv.AppendQuote(dst, name)
	dst = append(dst, ':')
	return strconv.AppendInt(dst, value, 10)
}

// appendUptime appends seconds as the adapter's "HH:MM:SS", hours not wrapping at 24.
func appendUptime(dst []byte, seconds int64) []byte {
	dst = strconv.AppendInt(dst, seconds/3600, 10)
	dst = append(dst, ':', byte('0'+seconds/600%6), byte('0'+seconds/60%10), ':')
	return append(dst, byte('0'+seconds%60/10), byte('0'+seconds%10))
}
