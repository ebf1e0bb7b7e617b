package sim

import (
	"strings"
	"time"
)

// payloadLocked builds the next post. In changed mode it also records what the post
// carries as sent, before the post is made: a failed post loses those changes.
func (a *Adapter) payloadLocked(now time.Time) map[string]any {
	values := a.car.sample(now)
	if a.opts.Shape == ShapeDocumented {
		return a.documentedLocked(now, values)
	}

	sections := map[string]map[string]any{
		"status":       a.statusLocked(now),
		"autopid_data": values,
	}
	if a.opts.DataMode == ModeChanged {
		// Nested objects are skipped by the firmware's diff: no config section.
		sections = a.diffLocked(sections)
	} else {
		sections["config"] = a.configLocked()
	}

	out := map[string]any{}
	for name, section := range sections {
		if len(section) > 0 {
			out[name] = section
		}
	}
	return out
}

// diffLocked keeps the keys whose value differs from the last post and records them.
// A key that disappears is never signalled.
func (a *Adapter) diffLocked(sections map[string]map[string]any) map[string]map[string]any {
	if a.sent == nil {
		a.sent = map[string]map[string]any{}
	}
	out := map[string]map[string]any{}
	for name, section := range sections {
		last := a.sent[name]
		if last == nil {
			last = map[string]any{}
			a.sent[name] = last
		}
		changed := map[string]any{}
		for k, v := range section {
			if old, ok := last[k]; !ok || old != v {
				changed[k] = v
				last[k] = v
			}
		}
		out[name] = changed
	}
	return out
}

// documentedLocked is the shape of the WiCAN Pro WebHook documentation, always
// complete: {"device_id", "battery", "uptime", "data"}.
func (a *Adapter) documentedLocked(now time.Time, values map[string]any) map[string]any {
	data := map[string]any{}
	for k, v := range values {
		if name, ok := documentedNames[k]; ok {
			k = name
		}
		data[k] = v
	}
	suffix := strings.ToUpper(a.id[max(0, len(a.id)-4):])
	id := "WiCAN_" + suffix
	if a.opts.Pro {
		id = "WiCAN_Pro_" + suffix
	}
	return map[string]any{
		"device_id": id,
		"battery":   round2(a.car.battery(now)),
		"uptime":    int64(now.Sub(a.boot) / time.Second),
		"data":      data,
	}
}

// documentedNames are the short names the documentation example uses.
var documentedNames = map[string]string{
	"0D-VehicleSpeed":      "speed",
	"0C-EngineRPM":         "rpm",
	"SOC":                  "soc",
	"05-EngineCoolantTemp": "coolant_temp",
}
