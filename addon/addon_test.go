// Package addon checks the Home Assistant add-on files in ../docker, the Dockerfile and
// the options documentation against the bridge's settings. It has only tests.
package addon

import (
	"debug/elf"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wican-bridge/wican-bridge/config"
)

// versionVariable is the variable that the Dockerfile sets to the add-on version with
// -ldflags -X. The linker ignores -X for a variable that does not exist, so the build test
// checks that the value reaches the binary.
const versionVariable = "github.com/wican-bridge/wican-bridge/bridge.Version"

// notAddonOptions are the settings that the add-on does not offer, with the reason.
var notAddonOptions = map[string]string{
	"ui_addr":  "the add-on serves the page on :8099 for ingress",
	"data_dir": "the add-on keeps its state in the Supervisor's /data volume",
	"embedded_mqtt_addr": "the add-on takes its broker from the Supervisor " +
		"and never starts the embedded one",
	"embedded_mqtt_user":     "the add-on never starts the embedded broker",
	"embedded_mqtt_password": "the add-on never starts the embedded broker",
	"ui_password": "the add-on serves the page only to Home Assistant's ingress proxy, " +
		"behind the Home Assistant login",
}

// addonConfig is the part of docker/config.yaml that the tests check.
type addonConfig struct {
	Name        string         `yaml:"name"`
	Version     string         `yaml:"version"`
	Slug        string         `yaml:"slug"`
	Description string         `yaml:"description"`
	Arch        []string       `yaml:"arch"`
	Init        *bool          `yaml:"init"`
	HostNetwork bool           `yaml:"host_network"`
	Services    []string       `yaml:"services"`
	Ingress     bool           `yaml:"ingress"`
	IngressPort int            `yaml:"ingress_port"`
	Watchdog    string         `yaml:"watchdog"`
	Image       string         `yaml:"image"`
	Options     map[string]any `yaml:"options"`
	Schema      map[string]any `yaml:"schema"`
}

