package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/payload"
)

const (
	hookA = "0123456789abcdef0123456789abcdef"
	hookB = "fedcba9876543210fedcba9876543210"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func sampleState(name string) *State {
	created := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	return &State{Webhooks: []*Webhook{
		{
			ID: hookA, Name: name, Created: created, DeviceID: "a1b2c3d4e5f6", Bound: true,
			Hardware: "WiCAN-OBD-PRO", Firmware: "4.50", Host: "192.0.2.10:80", Managed: true,
			Interval: 30,
			Meta: map[string]payload.Meta{
				"SOC":     {Class: "battery", Unit: "%"},
				"DOOR_FL": {Class: "door", Unit: "none"},
			},
			Values: map[string]Value{
				"SOC":     {Num: 71.5, Kind: payload.Number},
				"DOOR_FL": {Num: 1, Text: "on", Kind: payload.Binary},
				"VIN":     {Text: "WVWZZZ1JZXW000001", Kind: payload.Text},
				"HV_A":    {Num: -12.35, Kind: payload.Number},
			},
			Removed:  []string{"ODOMETER", "Custom_fuel_rate_1a2b3c4d"},
			LastPost: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC),
		},
		{ID: hookB, Created: created},
	}}
}

func mustSave(t *testing.T, dir string, st *State) {
	t.Helper()
	if err := Save(dir, st); err != nil {
		t.Fatalf("Save returned error %v", err)
	}
}

func mustLoad(t *testing.T, dir string) *State {
	t.Helper()
	st, err := Load(dir, discardLogger())
	if err != nil {
		t.Fatalf("Load returned error %v", err)
	}
	return st
}

// savedName reads the name of the first webhook in a state file without going through Load.
func savedName(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if len(st.Webhooks) == 0 {
		t.Fatalf("%s has no webhooks", path)
	}
	return st.Webhooks[0].Name
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read dir: %v", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := sampleState("Golf GTE")
	mustSave(t, dir, want)

	got := mustLoad(t, dir)
	if got.Version != version {
		t.Errorf("Version = %d, want %d", got.Version, version)
	}
	if len(got.Webhooks) != 2 {
		t.Fatalf("got %d webhooks, want 2", len(got.Webhooks))
	}
	g, w := got.Webhooks[0], want.Webhooks[0]
	fields := []struct {
		name      string
		got, want any
	}{
		{"ID", g.ID, w.ID}, {"Name", g.Name, w.Name}, {"DeviceID", g.DeviceID, w.DeviceID},
		{"Bound", g.Bound, w.Bound}, {"Hardware", g.Hardware, w.Hardware},
		{"Firmware", g.Firmware, w.Firmware}, {"Host", g.Host, w.Host},
		{"Managed", g.Managed, w.Managed}, {"Interval", g.Interval, w.Interval},
		{"Meta", g.Meta, w.Meta}, {"Values", g.Values, w.Values}, {"Removed", g.Removed, w.Removed},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if !g.Created.Equal(w.Created) {
		t.Errorf("Created = %v, want %v", g.Created, w.Created)
	}
	if !g.LastPost.Equal(w.LastPost) {
		t.Errorf("LastPost = %v, want %v", g.LastPost, w.LastPost)
	}

	unbound := got.Webhooks[1]
	if unbound.ID != hookB {
		t.Errorf("second webhook ID = %q, want %q", unbound.ID, hookB)
	}
	if unbound.Bound {
		t.Error("second webhook Bound = true, want false")
	}
	if !unbound.LastPost.IsZero() {
		t.Errorf("second webhook LastPost = %v, want zero", unbound.LastPost)
	}
}

func TestLoadMissing(t *testing.T) {
	tests := []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"missing dir", func(t *testing.T) string { return filepath.Join(t.TempDir(), "absent") }},
		{"empty dir", func(t *testing.T) string { return t.TempDir() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := mustLoad(t, tt.dir(t))
			if st == nil {
				t.Fatal("Load returned nil state, want empty state")
			}
			if len(st.Webhooks) != 0 {
				t.Errorf("got %d webhooks, want 0", len(st.Webhooks))
			}
			if st.Version != version {
				t.Errorf("Version = %d, want %d", st.Version, version)
			}
		})
	}
}

func TestLoadCorruptUsesBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	mustSave(t, dir, sampleState("first"))
	mustSave(t, dir, sampleState("second"))

	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	truncated := good[:len(good)/2]
	if err := os.WriteFile(path, truncated, 0o600); err != nil {
		t.Fatalf("truncate state: %v", err)
	}

	var logs bytes.Buffer
	st, err := Load(dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("Load returned error %v, want the backup", err)
	}
	if len(st.Webhooks) != 2 {
		t.Fatalf("got %d webhooks, want the 2 from the backup", len(st.Webhooks))
	}
	if st.Webhooks[0].Name != "first" {
		t.Errorf("webhook name = %q, want %q from the backup", st.Webhooks[0].Name, "first")
	}

	copies, _ := filepath.Glob(path + ".corrupt-*")
	if len(copies) != 1 {
		t.Fatalf("found corrupt copies %v, want exactly one", copies)
	}
	copied, err := os.ReadFile(copies[0])
	if err != nil {
		t.Fatalf("read corrupt copy: %v", err)
	}
	if !bytes.Equal(copied, truncated) {
		t.Errorf("corrupt copy has %d bytes, want the %d truncated bytes", len(copied), len(truncated))
	}

	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("log %q has no warning", logs.String())
	}
	if !strings.Contains(logs.String(), "backup") {
		t.Errorf("log %q does not mention the backup", logs.String())
	}
	if !strings.Contains(logs.String(), copies[0]) {
		t.Errorf("log %q does not name the copy %s", logs.String(), copies[0])
	}
}

func TestLoadCorruptWithoutBackup(t *testing.T) {
	tests := []struct {
		name   string
		state  string
		backup string // no backup file when empty
	}{
		{"truncated", `{"version":1,"webhooks":[{"id":"0123`, ""},
		{"empty file", "", ""},
		{"garbage", "\x00\x01\xff", ""},
		{"null", "null", ""},
		{"future version", `{"version":2,"webhooks":[]}`, ""},
		{"short webhook id", `{"version":1,"webhooks":[{"id":"abc"}]}`, ""},
		{"null webhook", `{"version":1,"webhooks":[null]}`, ""},
		{"webhooks not an array", `{"version":1,"webhooks":{}}`, ""},
		{"second webhooks key", `{"version":1,"webhooks":[],"webhooks":[]}`, ""},
		{"data after the state", `{"version":1,"webhooks":[]} {}`, ""},
		{"corrupt backup", `{"version":1`, `{"version":1,"webhooks":[{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, []byte(tt.state), 0o600); err != nil {
				t.Fatalf("write state: %v", err)
			}
			if tt.backup != "" {
				if err := os.WriteFile(path+".bak", []byte(tt.backup), 0o600); err != nil {
					t.Fatalf("write backup: %v", err)
				}
			}

			st, err := Load(dir, discardLogger())
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load returned error %v, want ErrCorrupt", err)
			}
			if st != nil {
				t.Errorf("Load returned state %+v, want nil", st)
			}

			copies, _ := filepath.Glob(path + ".corrupt-*")
			if len(copies) != 1 {
				t.Fatalf("found corrupt copies %v, want exactly one", copies)
			}
			if !strings.Contains(err.Error(), copies[0]) {
				t.Errorf("error %q does not say the copy is at %s", err, copies[0])
			}
			if !strings.Contains(err.Error(), "move the file away") {
				t.Errorf("error %q does not say what to do", err)
			}
			left, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatalf("state file gone after Load: %v", rerr)
			}
			if string(left) != tt.state {
				t.Errorf("state file now contains %q, want it unchanged %q", left, tt.state)
			}
		})
	}
}

func TestSaveLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"one", "two", "three"} {
		mustSave(t, dir, sampleState(name))
	}
	got := dirEntries(t, dir)
	want := []string{FileName, FileName + ".bak"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files after Save = %v, want %v", got, want)
	}
}

func TestSaveFailureLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory in place of the state file makes the final rename fail.
	blocker := filepath.Join(dir, FileName)
	if err := os.MkdirAll(filepath.Join(blocker, "inside"), 0o700); err != nil {
		t.Fatalf("create blocking directory: %v", err)
	}

	if err := Save(dir, sampleState("x")); err == nil {
		t.Fatal("Save returned no error, want one because state.json is a directory")
	}
	got := dirEntries(t, dir)
	want := []string{FileName}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files after failed Save = %v, want %v", got, want)
	}
}

func TestSaveKeepsBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	mustSave(t, dir, sampleState("first"))
	if _, err := os.Stat(path + ".bak"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("backup after the first Save: stat error %v, want not exist", err)
	}

	mustSave(t, dir, sampleState("second"))
	if got := savedName(t, path); got != "second" {
		t.Errorf("state file name = %q, want %q", got, "second")
	}
	if got := savedName(t, path+".bak"); got != "first" {
		t.Errorf("backup name = %q, want %q", got, "first")
	}
}

func TestSaveDoesNotBackUpCorrupt(t *testing.T) {
	tests := []struct {
		name       string
		saves      []string
		wantBackup string // no backup file expected when empty
	}{
		{"with backup", []string{"first", "second"}, "first"},
		{"without backup", []string{"first"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			for _, name := range tt.saves {
				mustSave(t, dir, sampleState(name))
			}
			if err := os.WriteFile(path, []byte(`{"version":1,"webh`), 0o600); err != nil {
				t.Fatalf("corrupt state: %v", err)
			}

			mustSave(t, dir, sampleState("third"))
			if got := savedName(t, path); got != "third" {
				t.Errorf("state file name = %q, want %q", got, "third")
			}
			if tt.wantBackup == "" {
				if _, err := os.Stat(path + ".bak"); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("backup stat error %v, want not exist", err)
				}
				return
			}
			if got := savedName(t, path+".bak"); got != tt.wantBackup {
				t.Errorf("backup name = %q, want %q", got, tt.wantBackup)
			}
		})
	}
}

