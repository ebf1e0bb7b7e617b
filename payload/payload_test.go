package payload

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return body
}

func decodeFixture(t *testing.T, name string) *Post {
	t.Helper()
	p, err := Decode(readFixture(t, name))
	if err != nil {
		t.Fatalf("Decode(%s) returned error %v, want a post", name, err)
	}
	return p
}

// paramMap indexes params by name and fails on a name that appears twice.
func paramMap(t *testing.T, params []Param) map[string]Value {
	t.Helper()
	m := make(map[string]Value, len(params))
	for _, p := range params {
		if _, dup := m[p.Name]; dup {
			t.Errorf("param %q appears twice", p.Name)
		}
		m[p.Name] = p.Value
	}
	return m
}

func number(f float64) Value { return Value{Kind: Number, Num: f} }

func binary(on bool) Value {
	if on {
		return Value{Kind: Binary, Num: 1, Text: "on"}
	}
	return Value{Kind: Binary, Num: 0, Text: "off"}
}

func checkParams(t *testing.T, got []Param, want map[string]Value) {
	t.Helper()
	params := paramMap(t, got)
	if len(params) != len(want) {
		t.Errorf("got %d params, want %d: %v", len(params), len(want), params)
	}
	for name, w := range want {
		g, ok := params[name]
		if !ok {
			t.Errorf("param %q missing", name)
			continue
		}
		if !g.Equal(w) {
			t.Errorf("param %q = %+v, want %+v", name, g, w)
		}
	}
}

func TestDecodeDocumentedFormat(t *testing.T) {
	p := decodeFixture(t, "documented-format.json")

	if p.DeviceID != "WiCAN_Pro_A1B2" {
		t.Errorf("DeviceID = %q, want %q", p.DeviceID, "WiCAN_Pro_A1B2")
	}
	if !p.HasBattery {
		t.Error("HasBattery = false, want true")
	}
	if p.Battery != 13.4 {
		t.Errorf("Battery = %v, want 13.4", p.Battery)
	}
	if !p.HasUptime {
		t.Error("HasUptime = false, want true")
	}
	if p.Uptime != 3600 {
		t.Errorf("Uptime = %v, want 3600", p.Uptime)
	}
	if p.Skipped != 0 {
		t.Errorf("Skipped = %d, want 0", p.Skipped)
	}
	checkParams(t, p.Params, map[string]Value{
		"speed": number(65), "rpm": number(2450), "soc": number(78.5), "coolant_temp": number(92),
	})
}

func TestDecodeProFull(t *testing.T) {
	p := decodeFixture(t, "pro-full.json")

	strs := []struct{ field, got, want string }{
		{"DeviceID", p.DeviceID, "a1b2c3d4e5f6"},
		{"Firmware", p.Firmware, "4.50"},
		{"Hardware", p.Hardware, "WiCAN-OBD-PRO"},
		{"Host", p.Host, "wican_a1b2c3d4e5f6.local"},
		{"Protocol", p.Protocol, "auto_pid"},
		{"ECU", p.ECU, "online"},
	}
	for _, s := range strs {
		if s.got != s.want {
			t.Errorf("%s = %q, want %q", s.field, s.got, s.want)
		}
	}
	if !p.HasBattery {
		t.Error("HasBattery = false, want true")
	}
	if p.Battery != 12.6 {
		t.Errorf("Battery = %v, want 12.6 from \"12.6V\"", p.Battery)
	}
	if !p.HasUptime {
		t.Error("HasUptime = false, want true")
	}
	if p.Uptime != 3723 {
		t.Errorf("Uptime = %v, want 3723 from \"01:02:03\"", p.Uptime)
	}
	if p.Skipped != 0 {
		t.Errorf("Skipped = %d, want 0", p.Skipped)
	}

	checkParams(t, p.Params, map[string]Value{
		"SOC": number(71.5), "HV_V": number(702.4), "HV_A": number(-12.35),
		"AUX_V": number(12.61), "CHARGING": number(0), "0C-EngineRPM": number(851),
		"0D-VehicleSpeed": number(42), "05-EngineCoolantTemp": number(88),
		"TYRE_P_FL": number(241.3), "ODOMETER": number(48211.7), "KWH_CHARGED": number(1532.44),
		"DOOR_FL": binary(false),
	})

	wantMeta := map[string]Meta{
		"SOC":                  {"battery", "%"},
		"HV_V":                 {"voltage", "V"},
		"HV_A":                 {"current", "A"},
		"AUX_V":                {"battery", "V"},
		"CHARGING":             {"none", "none"},
		"0C-EngineRPM":         {"speed", "rpm"},
		"0D-VehicleSpeed":      {"speed", "km/h"},
		"05-EngineCoolantTemp": {"temperature", "degC"},
		"TYRE_P_FL":            {"pressure", "KPa"},
		"ODOMETER":             {"distance", "km"},
		"KWH_CHARGED":          {"energy", "kWh"},
		"DOOR_FL":              {"door", "none"},
	}
	if !reflect.DeepEqual(p.Meta, wantMeta) {
		t.Errorf("Meta = %v, want %v", p.Meta, wantMeta)
	}
}

