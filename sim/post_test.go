package sim

import (
	"maps"
	"net/http"
	"os"
	"reflect"
	"testing"
	"time"
)

const fastInterval = 40 * time.Millisecond

func TestFullModePostsEverySectionWithHeaders(t *testing.T) {
	recv := newReceiver(t, nil)
	a, _ := startAdapter(t, Options{Pro: true, DataMode: ModeFull, UserURL: recv.hook(),
		Interval: fastInterval})
	posts := recv.waitPosts(t, 2)

	fixture := readFixture(t, "testdata/pro-full.json")
	for i, p := range posts[:2] {
		if got := p.header.Get("User-Agent"); got != "ESP32 WiCAN/1.0" {
			t.Errorf("post %d: User-Agent %q", i+1, got)
		}
		if got := p.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("post %d: Content-Type %q", i+1, got)
		}
		sameKeys(t, "status", section(p.body, "status"), section(fixture, "status"))
		config := section(p.body, "config")
		sameKeys(t, "config and autopid_data", config, section(p.body, "autopid_data"))
		for name, meta := range section(fixture, "config") {
			if !reflect.DeepEqual(config[name], meta) {
				t.Errorf("post %d: config %s = %v, want %v", i+1, name, config[name], meta)
			}
		}
		if got := section(p.body, "status")["device_id"]; got != a.DeviceID() {
			t.Errorf("post %d: device_id %v, want %s", i+1, got, a.DeviceID())
		}
		if len(section(p.body, "autopid_data")) < 12 {
			t.Errorf("post %d: autopid_data %v", i+1, section(p.body, "autopid_data"))
		}
	}
	waitFor(t, "two successes counted", func() bool { return a.Webhook().SuccessCount >= 2 })
	if w := a.Webhook(); w.Status != "ok" || w.LastPost == "" || w.Retries != 0 {
		t.Errorf("counters after posts: %+v", w)
	}
}

func TestNonProStatusAndConfigKeys(t *testing.T) {
	recv := newReceiver(t, nil)
	startAdapter(t, Options{UserURL: recv.hook(), Interval: fastInterval})
	p := recv.waitPosts(t, 1)[0]

	fixture := readFixture(t, "testdata/obd-full.json")
	for _, name := range []string{"config", "status"} {
		sameKeys(t, name, section(p.body, name), section(fixture, name))
	}
}

func TestChangedModeMergesToTheFullState(t *testing.T) {
	recv := newReceiver(t, nil)
	a, api := startAdapter(t, Options{Pro: true, UserURL: recv.hook(), Interval: fastInterval})
	recv.waitPosts(t, 4)
	a.SetEngine(false)
	n := len(recv.all())
	posts := recv.waitPosts(t, n+2)

	merged := map[string]map[string]any{"status": {}, "autopid_data": {}}
	for i, p := range posts {
		if _, ok := p.body["config"]; ok {
			t.Errorf("post %d carries config in changed mode", i+1)
		}
		_, hasID := section(p.body, "status")["device_id"]
		if hasID != (i == 0) {
			t.Errorf("post %d: device_id present = %v, want only in the first post", i+1, hasID)
		}
		for name, m := range merged {
			maps.Copy(m, section(p.body, name))
		}
	}

	full := readFixture(t, "testdata/pro-full.json")
	sameKeys(t, "merged status", merged["status"], section(full, "status"))
	if merged["status"]["ecu_status"] != "offline" {
		t.Errorf("merged ecu_status %v, want offline", merged["status"]["ecu_status"])
	}
	_, body := call(t, http.MethodGet, api+"/autopid_data", "")
	if current := decode(t, body); !reflect.DeepEqual(merged["autopid_data"], current) {
		t.Errorf("merged autopid_data\n%v\nwant the frozen values\n%v",
			merged["autopid_data"], current)
	}
}

func TestChangedModeSendsIdentityAgainAfterReboot(t *testing.T) {
	recv := newReceiver(t, nil)
	a, _ := startAdapter(t, Options{Pro: true, UserURL: recv.hook(), Interval: fastInterval})
	recv.waitPosts(t, 2)
	a.Reboot()
	if w := a.Webhook(); w.SuccessCount != 0 {
		t.Errorf("success_count %d after reboot, want 0", w.SuccessCount)
	}

	n := len(recv.all())
	p := recv.waitPosts(t, n+1)[n]
	status := section(p.body, "status")
	for _, k := range []string{"device_id", "fw_version", "hw_version"} {
		if _, ok := status[k]; !ok {
			t.Errorf("first post after reboot lacks %s", k)
		}
	}
}

