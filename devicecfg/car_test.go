package devicecfg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"testing"
)

func TestCarConfigKeepsMetadata(t *testing.T) {
	fixture, err := os.ReadFile("testdata/pro-load_car_config.json")
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = w.Write(fixture)
	})
	meta, err := newTestClient(0).CarConfig(context.Background(), f.host())
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]ParamMeta{
		"0C-EngineRPM":         {Class: "speed", Unit: "rpm"},
		"05-EngineCoolantTemp": {Class: "temperature", Unit: "degC"},
		"CHARGING":             {Class: "none", Unit: "none"},
	}
	for name, m := range want {
		if meta[name] != m {
			t.Errorf("%s = %+v, want %+v", name, meta[name], m)
		}
	}
	if len(meta) != 12 {
		t.Errorf("%d entries, want 12", len(meta))
	}
}

func TestCarConfigSkipsEntriesThatAreNotObjects(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = io.WriteString(w,
			`{"SOC":{"class":"battery","unit":"%","x":1},"BAD":"text","N":{"class":3}}`)
	})
	meta, err := newTestClient(0).CarConfig(context.Background(), f.host())
	if err != nil {
		t.Fatal(err)
	}
	if len(meta) != 2 || meta["SOC"].Unit != "%" || meta["N"].Class != "3" {
		t.Errorf("meta = %+v", meta)
	}
}

func TestAutoPIDData(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
		wantLen int
	}{
		{"values", `{"SOC":71.5,"DOOR_FL":"off","CHARGING":0}`, nil, 3},
		{"no data yet", `{"error":"No data available"}`, ErrNoData, 0},
		{"a parameter named error", `{"error":1,"SOC":2}`, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
				_, _ = io.WriteString(w, tt.body)
			})
			values, err := newTestClient(0).AutoPIDData(context.Background(), f.host())
			if !errors.Is(err, tt.wantErr) || len(values) != tt.wantLen {
				t.Errorf("AutoPIDData = %v, %v; want %d values, err %v",
					values, err, tt.wantLen, tt.wantErr)
			}
		})
	}
}
