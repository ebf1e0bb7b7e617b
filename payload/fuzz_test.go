package payload

import (
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	fixtures, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil {
		f.Fatalf("list fixtures: %v", err)
	}
	for _, path := range fixtures {
		f.Add(readFixture(f, filepath.Base(path)))
	}
	seeds := []string{
		"", " ", "[]", `"x"`, "123", "null", "{}", "{", "NaN",
		`{"data": {"a": NaN}}`,
		`{"data": {"a": 1e400, "b": 2}}`,
		`{"autopid_data": {"a": {"x": 1}, "b": [1], "c": null, "": 1}}`,
		`{"autopid_data": {"a": "on", "b": "OFF", "c": " On ", "d": "12.5", "e": true}}`,
		`{"status": {"batt_voltage": "12.6V", "uptime": "2d 03:04:05", "uptime_sec": "x"}}`,
		`{"status": {"uptime": "99999999999999:00:00"}}`,
		`{"battery": "13.4", "uptime": -1, "device_id": 5}`,
		`{"config": {"SOC": {"class": 1}, "cycle": 10000}}`,
		`{"data": [], "status": "x"}`,
		`{"data": {"a": "\u0000\ud800"}}`,
		`{"data": {"a": 1}} {}`,
		strings.Repeat("[", 20000),
		`{"data": {"a": ` + strings.Repeat("[", 20000),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Decode(body)
		if err != nil {
			checkDecodeError(t, p, err)
			return
		}
		if p == nil {
			t.Fatal("Decode returned neither a post nor an error")
		}
		checkPost(t, p)
	})
}

func checkDecodeError(t *testing.T, p *Post, err error) {
	if p != nil {
		t.Errorf("Decode returned post %+v along with error %v", p, err)
	}
	for _, name := range goTypeNames {
		if strings.Contains(err.Error(), name) {
			t.Errorf("error %q contains Go type name %q", err, name)
		}
	}
}

func checkPost(t *testing.T, p *Post) {
	if p.Skipped < 0 {
		t.Errorf("Skipped = %d, want >= 0", p.Skipped)
	}
	if p.HasBattery && !isFinite(p.Battery) {
		t.Errorf("Battery = %v, want a finite number", p.Battery)
	}
	if p.HasUptime && !isFinite(p.Uptime) {
		t.Errorf("Uptime = %v, want a finite number", p.Uptime)
	}
	for _, param := range p.Params {
		checkParam(t, param)
	}
}

func checkParam(t *testing.T, param Param) {
	if param.Name == "" {
		t.Errorf("param with empty name: %+v", param.Value)
	}
	v := param.Value
	switch v.Kind {
	case Number:
		if !isFinite(v.Num) {
			t.Errorf("param %q: Number %v, want a finite number", param.Name, v.Num)
		}
	case Binary:
		if v.Num != 0 && v.Num != 1 {
			t.Errorf("param %q: Binary with Num %v, want 0 or 1", param.Name, v.Num)
		}
	case Text:
	default:
		t.Errorf("param %q: unknown Kind %d", param.Name, v.Kind)
	}
}

func isFinite(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

func sortParams(params []Param) {
	sort.Slice(params, func(i, j int) bool {
		if params[i].Name != params[j].Name {
			return params[i].Name < params[j].Name
		}
		return params[i].Value.Num < params[j].Value.Num
	})
}

// FuzzFastMatchesLenient checks that the scanner-based decoder accepts only valid JSON
// and reads every body it accepts as the encoding/json decoder does.
func FuzzFastMatchesLenient(f *testing.F) {
	fixtures, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil {
		f.Fatalf("list fixtures: %v", err)
	}
	for _, path := range fixtures {
		f.Add(readFixture(f, filepath.Base(path)))
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeFast(body)
		if !ok {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("fast decoder accepts invalid JSON")
		}
		lenient, err := decodeLenient(body)
		if err != nil {
			t.Fatalf("encoding/json decoder rejects what the fast one accepts: %v", err)
		}
		for _, p := range []*Post{lenient, fast} {
			sortParams(p.Params)
			if len(p.Params) == 0 {
				p.Params = nil // an empty and a nil list mean the same to callers
			}
		}
		if !reflect.DeepEqual(lenient, fast) {
			t.Errorf("encoding/json %+v\nfast         %+v", lenient, fast)
		}
	})
}

// fastSeeds are bodies at the edges of what the fast decoder takes: the cases where it
// must give up, and values it reads itself.
var fastSeeds = []string{
	`{"Config": {"SOC": {"class": "battery"}}}`,
	`{"config": {"SOC": {"CLASS": "battery", "unit": "%"}}}`,
	`{"status": {"Device_ID": "x"}, "autopid_data": {"a": 1}}`,
	`{"ſtatus": {"device_id": "x"}}`,
	`{"autopid_data": {"a": 1, "a": 2}}`,
	`{"autopid_data": {"a": null, "a": 2}}`,
	`{"autopid_data": {"a": 1}, "autopid_data": {"b": 2}}`,
	`{"config": {"SOC": {"class": "battery"}, "SOC": 5}}`,
	`{"config": {"SOC": {"class": 5, "unit": "%"}, "X": {"class": null}}}`,
	`{"autopid_data": {"a\u0041": 1, "b": "x\"y"}}`,
	`{"autopid_data": {"a": 0.1, "b": -0, "c": 123456789012345678, "d": 1e-5, "e": 1.5E+3}}`,
	`{"autopid_data": {"a": 0.000000000000000000000001, "b": 9007199254740993}}`,
	`{"autopid_data": {"a": 01}}`,
	`{"autopid_data": {"a": -}}`,
	`{"autopid_data": {"a": 1.}}`,
	`{"autopid_data": {"a": "\u00e9t\u00e9", "é": 1, "b": "` + "\xff" + `"}}`,
	`{"data": {"a": 1}, "autopid_data": {"a": 2}, "device_id": null, "battery": "13.1"}`,
	`{"status": null, "config": null, "data": null, "uptime": 12}`,
	`{"status": {"uptime": "1d 00:00:01", "uptime_sec": 5, "x": {"y": [1, {"z": []}]}}}`,
	`{"x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	"{\"autopid_data\": {\"a\": \"x\ty\"}}",
	`{"autopid_data": {"a": 1}} x`,
	`{"autopid_data":{"a":"x\u0041","b":"on","c":1e5,"d":"12.5"}}`,
	`{"autopid_data": {"a": 1},}`,
	` {"autopid_data": {"a": tru}}`,
}