func TestFailedPostLosesItsChanges(t *testing.T) {
	var failing bool
	recv := newReceiver(t, func(int) int {
		if failing {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	a, _ := startAdapter(t, Options{Pro: true, UserURL: recv.hook(), Interval: fastInterval})
	recv.waitPosts(t, 1)

	recv.mu.Lock()
	failing = true
	recv.mu.Unlock()
	a.SetEngine(false)
	waitFor(t, "a failed post carrying ecu_status offline", func() bool {
		for _, p := range recv.all() {
			offline := section(p.body, "status")["ecu_status"] == "offline"
			if p.answered != http.StatusOK && offline {
				return true
			}
		}
		return false
	})

	recv.mu.Lock()
	failing = false
	recv.mu.Unlock()
	n := len(recv.all())
	recv.waitPosts(t, n+2)

	merged := map[string]any{}
	for _, p := range recv.all() {
		if p.answered == http.StatusOK {
			maps.Copy(merged, section(p.body, "status"))
		}
	}
	if merged["ecu_status"] != "online" {
		t.Errorf("receiver state ecu_status %v; the lost change should leave it online",
			merged["ecu_status"])
	}
	if w := a.Webhook(); w.FailCount == 0 || w.LastError != "HTTP 500" {
		t.Errorf("counters %+v, want fail_count > 0 and last_error HTTP 500", w)
	}
}

func TestFailoverAfterPrimaryFails(t *testing.T) {
	dead := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	backup := newReceiver(t, nil)
	a, api := startAdapter(t, Options{Pro: true, TimeScale: 25})
	push(t, api, `{"url":"`+dead.hook()+`","urls":["`+dead.hook()+`","`+backup.hook()+`"],`+
		`"interval":1}`)

	backup.waitPosts(t, 2)
	if len(dead.all()) < 2 {
		t.Errorf("primary got %d posts, want one per cycle", len(dead.all()))
	}
	w := a.Webhook()
	if w.Status != "ok" || w.FailCount != 0 || w.LastError != "HTTP 500" {
		t.Errorf("counters %+v, want ok, no failed cycle, last_error HTTP 500", w)
	}
}

func TestNonProCannotPostToHTTPS(t *testing.T) {
	a, _ := startAdapter(t, Options{UserURL: "https://127.0.0.1:9/api/webhook/abcdef",
		Interval: fastInterval})
	waitFor(t, "a failed post", func() bool { return a.Webhook().FailCount > 0 })

	w := a.Webhook()
	wantErr := "https not supported: use http://"
	if w.Status != "failed" || w.LastError != wantErr || w.SuccessCount != 0 {
		t.Errorf("counters %+v", w)
	}
}

func TestAdaptersThatNeverPost(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"protocol elm327", Options{Pro: true, Protocol: "elm327"}},
		{"webhook_en disable", Options{Pro: true, WebhookEn: "disable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			tt.opts.UserURL, tt.opts.Interval = recv.hook(), 20*time.Millisecond
			a, _ := startAdapter(t, tt.opts)
			time.Sleep(300 * time.Millisecond)

			if n := len(recv.all()); n != 0 {
				t.Errorf("%d posts, want none", n)
			}
			if w := a.Webhook(); w.SuccessCount+w.FailCount != 0 || w.Status != "unknown" {
				t.Errorf("counters %+v, want untouched", w)
			}
		})
	}
}

func TestFactoryResetStopsPosting(t *testing.T) {
	recv := newReceiver(t, nil)
	a, _ := startAdapter(t, Options{Pro: true, UserURL: recv.hook(), Interval: fastInterval})
	recv.waitPosts(t, 1)
	a.FactoryReset()
	n := len(recv.all())
	time.Sleep(200 * time.Millisecond)

	if got := len(recv.all()); got > n+1 {
		t.Errorf("%d posts after reset, want at most one in flight", got-n)
	}
	if w := a.Webhook(); w.URL != "" || w.Enabled {
		t.Errorf("after reset %+v", w)
	}
}

func TestDocumentedShape(t *testing.T) {
	recv := newReceiver(t, nil)
	startAdapter(t, Options{Pro: true, Shape: ShapeDocumented, UserURL: recv.hook(),
		Interval: fastInterval})
	p := recv.waitPosts(t, 2)[1]

	want := []string{"battery", "data", "device_id", "uptime"}
	if got := keys(p.body); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys %v", got)
	}
	data := section(p.body, "data")
	for _, k := range []string{"speed", "rpm", "soc", "coolant_temp"} {
		if _, ok := data[k].(float64); !ok {
			t.Errorf("data.%s = %v", k, data[k])
		}
	}
}

func TestEngineOffFreezesValues(t *testing.T) {
	recv := newReceiver(t, nil)
	a, _ := startAdapter(t, Options{Pro: true, DataMode: ModeFull, UserURL: recv.hook(),
		Interval: fastInterval})
	recv.waitPosts(t, 1)
	a.SetEngine(false)
	n := len(recv.all())
	posts := recv.waitPosts(t, n+3)

	last := posts[len(posts)-1].body
	prev := posts[len(posts)-2].body
	if section(last, "status")["ecu_status"] != "offline" {
		t.Errorf("ecu_status %v, want offline", section(last, "status")["ecu_status"])
	}
	if !reflect.DeepEqual(section(last, "autopid_data"), section(prev, "autopid_data")) {
		t.Error("values changed with the engine off")
	}
}

func TestVehicleDrivesPlausibly(t *testing.T) {
	start := time.Unix(1767225600, 0)
	v := newVehicle(VehicleEV, 7, start)
	first := v.sample(start)
	var maxSpeed float64
	for s := 1; s <= 3600; s += 5 {
		values := v.sample(start.Add(time.Duration(s) * time.Second))
		spd := values["0D-VehicleSpeed"].(float64)
		if spd < 0 || spd > 130 {
			t.Fatalf("speed %v at %d s", spd, s)
		}
		maxSpeed = max(maxSpeed, spd)
	}
	last := v.sample(start.Add(time.Hour))

	if maxSpeed < 50 {
		t.Errorf("top speed %v in an hour", maxSpeed)
	}
	if dist := last["ODOMETER"].(float64) - first["ODOMETER"].(float64); dist < 20 || dist > 100 {
		t.Errorf("drove %v km in an hour", dist)
	}
	if used := first["SOC"].(float64) - last["SOC"].(float64); used <= 0 || used > 30 {
		t.Errorf("SOC dropped by %v in an hour", used)
	}
}

func readFixture(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(raw))
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s within 10 s", what)
}