func TestDecodeProChanged(t *testing.T) {
	p := decodeFixture(t, "pro-changed.json")

	if p.DeviceID != "" {
		t.Errorf("DeviceID = %q, want empty because changed posts leave it out", p.DeviceID)
	}
	if p.Firmware != "" {
		t.Errorf("Firmware = %q, want empty", p.Firmware)
	}
	if p.Hardware != "" {
		t.Errorf("Hardware = %q, want empty", p.Hardware)
	}
	if p.Meta != nil {
		t.Errorf("Meta = %v, want nil", p.Meta)
	}
	if !p.HasBattery {
		t.Error("HasBattery = false, want true")
	}
	if p.Battery != 12.5 {
		t.Errorf("Battery = %v, want 12.5", p.Battery)
	}
	if !p.HasUptime {
		t.Error("HasUptime = false, want true")
	}
	if p.Uptime != 3738 {
		t.Errorf("Uptime = %v, want 3738 from \"01:02:18\"", p.Uptime)
	}
	checkParams(t, p.Params, map[string]Value{
		"SOC": number(71.4), "0D-VehicleSpeed": number(47), "DOOR_FL": binary(true),
	})
}

func TestDecodeOBDFull(t *testing.T) {
	p := decodeFixture(t, "obd-full.json")

	if p.DeviceID != "0a1b2c3d4e5f" {
		t.Errorf("DeviceID = %q, want %q", p.DeviceID, "0a1b2c3d4e5f")
	}
	if p.Hardware != "WiCAN-OBD" {
		t.Errorf("Hardware = %q, want %q", p.Hardware, "WiCAN-OBD")
	}
	if p.HasBattery {
		t.Errorf("HasBattery = true (Battery %v), want false for \"N/A\"", p.Battery)
	}
	if !p.HasUptime {
		t.Error("HasUptime = false, want true")
	}
	if p.Uptime != 183845 {
		t.Errorf("Uptime = %v, want 183845 from uptime_sec", p.Uptime)
	}
	if p.ECU != "offline" {
		t.Errorf("ECU = %q, want %q", p.ECU, "offline")
	}
	if len(p.Meta) != 0 {
		t.Errorf("Meta = %v, want none because config contains Automate settings", p.Meta)
	}
	checkParams(t, p.Params, map[string]Value{
		"0C-EngineRPM": number(0), "0D-VehicleSpeed": number(0),
		"05-EngineCoolantTemp": number(21), "2F-FuelTankLevel": number(63.14),
		"Custom fuel rate": number(0.8),
	})
}

