// Package config reads the bridge's settings from flags, WICAN_* environment variables and
// the Home Assistant add-on's options file, in that order of precedence over the defaults.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// AddonOptionsFile is the path of the options file the Home Assistant Supervisor writes for an add-on.
const AddonOptionsFile = "/data/options.json"

// Config holds every setting of the bridge.
type Config struct {
	WebhookAddr string
	UIAddr      string
	PublicURL   string

	MQTTURL      string
	MQTTUser     string
	MQTTPassword string
	MQTTCAFile   string

	EmbeddedMQTTAddr     string
	EmbeddedMQTTUser     string
	EmbeddedMQTTPassword string

	DiscoveryPrefix string
	BaseTopic       string
	DataDir         string
	LogLevel        string

	MDNS          bool
	MDNSInterface string
	Hosts         string // comma-separated adapter addresses, host or host:port
	Pairing       string // "auto" or "manual"
	Interval      time.Duration
	FailoverURL   string

	UIPassword     string
	WebhookTLSAddr string
	WebhookTLSCert string
	WebhookTLSKey  string

	// Addon is true when the options file exists, that is when running as an add-on.
	Addon bool
}

// setting is one option: its flag name, which also gives its WICAN_ variable and its
// options.json key.
type setting struct {
	name string
	help string
	ptr  any // *string, *int, *bool or *time.Duration
}

func (c *Config) settings() []setting {
	return []setting{
		{"webhook-addr", "address the webhook receiver listens on; adapters post here", &c.WebhookAddr},
		{"ui-addr", "address of the admin API and web page", &c.UIAddr},
		{"public-url", "base URL adapters post to; empty means http://<this host's LAN IPv4>:<webhook port>", &c.PublicURL},
		{"mqtt", "MQTT broker URL, tcp://host:1883 or ssl://host:8883; empty starts an embedded broker", &c.MQTTURL},
		{"mqtt-user", "MQTT user name", &c.MQTTUser},
		{"mqtt-password", "MQTT password", &c.MQTTPassword},
		{"mqtt-ca-file", "PEM file of CAs trusted for an ssl:// broker; empty means the system's", &c.MQTTCAFile},
		{"embedded-mqtt-addr", "listen address of the embedded broker, used when --mqtt is empty", &c.EmbeddedMQTTAddr},
		{"embedded-mqtt-user", "user name required by the embedded broker (optional)", &c.EmbeddedMQTTUser},
		{"embedded-mqtt-password", "password required by the embedded broker (optional)", &c.EmbeddedMQTTPassword},
		{"discovery-prefix", "Home Assistant's MQTT discovery prefix", &c.DiscoveryPrefix},
		{"base-topic", "root topic of the bridge's own state topics", &c.BaseTopic},
		{"data-dir", "directory for the state file; /data in the add-on", &c.DataDir},
		{"log-level", "debug, info, warn or error", &c.LogLevel},
		{"mdns", "browse for adapters over mDNS (_wican._tcp and _http._tcp)", &c.MDNS},
		{"mdns-interface", "network interface to browse on; empty means all", &c.MDNSInterface},
		{"hosts", "comma-separated adapter addresses that mDNS cannot see (VLAN, VPN), host or host:port", &c.Hosts},
		{"pairing", "auto: pair adapters with no webhook URL or ours at once; manual: wait for approval", &c.Pairing},
		{"interval", "posting interval pushed to adapters, 1 s to 1 h: seconds (15) or a duration (15s)", &c.Interval},
		{"failover-url", "base URL of this bridge as reached from outside the LAN; adapters post there when the LAN URL fails", &c.FailoverURL},
		{"ui-password", "password for the web page and admin API; required when --ui-addr is not loopback outside the add-on", &c.UIPassword},
		{"webhook-tls-addr", "address of an optional HTTPS webhook listener, used with --webhook-tls-cert and --webhook-tls-key", &c.WebhookTLSAddr},
		{"webhook-tls-cert", "PEM certificate file of the HTTPS webhook listener", &c.WebhookTLSCert},
		{"webhook-tls-key", "PEM private key file of the HTTPS webhook listener", &c.WebhookTLSKey},
	}
}

// Setting describes one option for documentation and for checks of the add-on's files.
type Setting struct {
	Flag      string // flag name, such as "webhook-addr"
	Env       string // environment variable, such as "WICAN_WEBHOOK_ADDR"
	OptionKey string // options.json key, such as "webhook_addr"
	Kind      string // "string", "bool", "int" or "seconds"
	Default   string
	Help      string
}

// Settings lists every option with its default.
func Settings() []Setting {
	c := defaults()
	var out []Setting
	for _, s := range c.settings() {
		st := Setting{Flag: s.name, Env: EnvName(s.name), OptionKey: OptionKey(s.name), Help: s.help}
		switch p := s.ptr.(type) {
		case *string:
			st.Kind, st.Default = "string", *p
		case *bool:
			st.Kind, st.Default = "bool", strconv.FormatBool(*p)
		case *int:
			st.Kind, st.Default = "int", strconv.Itoa(*p)
		case *time.Duration:
			st.Kind, st.Default = "seconds", strconv.FormatFloat(p.Seconds(), 'f', -1, 64)
		}
		out = append(out, st)
	}
	return out
}

