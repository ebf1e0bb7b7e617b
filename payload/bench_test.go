package payload

import (
	"encoding/json"
	"fmt"
	"testing"
)

// proParams builds a full Pro post with n numeric parameters: the status section of
// pro-full.json, its numeric parameters first, then cell temperatures up to n.
func proParams(tb testing.TB, n int) []byte {
	tb.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(readFixture(tb, "pro-full.json"), &body); err != nil {
		tb.Fatal(err)
	}
	names := []string{"SOC", "HV_V", "HV_A", "AUX_V", "0C-EngineRPM", "0D-VehicleSpeed",
		"05-EngineCoolantTemp", "TYRE_P_FL", "ODOMETER", "KWH_CHARGED"}
	for i := len(names); i < n; i++ {
		names = append(names, fmt.Sprintf("CELL_T_%02d", i+1))
	}
	values := make(map[string]float64, n)
	meta := make(map[string]Meta, n)
	for i, name := range names[:n] {
		values[name] = 20 + float64(i)/4
		meta[name] = Meta{Class: "temperature", Unit: "degC"}
	}
	body["autopid_data"] = mustMarshal(tb, values)
	body["config"] = mustMarshal(tb, meta)
	return mustMarshal(tb, body)
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name   string
		body   []byte
		params int
	}{
		{"pro-full", readFixture(b, "pro-full.json"), 12},
		{"pro-30-params", proParams(b, 30), 30},
		{"pro-changed", readFixture(b, "pro-changed.json"), 3},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				p, err := Decode(c.body)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Params) != c.params {
					b.Fatalf("decoded %d params, want %d", len(p.Params), c.params)
				}
			}
		})
	}
}