// Save writes webhooks one at a time, and the file must still be the State's encoding.
func TestSaveWritesStateEncoding(t *testing.T) {
	for _, ignored := range [][]string{nil, {"0a1b2c3d4e5f", "192.168.1.40"}} {
		dir := t.TempDir()
		st := sampleState("Golf GTE")
		st.Ignored = ignored
		mustSave(t, dir, st)

		got, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		st.Version = version
		want, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("ignored %v: file\n%s\nwant json.Marshal of the state\n%s", ignored, got, want)
		}
	}
}

// A crash between Save's two renames leaves only the backup, which Load must use, and
// the next save must not replace that backup with an empty state.
func TestLoadAfterInterruptedSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	mustSave(t, dir, sampleState("first"))
	if err := os.Rename(path, path+".bak"); err != nil {
		t.Fatal(err)
	}

	st := mustLoad(t, dir)
	if len(st.Webhooks) == 0 || st.Webhooks[0].Name != "first" {
		t.Fatalf("Load after an interrupted save returned %d webhooks, want the backup's", len(st.Webhooks))
	}
	mustSave(t, dir, st)
	if got := savedName(t, path+".bak"); got != "first" {
		t.Errorf("backup name after the next save = %q, want %q", got, "first")
	}
	if got := savedName(t, path); got != "first" {
		t.Errorf("state file name after the next save = %q, want %q", got, "first")
	}
}

func TestLoadMissingWithCorruptBackup(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName+".bak"), []byte(`{"ver`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, discardLogger()); err == nil {
		t.Error("Load with only a corrupt backup succeeded, want an error instead of empty state")
	}
}

func TestLoadEachHandsOverEveryWebhook(t *testing.T) {
	dir := t.TempDir()
	want := sampleState("first")
	want.Ignored = []string{"a1b2c3d4e5f7"}
	mustSave(t, dir, want)

	var got []*Webhook
	st, err := LoadEach(dir, discardLogger(), func(w *Webhook) { got = append(got, w) })
	if err != nil {
		t.Fatalf("LoadEach returned error %v", err)
	}
	if !reflect.DeepEqual(got, want.Webhooks) {
		t.Errorf("handed over %+v, want %+v", got, want.Webhooks)
	}
	if len(st.Webhooks) != 0 {
		t.Errorf("state keeps %d webhooks, want none", len(st.Webhooks))
	}
	if !reflect.DeepEqual(st.Ignored, want.Ignored) {
		t.Errorf("ignored = %v, want %v", st.Ignored, want.Ignored)
	}
}

// A file whose last webhook is broken must not hand over its first ones: the caller would
// start with them and then with the backup's as well.
func TestLoadEachSkipsCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	mustSave(t, dir, sampleState("backup"))
	mustSave(t, dir, sampleState("second"))
	broken := `{"version":1,"webhooks":[{"id":"` + hookA + `","name":"corrupt"},{"id":"short"}]}`
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatalf("write state: %v", err)
	}

	var names []string
	_, err := LoadEach(dir, discardLogger(), func(w *Webhook) { names = append(names, w.Name) })
	if err != nil {
		t.Fatalf("LoadEach returned error %v, want the backup", err)
	}
	if want := []string{"backup", ""}; !reflect.DeepEqual(names, want) {
		t.Errorf("handed over webhooks named %q, want only the backup's %q", names, want)
	}
}

// A state file that cannot be read is not corrupt: Load reports it and keeps no copy.
func TestLoadUnreadableIsNotCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	mustSave(t, dir, sampleState("backup"))
	mustSave(t, dir, sampleState("second"))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}

	_, err := Load(dir, discardLogger())
	if err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load returned error %v, want a read error that is not ErrCorrupt", err)
	}
	if copies, _ := filepath.Glob(path + ".corrupt-*"); len(copies) != 0 {
		t.Errorf("found corrupt copies %v, want none", copies)
	}
}