// HostList returns the --hosts entries, trimmed, without empty ones.
func (c Config) HostList() []string {
	var hosts []string
	for _, h := range strings.Split(c.Hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func defaults() Config {
	return Config{
		WebhookAddr:      ":8780",
		UIAddr:           "127.0.0.1:8099",
		EmbeddedMQTTAddr: "127.0.0.1:1883",
		DiscoveryPrefix:  "homeassistant",
		BaseTopic:        "wican-bridge",
		DataDir:          "./data",
		LogLevel:         "info",
		MDNS:             true,
		Pairing:          "auto",
		Interval:         15 * time.Second,
	}
}

// Load reads the configuration. getenv is os.Getenv in production; optionsFile is
// AddonOptionsFile, and is skipped when it does not exist.
func Load(args []string, getenv func(string) string, optionsFile string) (Config, error) {
	c := defaults()
	options, err := readOptions(optionsFile)
	if err != nil {
		return c, err
	}
	if options != nil {
		c.Addon = true
		c.DataDir = "/data"
	}

	fs := flag.NewFlagSet("wican-bridge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range c.settings() {
		register(fs, s)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q: every setting is a --flag", fs.Arg(0))
	}

	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for _, s := range c.settings() {
		if explicit[s.name] {
			continue
		}
		set, err := applyFallback(fs, s.name, getenv, options)
		if err != nil {
			return c, err
		}
		explicit[s.name] = set
	}
	if c.Addon && !explicit["ui-addr"] {
		// The Supervisor reaches a host-network add-on through the host's gateway address.
		c.UIAddr = ":8099"
	}
	return c, c.validate()
}

// Usage writes the flags with their defaults and help.
func Usage(w io.Writer) {
	c := defaults()
	fs := flag.NewFlagSet("wican-bridge", flag.ContinueOnError)
	for _, s := range c.settings() {
		register(fs, s)
	}
	fs.SetOutput(w)
	fmt.Fprintln(w, "Usage: wican-bridge [flags]\n\nEvery flag can also be set as WICAN_<NAME> (upper case, _ for -).")
	fs.PrintDefaults()
}

func register(fs *flag.FlagSet, s setting) {
	switch p := s.ptr.(type) {
	case *string:
		fs.StringVar(p, s.name, *p, s.help)
	case *int:
		fs.IntVar(p, s.name, *p, s.help)
	case *bool:
		fs.BoolVar(p, s.name, *p, s.help)
	case *time.Duration:
		fs.Var((*seconds)(p), s.name, s.help)
	}
}

// EnvName returns the environment variable of a flag, such as WICAN_WEBHOOK_ADDR.
func EnvName(flagName string) string {
	return "WICAN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// OptionKey returns the options.json key of a flag, such as webhook_addr.
func OptionKey(flagName string) string {
	return strings.ReplaceAll(flagName, "-", "_")
}

// applyFallback sets a flag from its environment variable, else from the add-on options.
// It reports whether either had a value.
func applyFallback(fs *flag.FlagSet, name string, getenv func(string) string,
	options map[string]json.RawMessage) (bool, error) {
	if v := getenv(EnvName(name)); v != "" {
		if err := fs.Set(name, v); err != nil {
			return false, fmt.Errorf("%s: %w", EnvName(name), err)
		}
		return true, nil
	}
	raw, ok := options[OptionKey(name)]
	if !ok {
		return false, nil
	}
	v, err := optionString(raw)
	if err != nil {
		return false, fmt.Errorf("option %s in %s: %w", OptionKey(name), AddonOptionsFile, err)
	}
	if v == "" {
		return false, nil
	}
	if err := fs.Set(name, v); err != nil {
		return false, fmt.Errorf("option %s: %w", OptionKey(name), err)
	}
	return true, nil
}

// optionString turns an options.json value into flag syntax. Lists become comma-separated.
func optionString(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				return "", errors.New("list items must be strings")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", errors.New("value must be a string, number, boolean or list")
}

func readOptions(path string) (map[string]json.RawMessage, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read add-on options: %w", err)
	}
	var options map[string]json.RawMessage
	if err := json.Unmarshal(data, &options); err != nil {
		return nil, fmt.Errorf("add-on options %s are not a JSON object: %w", path, err)
	}
	return options, nil
}

// seconds is a duration flag that also accepts a bare number of seconds, as the add-on's
// options give it.
type seconds time.Duration

func (s *seconds) String() string { return time.Duration(*s).String() }

func (s *seconds) Set(v string) error {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		*s = seconds(time.Duration(n * float64(time.Second)))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("invalid duration %q: use seconds (15) or a Go duration (15s)", v)
	}
	*s = seconds(d)
	return nil
}
