package sim

import (
	"fmt"
	"time"
)

const (
	proFirmware = "4.50"
	obdFirmware = "4.20"
)

// statusLocked is the status section: about 60 keys on a Pro, fewer on a WiCAN-OBD,
// secrets stripped.
func (a *Adapter) statusLocked(now time.Time) map[string]any {
	s := map[string]any{
		"wifi_mode":    "APStation",
		"sta_status":   "Connected",
		"mdns":         "wican_" + a.id + ".local",
		"protocol":     a.opts.Protocol,
		"uptime":       formatUptime(now.Sub(a.boot)),
		"timestamp":    now.Unix(),
		"batt_voltage": fmt.Sprintf("%.1fV", a.car.battery(now)),
		"device_id":    a.id,
		"ecu_status":   a.ecuStatusLocked(),
	}
	if a.opts.Pro {
		a.addProStatus(s)
		return s
	}
	s["fw_version"], s["hw_version"], s["git_version"] = obdFirmware, "WiCAN-OBD", "v"+obdFirmware
	s["time_synced"] = false
	s["webhook_en"] = a.opts.WebhookEn
	s["sta_connected"] = true
	s["autopid_enabled"] = a.opts.Protocol == ProtocolAutoPID
	s["uptime_sec"] = int64(now.Sub(a.boot) / time.Second)
	return s
}

func (a *Adapter) ecuStatusLocked() string {
	if a.car.running && a.opts.Protocol == ProtocolAutoPID {
		return "online"
	}
	return "offline"
}

// addProStatus adds the Pro's settings and restart counters.
func (a *Adapter) addProStatus(s map[string]any) {
	topic := "wican/" + a.id + "/can/"
	for k, v := range map[string]any{
		"fw_version": proFirmware, "hw_version": "WiCAN-OBD-PRO",
		"git_version": "v" + proFirmware + "p",
		"time_synced": true, "home_protocol": a.opts.Protocol, "drive_protocol": a.opts.Protocol,
		"restart_boot_count": a.bootCount, "restart_last_boot_timestamp_unix": a.boot.Unix(),
		"mqtt_tx_topic": topic + "tx", "mqtt_rx_topic": topic + "rx",
		"mqtt_status_topic": topic + "status",
	} {
		s[k] = v
	}
	for k, v := range proSettings {
		s[k] = v
	}
}

// proSettings are the Pro status keys that do not change while it runs.
var proSettings = map[string]any{
	"ap_ch": "6", "ap_ssid_en": "enable", "ap_auto_disable": "disable",
	"drive_connection_type": "wifi", "drive_mode_timeout": "60",
	"ble_status": "disable", "ble_power": "medium", "can_datarate": "500K", "can_mode": "normal",
	"port_type": "tcp", "port": "3333", "sleep_status": "enable", "sleep_disable_agree": "no",
	"sleep_volt": "13.1", "sleep_time": "3", "wakeup_volt": "13.5", "periodic_wakeup": "disable",
	"wakeup_interval": "15", "batt_alert": "disable", "batt_alert_protocol": "mqtt",
	"batt_alert_volt": "11.0", "batt_alert_topic": "", "batt_alert_time": "1",
	"logger_status": "disable", "log_filesystem": "sdcard", "log_period": "1",
	"log_storage": "sdcard", "imu_threshold": "8", "elm327_udp_log": "disable",
	"obd_chip_status": "Ready", "restart_unexpected_reset_count": 0,
	"restart_last_reset_reason": "power_on", "restart_last_planned_reason": "config_saved",
	"restart_last_source": "web", "dns_main": "192.0.2.1", "dns_backup": "0.0.0.0",
	"mqtt_en": "disable", "subnet_overlap": "no", "vpn_status": "disabled", "vpn_ip": "",
}

// configLocked is the config section: per-PID metadata on a Pro, Automate settings
// on a WiCAN-OBD.
func (a *Adapter) configLocked() map[string]any {
	if a.opts.Pro {
		cfg := map[string]any{}
		for name, m := range a.car.meta() {
			cfg[name] = map[string]string{"class": m.Class, "unit": m.Unit}
		}
		return cfg
	}
	model := "Generic ICE"
	if a.opts.Vehicle == VehicleEV {
		model = "Generic EV"
	}
	return map[string]any{
		"cycle": a.hook.interval.Milliseconds(), "grouping": "disable",
		"webhook_data_mode": a.opts.DataMode, "car_model": model,
		"ha_discovery": "disable", "autopid_polling": "enable",
	}
}

// formatUptime gives "HH:MM:SS", or "Nd HH:MM:SS" past a day.
func formatUptime(d time.Duration) string {
	s := int64(d / time.Second)
	days, h, m, sec := s/86400, s/3600%24, s/60%60, s%60
	if days > 0 {
		return fmt.Sprintf("%dd %02d:%02d:%02d", days, h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}