type translations struct {
	Configuration map[string]struct {
		Name        string `yaml:"name"`
		Description string `yaml:"description"`
	} `yaml:"configuration"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
}

func loadConfig(t *testing.T) addonConfig {
	t.Helper()
	var c addonConfig
	readYAML(t, "../docker/config.yaml", &c)
	return c
}

func settingsByKey() map[string]config.Setting {
	m := map[string]config.Setting{}
	for _, s := range config.Settings() {
		m[s.OptionKey] = s
	}
	return m
}

func TestConfigRequiredFields(t *testing.T) {
	c := loadConfig(t)
	for field, value := range map[string]string{"name": c.Name, "version": c.Version,
		"slug": c.Slug, "description": c.Description} {
		if strings.TrimSpace(value) == "" {
			t.Errorf("config.yaml: %s is missing", field)
		}
	}
	if !regexp.MustCompile(`^[-_.A-Za-z0-9]+$`).MatchString(c.Slug) {
		t.Errorf("config.yaml: slug %q may contain only letters, digits, -, _ and .", c.Slug)
	}
	arch := slices.Sorted(slices.Values(c.Arch))
	if !slices.Equal(arch, []string{"aarch64", "amd64"}) {
		t.Errorf("config.yaml: arch = %v, want exactly aarch64 and amd64", c.Arch)
	}
}

func TestConfigRuntime(t *testing.T) {
	c := loadConfig(t)
	if c.Init == nil || *c.Init {
		t.Error("config.yaml: init must be false, because the image's entry point is the bridge")
	}
	if !c.HostNetwork {
		t.Error("config.yaml: host_network must be true, because mDNS needs the host's LAN")
	}
	if !slices.Contains(c.Services, "mqtt:need") {
		t.Errorf("config.yaml: services = %v, want mqtt:need", c.Services)
	}
	if !c.Ingress || c.IngressPort != 8099 {
		t.Errorf("config.yaml: ingress = %v on port %d, want true on 8099", c.Ingress, c.IngressPort)
	}
	if c.Watchdog != "http://[HOST]:[PORT:8099]/healthz" {
		t.Errorf("config.yaml: watchdog = %q, want the /healthz URL on port 8099", c.Watchdog)
	}
}

// TestOptionsMatchSettings keeps the add-on options in step with config.Settings: a new
// setting must be added to docker/config.yaml or to notAddonOptions.
func TestOptionsMatchSettings(t *testing.T) {
	c := loadConfig(t)
	settings := settingsByKey()

	for key := range c.Options {
		if _, ok := c.Schema[key]; !ok {
			t.Errorf("option %q has a default in options but no type in schema", key)
		}
	}
	for key := range c.Schema {
		if _, ok := settings[key]; !ok {
			t.Errorf("schema key %q is not a setting of the bridge (config.Settings)", key)
		}
		if reason, ok := notAddonOptions[key]; ok {
			t.Errorf("schema key %q is listed as not offered by the add-on: %s", key, reason)
		}
	}
	for key := range settings {
		_, inSchema := c.Schema[key]
		_, excluded := notAddonOptions[key]
		if !inSchema && !excluded {
			t.Errorf("setting %q is missing from docker/config.yaml: add it to options and "+
				"schema, or to notAddonOptions in addon_test.go with the reason", key)
		}
	}
}

func TestSchemaTypesFitSettings(t *testing.T) {
	c := loadConfig(t)
	settings := settingsByKey()
	for key, raw := range c.Schema {
		s, ok := settings[key]
		if !ok {
			continue // reported by TestOptionsMatchSettings
		}
		typ, err := parseType(raw)
		if err != nil {
			t.Errorf("schema %s: %v", key, err)
			continue
		}
		if err := typ.fits(s); err != nil {
			t.Errorf("schema %s: %v", key, err)
		}

		// The Supervisor rejects a null option and reports a required option that is
		// missing, so an option is in options exactly when its type is not optional.
		value, inOptions := c.Options[key]
		if inOptions && typ.optional {
			t.Errorf("option %s has a default, so its type %q must not end in ?", key, typ.raw)
		}
		if !inOptions && !typ.optional {
			t.Errorf("option %s is required (type %q) but has no default in options", key, typ.raw)
		}
		if inOptions && optionString(value) != s.Default {
			t.Errorf("options %s = %v, want the bridge's default %q", key, value, s.Default)
		}
	}
}

func TestEveryOptionTranslated(t *testing.T) {
	c := loadConfig(t)
	var tr translations
	readYAML(t, "../docker/translations/en.yaml", &tr)
	for key := range c.Schema {
		entry, ok := tr.Configuration[key]
		if !ok {
			t.Errorf("translations/en.yaml: option %q has no entry", key)
			continue
		}
		if strings.TrimSpace(entry.Name) == "" || strings.TrimSpace(entry.Description) == "" {
			t.Errorf("translations/en.yaml: option %q needs a name and a description", key)
		}
	}
	for key := range tr.Configuration {
		if _, ok := c.Schema[key]; !ok {
			t.Errorf("translations/en.yaml: %q is not an option in config.yaml", key)
		}
	}
}

// schemaType is one parsed Supervisor schema type, such as "int(1,3600)" or "url?".
type schemaType struct {
	raw      string
	base     string // str, password, url, bool, int, float, port, match or list
	args     string // inside the brackets: "1,3600" or "auto|manual"
	optional bool
	multiple bool // written as a YAML list: [str]
}

var typePattern = regexp.MustCompile(`^([a-z]+)(?:\((.*)\))?(\?)?$`)

func parseType(raw any) (schemaType, error) {
	multiple := false
	if list, ok := raw.([]any); ok {
		if len(list) != 1 {
			return schemaType{}, fmt.Errorf("list type %v must have one element type", raw)
		}
		raw, multiple = list[0], true
	}
	text, ok := raw.(string)
	if !ok {
		return schemaType{}, fmt.Errorf("type %v is not a string", raw)
	}
	m := typePattern.FindStringSubmatch(text)
	if m == nil {
		return schemaType{}, fmt.Errorf("type %q is not a Supervisor schema type", text)
	}
	return schemaType{raw: text, base: m[1], args: m[2], optional: m[3] == "?",
		multiple: multiple}, nil
}

// fits reports whether a setting of this kind, with its default, fits the type.
func (t schemaType) fits(s config.Setting) error {
	switch s.Kind {
	case "bool":
		if t.base != "bool" {
			return fmt.Errorf("setting is a bool, type %q is not", t.raw)
		}
		_, err := strconv.ParseBool(s.Default)
		return err
	case "int", "seconds":
		if t.base != "int" {
			return fmt.Errorf("setting is a number (%s), type %q is not int", s.Kind, t.raw)
		}
		return t.inRange(s.Default)
	case "string":
		return t.fitsString(s)
	}
	return fmt.Errorf("unknown setting kind %q", s.Kind)
}

func (t schemaType) fitsString(s config.Setting) error {
	if t.multiple && t.base != "str" {
		return fmt.Errorf("a list of %q cannot be joined into the comma-separated setting", t.raw)
	}
	switch t.base {
	case "str", "password", "match":
		return nil
	case "url":
		if s.Default != "" {
			return fmt.Errorf("url option with default %q: put the default in options", s.Default)
		}
		return nil
	case "list":
		if !slices.Contains(strings.Split(t.args, "|"), s.Default) {
			return fmt.Errorf("default %q is not one of %s", s.Default, t.args)
		}
		return nil
	}
	return fmt.Errorf("setting is a string, type %q is not", t.raw)
}

func (t schemaType) inRange(value string) error {
	n, err := strconv.Atoi(value)
	if err != nil {
		return fmt.Errorf("default %q is not a whole number", value)
	}
	if t.args == "" {
		return nil
	}
	low, high, _ := strings.Cut(t.args, ",")
	if low != "" {
		if lowest, err := strconv.Atoi(low); err != nil || n < lowest {
			return fmt.Errorf("default %d is below the type's range %s", n, t.args)
		}
	}
	if high != "" {
		if highest, err := strconv.Atoi(high); err != nil || n > highest {
			return fmt.Errorf("default %d is above the type's range %s", n, t.args)
		}
	}
	return nil
}

// optionString writes an options value as the bridge reads it from options.json.
func optionString(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = fmt.Sprint(item)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}

func TestSchemaTypeParsing(t *testing.T) {
	tests := []struct {
		raw     any
		setting config.Setting
		fits    bool
	}{
		{"int(1,3600)", config.Setting{Kind: "seconds", Default: "15"}, true},
		{"int(1,10)", config.Setting{Kind: "seconds", Default: "15"}, false},
		{"str", config.Setting{Kind: "seconds", Default: "15"}, false},
		{"bool", config.Setting{Kind: "bool", Default: "true"}, true},
		{"str", config.Setting{Kind: "bool", Default: "true"}, false},
		{"list(auto|manual)", config.Setting{Kind: "string", Default: "auto"}, true},
		{"list(on|off)", config.Setting{Kind: "string", Default: "auto"}, false},
		{"url?", config.Setting{Kind: "string", Default: ""}, true},
		{"url", config.Setting{Kind: "string", Default: "http://x"}, false},
		{[]any{"str"}, config.Setting{Kind: "string", Default: ""}, true},
		{[]any{"int"}, config.Setting{Kind: "string", Default: ""}, false},
	}
	for _, tt := range tests {
		typ, err := parseType(tt.raw)
		if err != nil {
			t.Errorf("parseType(%v): %v", tt.raw, err)
			continue
		}
		if err := typ.fits(tt.setting); (err == nil) != tt.fits {
			t.Errorf("%v fits %+v: got error %v, want fits=%v", tt.raw, tt.setting, err, tt.fits)
		}
	}
}

func TestChangelogHasVersion(t *testing.T) {
	c := loadConfig(t)
	data, err := os.ReadFile("../docker/CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "## "+c.Version) {
		t.Errorf("CHANGELOG.md has no \"## %s\" section for the add-on version", c.Version)
	}
}

func TestAddonFilesPresent(t *testing.T) {
	for _, name := range []string{"DOCS.md", "README.md", "CHANGELOG.md"} {
		info, err := os.Stat(filepath.Join("../docker", name))
		if err != nil {
			t.Errorf("docker/%s: %v", name, err)
			continue
		}
		if info.Size() == 0 {
			t.Errorf("docker/%s is empty", name)
		}
	}
	var repo struct {
		Name       string `yaml:"name"`
		URL        string `yaml:"url"`
		Maintainer string `yaml:"maintainer"`
	}
	readYAML(t, "../repository.yaml", &repo)
	if repo.Name == "" || repo.URL == "" || repo.Maintainer == "" {
		t.Errorf("repository.yaml = %+v, want name, url and maintainer", repo)
	}
}

func TestImages(t *testing.T) {
	tests := []struct {
		name      string
		check     func(w, h int) bool
		wantShape string
	}{
		{"icon.png", func(w, h int) bool { return w == 256 && h == 256 }, "256x256"},
		{"logo.png", func(w, h int) bool { return w >= 2*h && h >= 64 }, "wide, at least 64 high"},
	}
	for _, tt := range tests {
		f, err := os.Open(filepath.Join("../docker", tt.name))
		if err != nil {
			t.Error(err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Errorf("%s is not a PNG: %v", tt.name, err)
			continue
		}
		if !tt.check(cfg.Width, cfg.Height) {
			t.Errorf("%s is %dx%d, want %s", tt.name, cfg.Width, cfg.Height, tt.wantShape)
		}
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"ARG BUILD_FROM=",
		"FROM ${BUILD_FROM}",
		"io.hass.version=",
		`io.hass.type="app"`,
		`io.hass.arch="aarch64|amd64"`,
		"CGO_ENABLED=0",
		"-X " + versionVariable + "=${BUILD_VERSION}",
		"./cmd/wican-bridge",
		`ENTRYPOINT ["/usr/bin/wican-bridge"]`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile does not contain %q", want)
		}
	}
	// ARG before the first FROM is global, which FROM ${BUILD_FROM} needs.
	if strings.Index(text, "ARG BUILD_FROM=") > strings.Index(text, "\nFROM ") {
		t.Error("Dockerfile declares ARG BUILD_FROM after the first FROM, so FROM cannot use it")
	}
}

func TestOptionsDocListsEverySetting(t *testing.T) {
	data, err := os.ReadFile("../docs/options.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, s := range config.Settings() {
		if !strings.Contains(doc, "`--"+s.Flag+"`") {
			t.Errorf("docs/options.md does not document `--%s`", s.Flag)
		}
		if !strings.Contains(doc, "`"+s.Env+"`") {
			t.Errorf("docs/options.md does not name `%s`", s.Env)
		}
	}
}

// TestBinaryIsStatic builds the bridge as the Dockerfile does, for both add-on
// architectures, and checks that each binary needs no dynamic loader or library, because
// the image's base may lack the C library it would need.
func TestBinaryIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bridge twice")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	for _, tt := range []struct {
		goarch  string
		machine elf.Machine
	}{
		{"amd64", elf.EM_X86_64},
		{"arm64", elf.EM_AARCH64},
	} {
		t.Run(tt.goarch, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "wican-bridge")
			version := "9.8.7-addon-test"
			cmd := exec.Command(goTool, "build", "-trimpath", "-buildvcs=false",
				"-ldflags", "-s -w -X "+versionVariable+"="+version, "-o", out,
				"./cmd/wican-bridge")
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+tt.goarch)
			if output, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build for %s: %v\n%s", tt.goarch, err, output)
			}
			checkStatic(t, out, tt.machine)
			checkVersion(t, out, version)
			if runtime.GOOS == "linux" && runtime.GOARCH == tt.goarch {
				checkRuns(t, out)
			}
		})
	}
}

func checkStatic(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("machine = %v, want %v", f.Machine, machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Error("binary has a PT_INTERP header: it needs a dynamic loader")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatalf("read DT_NEEDED: %v", err)
	}
	if len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
}

// checkVersion looks for the -X value in the binary, which is there only when the
// version variable exists.
func checkVersion(t *testing.T, path, version string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), version) {
		t.Errorf("binary does not contain the version %q: does %s still exist?",
			version, versionVariable)
	}
}

// checkRuns starts the binary with --help, which prints the flags without starting the
// bridge.
func checkRuns(t *testing.T, path string) {
	t.Helper()
	output, err := exec.Command(path, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --help: %v\n%s", path, err, output)
	}
	if !strings.Contains(string(output), "-webhook-addr") {
		t.Errorf("%s --help does not list the flags:\n%s", path, output)
	}
}
