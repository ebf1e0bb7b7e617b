// Package payload decodes the webhook bodies that WiCAN adapters post.
//
// Two shapes are accepted and may even be mixed in one body. Current firmware posts
// {"config", "status", "autopid_data"}, each section left out when empty. The WiCAN Pro
// WebHook documentation describes {"device_id", "battery", "uptime", "data"}. Unknown
// sections and keys are ignored.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNotObject is returned for a body that is valid JSON but not a JSON object.
var ErrNotObject = errors.New("body is not a JSON object")

// Kind tells how a parameter value is to be read.
type Kind uint8

// The kinds of parameter value.
const (
	Number Kind = iota // a finite float64
	Binary             // "on"/"off" as sent by the adapter, Num is 1 or 0
	Text               // any other string
)

// Value is one parameter value as the adapter sent it.
type Value struct {
	Kind Kind
	Num  float64
	Text string
}

// Equal reports whether two values would publish the same state.
func (v Value) Equal(o Value) bool {
	return v.Kind == o.Kind && v.Num == o.Num && v.Text == o.Text
}

// Param is one named parameter value from a post.
type Param struct {
	Name  string
	Value Value
}

// Meta is the adapter's metadata for one parameter, as the adapter sent it (not yet checked).
type Meta struct {
	Class string `json:"class"`
	Unit  string `json:"unit"`
}

// Post is a decoded webhook body. Fields the body did not carry are zero and their Has
// flag is false, because changed-values-only posts leave out every key that did not change.
type Post struct {
	DeviceID string
	Firmware string
	Hardware string
	// Host is the adapter's mDNS host name from status.mdns, such as "wican_a1b2c3d4e5f6.local".
	Host     string
	Protocol string

	Battery    float64 // 12 V supply in volts
	HasBattery bool
	Uptime     float64 // seconds since the adapter booted
	HasUptime  bool
	// ECU is "online" or "offline" as the adapter reports whether the car's ECU answers.
	ECU string

	Params []Param
	// Meta is shared by every post whose config section has the same text, so callers
	// must not modify it.
	Meta map[string]Meta
	// Skipped counts values that were left out because they were not a number, a string
	// or a boolean, or were out of float64's range.
	Skipped int
}

// wire is the union of both shapes. Values stay raw so that one odd key costs only itself.
type wire struct {
	Config      json.RawMessage `json:"config"`
	Status      json.RawMessage `json:"status"`
	AutoPIDData json.RawMessage `json:"autopid_data"`

	DeviceID json.RawMessage `json:"device_id"`
	Battery  json.RawMessage `json:"battery"`
	Uptime   json.RawMessage `json:"uptime"`
	Data     json.RawMessage `json:"data"`
}

type status struct {
	DeviceID    json.RawMessage `json:"device_id"`
	FWVersion   json.RawMessage `json:"fw_version"`
	HWVersion   json.RawMessage `json:"hw_version"`
	BattVoltage json.RawMessage `json:"batt_voltage"`
	Uptime      json.RawMessage `json:"uptime"`
	UptimeSec   json.RawMessage `json:"uptime_sec"`
	ECUStatus   json.RawMessage `json:"ecu_status"`
	MDNS        json.RawMessage `json:"mdns"`
	Protocol    json.RawMessage `json:"protocol"`
}

// Decode parses a webhook body. It returns an error only when the body as a whole is
// unusable: invalid JSON, or JSON that is not an object.
func Decode(body []byte) (*Post, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("body is empty")
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return nil, errors.New("body is not valid JSON")
		}
		return nil, ErrNotObject
	}

	if p, ok := decodeFast(body); ok {
		return p, nil
	}
	return decodeLenient(body)
}

// decodeLenient decodes each section on its own, so that a section of an odd type costs
// only itself.
func decodeLenient(body []byte) (*Post, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("body is not valid JSON: %w", jsonReason(err))
	}

	p := &Post{}
	p.decodeDocumented(w.DeviceID, w.Battery, w.Uptime, section(w.Data, &p.Skipped))
	var st status
	if object(w.Status, &st, &p.Skipped) {
		p.decodeStatus(&st)
	}
	p.Params = appendParams(p.Params, section(w.AutoPIDData, &p.Skipped), &p.Skipped)
	p.Meta = decodeMeta(section(w.Config, &p.Skipped))
	return p, nil
}

// object decodes a section that must be a JSON object. A section of another type is
// counted as skipped and ignored, so that one odd section does not cost the whole post.
func object(raw json.RawMessage, dst any, skipped *int) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return false
	}
	if raw[0] != '{' || json.Unmarshal(raw, dst) != nil {
		*skipped++
		return false
	}
	return true
}

func section(raw json.RawMessage, skipped *int) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	object(raw, &m, skipped)
	return m
}

// jsonReason drops the Go type names from a JSON error, since the adapter shows the
// reason to its user.
func jsonReason(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("%s has the wrong type (%s)", typeErr.Field, typeErr.Value)
	}
	return err
}

// decodeDocumented reads the top-level keys of the documented shape.
func (p *Post) decodeDocumented(deviceID, battery, uptime json.RawMessage,
	data map[string]json.RawMessage) {
	p.decodeHeader(deviceID, battery, uptime)
	p.Params = appendParams(p.Params, data, &p.Skipped)
}