func TestDecodeBothShapesAgree(t *testing.T) {
	values := `{"SOC": 71.5, "0C-EngineRPM": 851, "HV_A": -12.35, "DOOR_FL": "off", "LOCKED": true}`
	documented := `{"device_id": "a1b2c3d4e5f6", "battery": 12.6, "uptime": 3723, "data": ` +
		values + `}`
	firmware := `{"status": {"device_id": "a1b2c3d4e5f6", "batt_voltage": "12.6V",` +
		` "uptime": "01:02:03"}, "autopid_data": ` + values + `}`

	doc, err := Decode([]byte(documented))
	if err != nil {
		t.Fatalf("Decode(documented shape) returned error %v", err)
	}
	fw, err := Decode([]byte(firmware))
	if err != nil {
		t.Fatalf("Decode(firmware shape) returned error %v", err)
	}

	if doc.DeviceID != fw.DeviceID {
		t.Errorf("DeviceID: documented %q, firmware %q", doc.DeviceID, fw.DeviceID)
	}
	if doc.Battery != fw.Battery {
		t.Errorf("Battery: documented %v, firmware %v", doc.Battery, fw.Battery)
	}
	if doc.Uptime != fw.Uptime {
		t.Errorf("Uptime: documented %v, firmware %v", doc.Uptime, fw.Uptime)
	}
	docParams, fwParams := paramMap(t, doc.Params), paramMap(t, fw.Params)
	if !reflect.DeepEqual(docParams, fwParams) {
		t.Errorf("params differ:\ndocumented %v\nfirmware   %v", docParams, fwParams)
	}
	if len(docParams) != 5 {
		t.Errorf("got %d params, want 5", len(docParams))
	}
}

func TestDecodeMixedShapes(t *testing.T) {
	body := `{"device_id": "doc", "data": {"a": 1},` +
		` "status": {"device_id": "a1b2c3d4e5f6"}, "autopid_data": {"b": 2}}`
	p, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode returned error %v", err)
	}
	if p.DeviceID != "a1b2c3d4e5f6" {
		t.Errorf("DeviceID = %q, want the status device_id %q", p.DeviceID, "a1b2c3d4e5f6")
	}
	checkParams(t, p.Params, map[string]Value{"a": number(1), "b": number(2)})
}

