package main

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"testing"
	"time"
)

func TestSoakThreeAdapters(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak test runs for about 25 s")
	}
	if _, err := exec.LookPath("mosquitto"); err != nil {
		t.Skip("the soak test needs the mosquitto binary")
	}
	cfg := Config{Pro: 2, NonPro: 1, Interval: time.Second, Duration: 20 * time.Second,
		Outage: 3 * time.Second, OutageSignal: "kill", Sample: 2 * time.Second,
		Settle: 2 * time.Second, PairTimeout: 30 * time.Second, Seed: 7, LogDir: t.TempDir()}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	rep, err := Run(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if rep.PairTime == 0 {
		t.Error("not every adapter was paired")
	}
	if rep.Check.Checked < 3*5 {
		t.Errorf("checked %d values, want at least 5 per adapter", rep.Check.Checked)
	}
	for _, m := range rep.Check.Lost {
		t.Errorf("lost: %s", m)
	}
	for _, m := range rep.Check.NeverReceived {
		t.Errorf("never received: %s", m)
	}
	for _, m := range rep.Check.StaleAfterRead {
		t.Errorf("stale after read: %s", m)
	}
	if rep.Outage == nil || !rep.Outage.Recovered {
		t.Errorf("outage = %+v, want every state back on MQTT", rep.Outage)
	}
	if rep.Outage != nil && rep.Outage.BridgeReconnectedIn == 0 {
		t.Error("the bridge's reconnect after the outage was not seen")
	}
	if end := rep.sampleNamed("settled"); end == nil || end.Accepted < 20 {
		t.Errorf("final sample = %+v, want at least 20 accepted posts", end)
	}
	if rep.BridgeExit != "exit status 0" {
		t.Errorf("bridge exit = %q, want exit status 0", rep.BridgeExit)
	}
	if rep.Failed() {
		t.Error("report failed")
	}
}

func TestSameValue(t *testing.T) {
	tests := []struct {
		want any
		got  string
		same bool
	}{
		{12.5, "12.5", true},
		{12.5, "12.50", true},
		{12.5, "12.6", false},
		{"on", "ON", true},
		{"off", "OFF", true},
		{"off", "ON", false},
		{true, "ON", true},
		{0.0, "OFF", true},
		{1.0, "ON", true},
		{"Park", "Park", true},
		{"Park", "Drive", false},
		{"12", "12", true},
		{12.0, "twelve", false},
	}
	for _, tt := range tests {
		if got := sameValue(tt.want, tt.got); got != tt.same {
			t.Errorf("sameValue(%#v, %q) = %v, want %v", tt.want, tt.got, got, tt.same)
		}
	}
}

func TestParseSimLine(t *testing.T) {
	a, ok := parseSimLine("device_id=0a1b2c3d4e5f api=127.0.0.1:40001")
	if !ok || a.DeviceID != "0a1b2c3d4e5f" || a.API != "127.0.0.1:40001" {
		t.Errorf("parseSimLine = %+v, %v", a, ok)
	}
	if _, ok := parseSimLine(`time=... level=WARN msg="post failed"`); ok {
		t.Error("a log line was read as an adapter")
	}
}

func TestCheckClassifiesMismatches(t *testing.T) {
	const id = "0a1b2c3d4e5f"
	l := newLedger()
	t0 := time.Now()
	post := func(body string, accepted bool, at time.Duration) {
		l.recordPost("/api/webhook/abc", []byte(body), accepted, t0.Add(at))
	}
	first := `{"status":{"device_id":"` + id + `"},` +
		`"autopid_data":{"SPEED":10,"DOOR":"off","SOC":80,"ODO":5}}`
	post(first, true, 0)
	// The bridge reads the door open between two posts. The next post leaves DOOR out
	// because it is "off" again, as in the post before.
	l.recordRead(id, []byte(`{"SPEED":12,"DOOR":"on","SOC":80,"ODO":5}`), t0.Add(5*time.Second))
	post(`{"autopid_data":{"SPEED":14}}`, true, 10*time.Second)
	// This post fails, so SOC stays at 80 on the bridge.
	post(`{"autopid_data":{"SOC":79}}`, false, 20*time.Second)

	adapters := []simAdapter{{DeviceID: id}}
	final := map[string]map[string]any{id: {"SPEED": 14.0, "DOOR": "off", "SOC": 79.0, "ODO": 5.0,
		"COOLANT": 30.0}}
	base := baseTopic + "/wican_" + id + "/"
	retained := map[string]string{base + "SPEED": "14", base + "DOOR": "ON", base + "SOC": "80"}

	res := check(adapters, l, final, retained)

	if res.Checked != 4 {
		t.Errorf("checked = %d, want 4", res.Checked)
	}
	if len(res.Lost) != 1 || res.Lost[0].Param != "ODO" || !res.Lost[0].Missing {
		t.Errorf("lost = %v, want ODO missing", res.Lost)
	}
	if len(res.NeverReceived) != 1 || res.NeverReceived[0].Param != "COOLANT" {
		t.Errorf("never received = %v, want COOLANT", res.NeverReceived)
	}
	if len(res.StaleAfterRead) != 1 || res.StaleAfterRead[0].Param != "DOOR" {
		t.Errorf("stale after read = %v, want DOOR", res.StaleAfterRead)
	}
	if len(res.FailedPosts) != 1 || res.FailedPosts[0].Param != "SOC" {
		t.Errorf("failed posts = %v, want SOC", res.FailedPosts)
	}
}