// decodeHeader reads the documented shape's top-level scalars.
func (p *Post) decodeHeader(deviceID, battery, uptime json.RawMessage) {
	p.DeviceID = rawString(deviceID)
	if v, ok := rawNumber(battery); ok {
		p.Battery, p.HasBattery = v, true
	}
	if v, ok := rawNumber(uptime); ok {
		p.Uptime, p.HasUptime = v, true
	}
}

func (p *Post) decodeStatus(s *status) {
	if id := rawString(s.DeviceID); id != "" {
		p.DeviceID = id
	}
	p.Firmware = rawString(s.FWVersion)
	p.Hardware = rawString(s.HWVersion)
	p.Host = rawString(s.MDNS)
	p.Protocol = rawString(s.Protocol)
	p.ECU = strings.ToLower(rawString(s.ECUStatus))

	if v, ok := parseVolts(s.BattVoltage); ok {
		p.Battery, p.HasBattery = v, true
	}
	if v, ok := rawNumber(s.UptimeSec); ok {
		p.Uptime, p.HasUptime = v, true
	} else if v, ok := ParseUptime(rawString(s.Uptime)); ok {
		p.Uptime, p.HasUptime = v, true
	}
}

// appendParams decodes a section of parameter values. Map order is random, so callers
// must not rely on the order of Params.
func appendParams(dst []Param, section map[string]json.RawMessage, skipped *int) []Param {
	for name, raw := range section {
		v, ok := decodeValue(raw)
		if !ok || name == "" {
			*skipped++
			continue
		}
		dst = append(dst, Param{Name: name, Value: v})
	}
	return dst
}

func decodeValue(raw json.RawMessage) (Value, bool) {
	if len(raw) == 0 {
		return Value{}, false
	}
	switch raw[0] {
	case '"':
		s, ok := unquote(raw)
		if !ok {
			return Value{}, false
		}
		return stringValue(s), true
	case 't':
		return Value{Kind: Binary, Num: 1, Text: "on"}, true
	case 'f':
		return Value{Kind: Binary, Num: 0, Text: "off"}, true
	case 'n', '{', '[':
		return Value{}, false
	}
	f, ok := rawNumber(raw)
	return Value{Kind: Number, Num: f}, ok
}

func stringValue(s string) Value {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on":
		return Value{Kind: Binary, Num: 1, Text: "on"}
	case "off":
		return Value{Kind: Binary, Num: 0, Text: "off"}
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && finite(f) {
		return Value{Kind: Number, Num: f}
	}
	return Value{Kind: Text, Text: s}
}

func decodeMeta(config map[string]json.RawMessage) map[string]Meta {
	var meta map[string]Meta
	for name, raw := range config {
		// Non-Pro adapters put Automate settings (scalars) here, not per-parameter objects.
		if len(raw) == 0 || raw[0] != '{' {
			continue
		}
		var m Meta
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		if meta == nil {
			meta = make(map[string]Meta, len(config))
		}
		meta[name] = m
	}
	return meta
}

func rawString(raw json.RawMessage) string {
	s, _ := unquote(raw)
	return s
}

// unquote returns the string a raw JSON string holds. Strings without escapes, which
// adapters send, take a fast path that does not run the JSON decoder again.
func unquote(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// rawNumber reads a JSON number, or a string holding one. Infinite results (1e400) fail.
func rawNumber(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	text := string(raw)
	if raw[0] == '"' {
		text = strings.TrimSpace(rawString(raw))
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || !finite(f) {
		return 0, false
	}
	return f, true
}

// parseVolts reads batt_voltage, a string with a unit such as "12.6V"; non-Pro adapters
// may send "N/A".
func parseVolts(raw json.RawMessage) (float64, bool) {
	if len(raw) > 0 && raw[0] != '"' {
		return rawNumber(raw)
	}
	s := strings.TrimSpace(rawString(raw))
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "V"), "v"))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(f) {
		return 0, false
	}
	return f, true
}

// ParseUptime reads the adapter's uptime string, "HH:MM:SS" or "Nd HH:MM:SS", into seconds.
func ParseUptime(s string) (float64, bool) {
	var days int
	if d, rest, ok := strings.Cut(s, "d "); ok {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil || n < 0 {
			return 0, false
		}
		days, s = n, rest
	}
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return 0, false
	}
	// Summing in float64 keeps huge fields from wrapping around to a negative count.
	total := float64(days) * 86400
	for i, unit := range []float64{3600, 60, 1} {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return 0, false
		}
		total += float64(n) * unit
	}
	return total, true
}

func finite(f float64) bool {
	return !math.IsInf(f, 0) && !math.IsNaN(f)
}

// ValueOf converts a value that encoding/json decoded into an any (float64, string or bool)
// into a parameter value. Other types are not parameter values.
func ValueOf(v any) (Value, bool) {
	switch x := v.(type) {
	case float64:
		return Value{Kind: Number, Num: x}, finite(x)
	case string:
		return stringValue(x), true
	case bool:
		if x {
			return Value{Kind: Binary, Num: 1, Text: "on"}, true
		}
		return Value{Kind: Binary, Num: 0, Text: "off"}, true
	}
	return Value{}, false
}
