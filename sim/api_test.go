package sim

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	primary  = "http://192.0.2.10:8780/api/webhook/3f9c0d6e8a2b4c71a5e0f2d3b4c5d6e7"
	failover = "http://192.0.2.11:8780/api/webhook/3f9c0d6e8a2b4c71a5e0f2d3b4c5d6e7"
)

func TestFirstPushIsCreatedLaterOnesOK(t *testing.T) {
	_, api := startAdapter(t, Options{Pro: true})
	for i, want := range []int{http.StatusCreated, http.StatusOK, http.StatusOK} {
		status, answer := push(t, api, hookBody(primary, primary))
		if status != want {
			t.Fatalf("push %d: status %d, want %d (%s)", i+1, status, want, answer)
		}
		if got := decode(t, answer)["url"]; got != primary {
			t.Errorf("push %d: answer url %v", i+1, got)
		}
	}
}

func TestPushSemanticsOfAPro(t *testing.T) {
	long := "http://192.0.2.10/api/webhook/" + strings.Repeat("b", 200)
	tests := []struct {
		name       string
		before     string // pushed first, must succeed
		body       string
		wantStatus int
		want       map[string]any // keys of the GET answer afterwards
	}{
		{
			name:       "enabled is true when absent",
			body:       `{"url":"` + primary + `","enabled":false}`,
			wantStatus: http.StatusCreated,
			want:       map[string]any{"enabled": false},
		},
		{
			name:       "enabled absent after false",
			before:     `{"url":"` + primary + `","enabled":false}`,
			body:       `{"url":"` + primary + `"}`,
			wantStatus: http.StatusOK,
			want:       map[string]any{"enabled": true},
		},
		{
			name:       "interval kept when absent",
			before:     `{"url":"` + primary + `","interval":15}`,
			body:       `{"url":"` + primary + `"}`,
			wantStatus: http.StatusOK,
			want:       map[string]any{"interval": 15.0},
		},
		{
			name:       "interval zero means 60",
			body:       `{"url":"` + primary + `","interval":0}`,
			wantStatus: http.StatusCreated,
			want:       map[string]any{"interval": 60.0},
		},
		{
			name:       "negative interval means 60",
			body:       `{"url":"` + primary + `","interval":-5}`,
			wantStatus: http.StatusCreated,
			want:       map[string]any{"interval": 60.0},
		},
		{
			name:       "failover stored",
			body:       hookBody(primary, primary, failover),
			wantStatus: http.StatusCreated,
			want:       map[string]any{"urls": []any{primary, failover}},
		},
		{
			name:       "push without urls clears the failover",
			before:     hookBody(primary, primary, failover),
			body:       hookBody(primary),
			wantStatus: http.StatusOK,
			want:       map[string]any{"urls": []any{primary}},
		},
		{
			name:       "url cut silently at 191 characters",
			body:       `{"url":"` + long + `"}`,
			wantStatus: http.StatusCreated,
			want:       map[string]any{"url": long[:191]},
		},
		{
			name:       "url must equal urls[0]",
			body:       hookBody(primary, failover),
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "three urls",
			body:       hookBody(primary, primary, failover, failover),
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "empty urls",
			body:       `{"url":"` + primary + `","urls":[]}`,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "not http",
			body:       `{"url":"ftp://192.0.2.10/x"}`,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "no url",
			body:       `{"interval":15}`,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "not JSON",
			body:       `url=http://192.0.2.10/x`,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "body over 2048 bytes",
			body:       `{"url":"` + primary + `","pad":"` + strings.Repeat("x", 2048) + `"}`,
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, api := startAdapter(t, Options{Pro: true})
			if tt.before != "" {
				if status, body := push(t, api, tt.before); status != http.StatusCreated {
					t.Fatalf("first push: %d %s", status, body)
				}
			}
			status, answer := push(t, api, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", status, tt.wantStatus, answer)
			}
			_, got := call(t, http.MethodGet, api+"/api/webhook", "")
			state := decode(t, got)
			for k, v := range tt.want {
				if !reflect.DeepEqual(state[k], v) {
					t.Errorf("%s = %v, want %v", k, state[k], v)
				}
			}
		})
	}
}

func TestNonProIgnoresURLs(t *testing.T) {
	_, api := startAdapter(t, Options{})
	body := `{"url":"` + primary + `","urls":["` + primary + `","` + failover + `"],` +
		`"manual_override":true}`
	status, answer := push(t, api, body)
	if status != http.StatusCreated {
		t.Fatalf("status %d: %s", status, answer)
	}
	state := decode(t, answer)
	if _, ok := state["urls"]; ok {
		t.Errorf("answer %s carries urls", answer)
	}
	if _, ok := state["manual_override"]; ok {
		t.Errorf("answer %s carries manual_override", answer)
	}
}

func TestNonProBuildThatRefusesURLs(t *testing.T) {
	_, api := startAdapter(t, Options{RejectURLs: true})
	status, answer := push(t, api, hookBody(primary, primary))
	if status != http.StatusBadRequest || !strings.Contains(answer, "urls not supported") {
		t.Fatalf("got %d %q, want 400 urls not supported", status, answer)
	}
	if status, _ := push(t, api, hookBody(primary)); status != http.StatusCreated {
		t.Errorf("push without urls: %d, want 201", status)
	}
}