func TestDecodeInvalidBody(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		notObject bool
	}{
		{"empty", "", false},
		{"whitespace", " \t\r\n ", false},
		{"array", "[]", true},
		{"string", `"x"`, true},
		{"number", "123", true},
		{"null", "null", true},
		{"truncated", `{"data": {"a": 1}`, false},
		{"trailing comma", `{"data": {"a": 1},}`, false},
		{"trailing data", `{"data": {"a": 1}} {}`, false},
		{"bare NaN", "NaN", false},
		{"NaN value", `{"data": {"a": NaN}}`, false},
		{"Infinity value", `{"autopid_data": {"a": Infinity}}`, false},
		{"negative Infinity", `{"autopid_data": {"a": -Infinity}}`, false},
		{"single quotes", `{'data': {}}`, false},
		{"deep array", strings.Repeat("[", 100000), false},
		{"deep array in object", `{"data": {"a": ` + strings.Repeat("[", 100000), false},
		{"deep closed array", `{"data": {"a": ` + strings.Repeat("[", 100000) +
			strings.Repeat("]", 100000) + `}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode returned %+v and no error, want an error", p)
			}
			if p != nil {
				t.Errorf("Decode returned post %+v along with error %v, want nil", p, err)
			}
			if got := errors.Is(err, ErrNotObject); got != tt.notObject {
				t.Errorf("errors.Is(%v, ErrNotObject) = %v, want %v", err, got, tt.notObject)
			}
		})
	}
}

// goTypeNames are fragments of Go type names that must not reach the adapter's user.
var goTypeNames = []string{"float64", "map[", "RawMessage", "payload.", "Go value", "Go struct"}

func TestDecodeSkipsWrongTypeSections(t *testing.T) {
	bodies := []string{
		`{"data": [], "autopid_data": {"SOC": 1}}`,
		`{"data": "x", "autopid_data": {"SOC": 1}}`,
		`{"autopid_data": 5, "data": {"SOC": 1}}`,
		`{"config": [1], "autopid_data": {"SOC": 1}}`,
		`{"status": "x", "autopid_data": {"SOC": 1}}`,
		`{"status": [1, 2], "autopid_data": {"SOC": 1}}`,
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			p, err := Decode([]byte(body))
			if err != nil {
				t.Fatalf("Decode: %v, want the odd section skipped", err)
			}
			if p.Skipped != 1 {
				t.Errorf("Skipped = %d, want 1", p.Skipped)
			}
			if len(p.Params) != 1 || p.Params[0].Name != "SOC" {
				t.Errorf("Params = %v, want SOC from the good section", p.Params)
			}
		})
	}
}

func TestDecodeErrorHasNoGoTypes(t *testing.T) {
	bodies := []string{
		`{"data": {"a": NaN}}`,
		`{"a": 1`,
		`[1, 2]`,
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			_, err := Decode([]byte(body))
			if err == nil {
				t.Fatalf("Decode returned no error, want one")
			}
			for _, name := range goTypeNames {
				if strings.Contains(err.Error(), name) {
					t.Errorf("error %q contains Go type name %q", err, name)
				}
			}
		})
	}
}

func TestDecodeValue(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Value
		skip bool
	}{
		{"integer", `42`, number(42), false},
		{"negative", `-12.35`, number(-12.35), false},
		{"exponent", `1.5e3`, number(1500), false},
		{"zero", `0`, number(0), false},
		{"out of range", `1e400`, Value{}, true},
		{"negative out of range", `-1e400`, Value{}, true},
		{"object", `{"x": 1}`, Value{}, true},
		{"empty object", `{}`, Value{}, true},
		{"array", `[1, 2]`, Value{}, true},
		{"null", `null`, Value{}, true},
		{"on", `"on"`, binary(true), false},
		{"OFF", `"OFF"`, binary(false), false},
		{"padded On", `" On "`, binary(true), false},
		{"true", `true`, binary(true), false},
		{"false", `false`, binary(false), false},
		{"numeric string", `"12.5"`, number(12.5), false},
		{"padded numeric string", `" 7 "`, number(7), false},
		{"text", `"N/A"`, Value{Kind: Text, Text: "N/A"}, false},
		{"NaN string", `"NaN"`, Value{Kind: Text, Text: "NaN"}, false},
		{"Infinity string", `"Infinity"`, Value{Kind: Text, Text: "Infinity"}, false},
		{"empty string", `""`, Value{Kind: Text}, false},
		{"escaped text", `"caf\u00e9"`, Value{Kind: Text, Text: "café"}, false},
	}
	for _, section := range []string{"data", "autopid_data"} {
		for _, tt := range tests {
			t.Run(section+"/"+tt.name, func(t *testing.T) {
				body := fmt.Sprintf(`{%q: {"v": %s, "kept": 1}}`, section, tt.raw)
				p, err := Decode([]byte(body))
				if err != nil {
					t.Fatalf("Decode(%s) returned error %v", body, err)
				}
				params := paramMap(t, p.Params)
				if !params["kept"].Equal(number(1)) {
					t.Errorf("param kept = %+v, want 1", params["kept"])
				}

				got, ok := params["v"]
				if tt.skip {
					if ok {
						t.Errorf("param v = %+v, want it skipped", got)
					}
					if p.Skipped != 1 {
						t.Errorf("Skipped = %d, want 1", p.Skipped)
					}
					return
				}
				if !ok {
					t.Fatalf("param v missing, want %+v (Skipped %d)", tt.want, p.Skipped)
				}
				if !got.Equal(tt.want) {
					t.Errorf("param v = %+v, want %+v", got, tt.want)
				}
				if p.Skipped != 0 {
					t.Errorf("Skipped = %d, want 0", p.Skipped)
				}
			})
		}
	}
}

func TestDecodeIgnoresUnknownKeys(t *testing.T) {
	body := `{"foo": {"a": 1}, "bar": [1, 2], "baz": null, "data": {"x": 1},` +
		` "status": {"device_id": "a1b2c3d4e5f6", "wifi_mode": "APStation", "extra": [{}]}}`
	p, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode returned error %v", err)
	}
	if p.DeviceID != "a1b2c3d4e5f6" {
		t.Errorf("DeviceID = %q, want %q", p.DeviceID, "a1b2c3d4e5f6")
	}
	if p.Skipped != 0 {
		t.Errorf("Skipped = %d, want 0", p.Skipped)
	}
	checkParams(t, p.Params, map[string]Value{"x": number(1)})
}

func TestDecodeEmptyObject(t *testing.T) {
	for _, body := range []string{`{}`, " \n{}\n", `{"status": null, "data": null}`} {
		t.Run(body, func(t *testing.T) {
			p, err := Decode([]byte(body))
			if err != nil {
				t.Fatalf("Decode returned error %v", err)
			}
			if len(p.Params) != 0 {
				t.Errorf("Params = %v, want none", p.Params)
			}
			if p.HasBattery {
				t.Error("HasBattery = true, want false")
			}
			if p.HasUptime {
				t.Error("HasUptime = true, want false")
			}
		})
	}
}

func TestDecodeEmptyParamName(t *testing.T) {
	p, err := Decode([]byte(`{"autopid_data": {"": 1, "a": 2}, "data": {"": "on"}}`))
	if err != nil {
		t.Fatalf("Decode returned error %v", err)
	}
	checkParams(t, p.Params, map[string]Value{"a": number(2)})
	if p.Skipped != 2 {
		t.Errorf("Skipped = %d, want 2", p.Skipped)
	}
}

func TestDecodeManyParams(t *testing.T) {
	const n = 5000
	var b strings.Builder
	b.WriteString(`{"autopid_data": {`)
	want := make(map[string]Value, n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("P_%04d", i)
		fmt.Fprintf(&b, "%q: %d.5", name, i)
		want[name] = number(float64(i) + 0.5)
	}
	b.WriteString(`}}`)

	p, err := Decode([]byte(b.String()))
	if err != nil {
		t.Fatalf("Decode returned error %v", err)
	}
	checkParams(t, p.Params, want)
}

func TestDecodeLongKey(t *testing.T) {
	name := strings.Repeat("K", 200000)
	p, err := Decode([]byte(`{"autopid_data": {"` + name + `": 3}}`))
	if err != nil {
		t.Fatalf("Decode returned error %v", err)
	}
	if len(p.Params) != 1 {
		t.Fatalf("got %d params, want 1", len(p.Params))
	}
	if p.Params[0].Name != name {
		t.Errorf("param name has %d bytes, want the %d-byte key", len(p.Params[0].Name), len(name))
	}
}

func TestDecodeStatusVariants(t *testing.T) {
	tests := []struct {
		name       string
		status     string
		battery    float64
		hasBattery bool
		uptime     float64
		hasUptime  bool
	}{
		{"volts with space", `{"batt_voltage": "12.6 V"}`, 12.6, true, 0, false},
		{"lower-case unit", `{"batt_voltage": "12.6v"}`, 12.6, true, 0, false},
		{"number volts", `{"batt_voltage": 12.6}`, 12.6, true, 0, false},
		{"N/A volts", `{"batt_voltage": "N/A"}`, 0, false, 0, false},
		{"infinite volts", `{"batt_voltage": "1e400V"}`, 0, false, 0, false},
		{"uptime_sec wins", `{"uptime": "01:00:00", "uptime_sec": 5}`, 0, false, 5, true},
		{"bad uptime", `{"uptime": "soon"}`, 0, false, 0, false},
		{"days uptime", `{"uptime": "1d 00:00:01"}`, 0, false, 86401, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode([]byte(`{"status": ` + tt.status + `}`))
			if err != nil {
				t.Fatalf("Decode returned error %v", err)
			}
			if p.HasBattery != tt.hasBattery {
				t.Errorf("HasBattery = %v, want %v", p.HasBattery, tt.hasBattery)
			}
			if p.Battery != tt.battery {
				t.Errorf("Battery = %v, want %v", p.Battery, tt.battery)
			}
			if p.HasUptime != tt.hasUptime {
				t.Errorf("HasUptime = %v, want %v", p.HasUptime, tt.hasUptime)
			}
			if p.Uptime != tt.uptime {
				t.Errorf("Uptime = %v, want %v", p.Uptime, tt.uptime)
			}
		})
	}
}

func TestParseUptime(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"01:02:03", 3723, true},
		{"2d 03:04:05", 183845, true},
		{"0d 00:00:00", 0, true},
		{" 00:00:07 ", 7, true},
		{"1:2", 0, false},
		{"aa:bb:cc", 0, false},
		{"-1:00:00", 0, false},
		{"00:-1:00", 0, false},
		{"-1d 00:00:00", 0, false},
		{"", 0, false},
		{"3d", 0, false},
		{"3d ", 0, false},
		{"01:02:03:04", 0, false},
		{"01:02:", 0, false},
		{"1.5:00:00", 0, false},
		// Fields far beyond any real uptime must not wrap around to a negative count.
		{"3000000000000000:00:00", 3000000000000000 * 3600, true},
		{"200000000000000d 00:00:00", 200000000000000 * 86400, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseUptime(tt.in)
			if ok != tt.ok {
				t.Errorf("ParseUptime(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if got != tt.want {
				t.Errorf("ParseUptime(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if got < 0 || math.IsInf(got, 0) {
				t.Errorf("ParseUptime(%q) = %v, want a finite count of seconds >= 0", tt.in, got)
			}
		})
	}
}

// The adapters' own bodies must take the fast path, or the fast decoder saves nothing.
func TestFastDecoderTakesAdapterBodies(t *testing.T) {
	bodies := map[string][]byte{"pro-30-params": proParams(t, 30)}
	for _, name := range []string{"pro-full.json", "pro-changed.json", "obd-full.json",
		"documented-format.json"} {
		bodies[name] = readFixture(t, name)
	}
	for name, body := range bodies {
		fast, ok := decodeFast(body)
		if !ok {
			t.Errorf("%s: fast decoder gave up", name)
			continue
		}
		lenient, err := decodeLenient(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(fast.Params) != len(lenient.Params) {
			t.Errorf("%s: fast decoder read %d params, encoding/json %d", name,
				len(fast.Params), len(lenient.Params))
		}
	}
}

// Posts with the same config section share one metadata map; a changed section gets its own.
func TestConfigSectionCache(t *testing.T) {
	body := readFixture(t, "pro-full.json")
	first, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Decode(bytes.Clone(body))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(first.Meta).UnsafePointer() != reflect.ValueOf(second.Meta).UnsafePointer() {
		t.Error("equal config sections decoded into two maps, want one shared")
	}

	changed := bytes.Replace(body, []byte(`"unit": "degC"`), []byte(`"unit": "degF"`), 1)
	if bytes.Equal(changed, body) {
		t.Fatal("fixture has no degC unit to change")
	}
	third, err := Decode(changed)
	if err != nil {
		t.Fatal(err)
	}
	if got := third.Meta["05-EngineCoolantTemp"].Unit; got != "degF" {
		t.Errorf("unit after the section changed = %q, want degF", got)
	}
	if got := first.Meta["05-EngineCoolantTemp"].Unit; got != "degC" {
		t.Errorf("first post's unit = %q after another section was decoded, want degC", got)
	}
}
