package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func writeOptions(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "options.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPrecedence(t *testing.T) {
	options := writeOptions(t, `{"interval": 30, "pairing": "manual", "log_level": "warn",
		"hosts": ["10.0.0.5", "10.0.0.6:8080"], "mqtt": ""}`)
	vars := map[string]string{"WICAN_INTERVAL": "20", "WICAN_LOG_LEVEL": "debug"}
	cfg, err := Load([]string{"--interval", "10s"}, env(vars), options)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != 10*time.Second {
		t.Errorf("interval = %v, want the flag's 10s over env and options", cfg.Interval)
	}
	if cfg.LogLevel != "debug" {
		t.Errorf("log level = %q, want the environment's over the options'", cfg.LogLevel)
	}
	if cfg.Pairing != "manual" {
		t.Errorf("pairing = %q, want the option's", cfg.Pairing)
	}
	if got := cfg.HostList(); len(got) != 2 || got[1] != "10.0.0.6:8080" {
		t.Errorf("hosts = %v, want the option's list", got)
	}
	if !cfg.Addon || cfg.DataDir != "/data" || cfg.UIAddr != ":8099" {
		t.Errorf("add-on defaults: addon %v data %q ui %q, want true, /data, :8099",
			cfg.Addon, cfg.DataDir, cfg.UIAddr)
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(nil, env(nil), filepath.Join(t.TempDir(), "absent.json"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addon || cfg.WebhookAddr != ":8780" || cfg.UIAddr != "127.0.0.1:8099" ||
		cfg.EmbeddedMQTTAddr != "127.0.0.1:1883" || cfg.DiscoveryPrefix != "homeassistant" ||
		cfg.DataDir != "./data" || !cfg.MDNS || cfg.Interval != 15*time.Second {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad pairing", []string{"--pairing", "sometimes"}, "--pairing"},
		{"interval too long", []string{"--interval", "3601"}, "--interval"},
		{"interval fraction", []string{"--interval", "1.5"}, "--interval"},
		{"mqtt scheme", []string{"--mqtt", "http://broker"}, "scheme"},
		{"public url", []string{"--public-url", "192.168.1.2:8780"}, "--public-url"},
		{"open ui without password", []string{"--ui-addr", "0.0.0.0:8099"}, "--ui-password"},
		{"cert without key", []string{"--webhook-tls-cert", "c.pem"}, "go together"},
		{"wildcard prefix", []string{"--discovery-prefix", "home/#"}, "wildcards"},
		{"stray argument", []string{"run"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, env(nil), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%v) error = %v, want one naming %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestCheckPublicURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://192.168.1.20:8780", true},
		{"http://homeassistant.local:8780", true},
		{"http://127.0.0.1:8780", false},
		{"http://0.0.0.0:8780", false},
		{"http://172.17.0.2:8780", false},
		{"https://192.168.1.20:8780", false},
		{"not a url", false},
	}
	for _, tt := range tests {
		problem, fix := CheckPublicURL(tt.url)
		if (problem == "") != tt.ok {
			t.Errorf("CheckPublicURL(%q) problem %q, want ok=%v", tt.url, problem, tt.ok)
		}
		if problem != "" && fix == "" {
			t.Errorf("CheckPublicURL(%q) gives no fix", tt.url)
		}
	}
}

func TestDefaultRouteInterface(t *testing.T) {
	table := "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n" +
		"docker0\t00000000\t010011AC\t0003\t0\t0\t50\t00000000\n" +
		"eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\n" +
		"eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\n"
	path := filepath.Join(t.TempDir(), "route")
	_ = os.WriteFile(path, []byte(table), 0o600)
	if got := defaultRouteInterface(path); got != "docker0" {
		t.Errorf("default route interface = %q, want the lowest metric's", got)
	}
	if !IsVirtualInterface("docker0") || IsVirtualInterface("eth0") {
		t.Error("docker0 must count as virtual and eth0 must not")
	}
}