func TestUserSettingsModeIgnoresPushesWithoutOverrideKey(t *testing.T) {
	user := "http://192.0.2.99/user/hook"
	a, api := startAdapter(t, Options{Pro: true, ManualOverride: true, UserURL: user})

	status, answer := push(t, api, `{"url":"`+primary+`","interval":5}`)
	state := decode(t, answer)
	if status != http.StatusOK || state["url"] != user || state["manual_override"] != true {
		t.Fatalf("got %d %s, want 200 with the user's settings", status, answer)
	}
	if w := a.Webhook(); w.URL != user || !w.ManualOverride {
		t.Errorf("adapter took the push: %+v", w)
	}

	// Sending manual_override explicitly overrides the user.
	push(t, api, `{"url":"`+primary+`","manual_override":false}`)
	if w := a.Webhook(); w.URL != primary || w.ManualOverride {
		t.Errorf("explicit manual_override false not applied: %+v", w)
	}
}

func TestDeleteClearsEverything(t *testing.T) {
	a, api := startAdapter(t, Options{Pro: true})
	push(t, api, hookBody(primary, primary, failover))

	status, _ := call(t, http.MethodDelete, api+"/api/webhook", "")
	if status != http.StatusNoContent {
		t.Fatalf("DELETE status %d, want 204", status)
	}
	w := a.Webhook()
	if w.URL != "" || len(w.URLs) != 0 || w.Enabled || w.Status != "disabled" {
		t.Errorf("after DELETE: %+v", w)
	}
	if status, _ := push(t, api, hookBody(primary)); status != http.StatusCreated {
		t.Errorf("push after DELETE: %d, want 201", status)
	}
}

func TestGetWebhookMatchesTheFixtureKeys(t *testing.T) {
	_, api := startAdapter(t, Options{Pro: true})
	_, answer := call(t, http.MethodGet, api+"/api/webhook", "")

	raw, err := os.ReadFile("../devicecfg/testdata/api-webhook-get.json")
	if err != nil {
		t.Fatal(err)
	}
	sameKeys(t, "GET /api/webhook", decode(t, answer), decode(t, string(raw)))
}

func TestCarConfigCarriesTheRealMetadataMistakes(t *testing.T) {
	_, api := startAdapter(t, Options{Pro: true, Vehicle: VehicleEV})
	status, answer := call(t, http.MethodGet, api+"/load_car_config", "")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var got map[string]map[string]string
	if err := json.Unmarshal([]byte(answer), &got); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("testdata/pro-load_car_config.json")
	var fixture map[string]map[string]string
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	for name, want := range fixture {
		if !reflect.DeepEqual(got[name], want) {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}

func TestNonProHasNoCarConfig(t *testing.T) {
	_, api := startAdapter(t, Options{})
	status, _ := call(t, http.MethodGet, api+"/load_car_config", "")
	if status != http.StatusNotFound {
		t.Errorf("status %d, want 404", status)
	}
}

func TestSecretEndpointsDoNotExist(t *testing.T) {
	_, api := startAdapter(t, Options{Pro: true})
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/check_status"}, {http.MethodGet, "/load_config"},
		{http.MethodPost, "/store_config"},
	} {
		if status, _ := call(t, r.method, api+r.path, "{}"); status != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", r.method, r.path, status)
		}
	}
}

func TestAutoPIDData(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		engineOff bool
		wantError bool
	}{
		{"ev values", Options{Pro: true, Vehicle: VehicleEV}, false, false},
		{"ice values", Options{Vehicle: VehicleICE}, false, false},
		{"elm327 reads nothing", Options{Pro: true, Protocol: "elm327"}, false, true},
		{"engine off before any read", Options{Pro: true}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, api := startAdapter(t, tt.opts)
			if tt.engineOff {
				a.SetEngine(false)
			}
			_, answer := call(t, http.MethodGet, api+"/autopid_data", "")
			values := decode(t, answer)
			if tt.wantError {
				if values["error"] != "No data available" || len(values) != 1 {
					t.Errorf("answer %s, want No data available", answer)
				}
				return
			}
			if _, ok := values["0D-VehicleSpeed"].(float64); !ok || len(values) < 10 {
				t.Errorf("answer %s lacks values", answer)
			}
		})
	}
}

func TestPushedIntervalIsScaled(t *testing.T) {
	recv := newReceiver(t, nil)
	_, api := startAdapter(t, Options{Pro: true, TimeScale: 100})
	push(t, api, `{"url":"`+recv.hook()+`","interval":15}`)

	start := time.Now()
	recv.waitPosts(t, 2)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("two posts took %v, want about 300ms at 15s/100, not 30s", elapsed)
	}
}

func TestDefaultsFollowTheModel(t *testing.T) {
	pro, obd := withDefaults(Options{Pro: true}), withDefaults(Options{ManualOverride: true})
	if pro.DataMode != ModeChanged || pro.Vehicle != VehicleEV {
		t.Errorf("Pro defaults %s/%s, want changed/ev", pro.DataMode, pro.Vehicle)
	}
	if obd.DataMode != ModeFull || obd.Vehicle != VehicleICE || obd.ManualOverride {
		t.Errorf("WiCAN-OBD defaults %s/%s/%v, want full/ice/no override",
			obd.DataMode, obd.Vehicle, obd.ManualOverride)
	}
}
