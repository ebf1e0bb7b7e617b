package ha

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

var (
	objectIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	entityIDPattern = regexp.MustCompile(`^(sensor|binary_sensor)\.[a-z0-9_]+$`)
	// templatePattern is the only template shape the bridge sends: a plain attribute of
	// value_json, which Jinja parses whatever the parameter names are.
	templatePattern = regexp.MustCompile(`^\{\{ value_json\.[a-z][a-z0-9_]* \}\}$`)
)

var stateClasses = map[string]bool{"measurement": true, "total": true, "total_increasing": true}

// ValidateConfig checks a discovery config topic and payload against the rules Home
// Assistant applies (2025-2026 versions): the id pattern, device class, unit and state
// class combinations, entity category, availability and the deprecated object_id.
// It returns the first violation found.
func ValidateConfig(topic string, body []byte) error {
	parts := strings.Split(topic, "/")
	if len(parts) != 5 || parts[4] != "config" {
		return fmt.Errorf("topic %q is not <prefix>/<component>/<node_id>/<object_id>/config", topic)
	}
	component := parts[1]
	for _, id := range parts[2:4] {
		if !objectIDPattern.MatchString(id) {
			return fmt.Errorf("topic %q: id %q does not match %s", topic, id, objectIDPattern)
		}
	}
	var cfg map[string]any
	if err := json.Unmarshal(body, &cfg); err != nil {
		return fmt.Errorf("config is not a JSON object: %w", err)
	}
	checks := []func(string, map[string]any) error{
		checkRequired, checkClasses, checkAvailability, checkOthers,
	}
	for _, check := range checks {
		if err := check(component, cfg); err != nil {
			return fmt.Errorf("%s: %w", topic, err)
		}
	}
	return nil
}

func str(cfg map[string]any, key string) string {
	s, _ := cfg[key].(string)
	return s
}

func checkRequired(component string, cfg map[string]any) error {
	if str(cfg, "unique_id") == "" {
		return fmt.Errorf("unique_id is missing")
	}
	if _, ok := cfg["object_id"]; ok {
		return fmt.Errorf("object_id is deprecated: use default_entity_id")
	}
	id := str(cfg, "default_entity_id")
	if !entityIDPattern.MatchString(id) || !strings.HasPrefix(id, component+".") {
		return fmt.Errorf("default_entity_id %q is not a %s entity id", id, component)
	}
	if str(cfg, "state_topic") == "" || strings.ContainsAny(str(cfg, "state_topic"), "+#\x00") {
		return fmt.Errorf("state_topic %q is missing or holds a wildcard", str(cfg, "state_topic"))
	}
	origin, _ := cfg["origin"].(map[string]any)
	if origin == nil || origin["name"] == "" || origin["name"] == nil {
		return fmt.Errorf("origin with a name is missing")
	}
	dev, _ := cfg["device"].(map[string]any)
	if ids, _ := dev["identifiers"].([]any); len(ids) == 0 {
		return fmt.Errorf("device identifiers are missing")
	}
	return nil
}

func checkClasses(component string, cfg map[string]any) error {
	class, unit, stateClass := str(cfg, "device_class"), str(cfg, "unit_of_measurement"),
		str(cfg, "state_class")
	if component == BinarySensor {
		if class != "" && !binaryClasses[class] {
			return fmt.Errorf("binary sensor device_class %q is unknown", class)
		}
		if unit != "" || stateClass != "" {
			return fmt.Errorf("binary sensor has a unit or state class")
		}
		return nil
	}
	if stateClass != "" && !stateClasses[stateClass] {
		return fmt.Errorf("state_class %q is unknown", stateClass)
	}
	switch class {
	case "":
		return nil
	case "timestamp":
		if unit != "" || stateClass != "" {
			return fmt.Errorf("timestamp sensor has a unit or state class")
		}
		return nil
	}
	if _, ok := sensorClasses[class]; !ok {
		return fmt.Errorf("device_class %q is unknown", class)
	}
	if !unitFits(class, unit) {
		return fmt.Errorf("unit %q is not valid for device_class %q", unit, class)
	}
	if stateClass != "" && !stateClassFits(class, stateClass) {
		return fmt.Errorf("state_class %q is not allowed for device_class %q", stateClass, class)
	}
	return nil
}

func checkAvailability(_ string, cfg map[string]any) error {
	_, hasTopic := cfg["availability_topic"]
	list, hasList := cfg["availability"].([]any)
	if hasTopic && hasList {
		return fmt.Errorf("availability_topic and availability are both set")
	}
	for _, item := range list {
		entry, _ := item.(map[string]any)
		if t, _ := entry["topic"].(string); t == "" {
			return fmt.Errorf("availability entry without a topic")
		}
		if tpl, ok := entry["value_template"].(string); ok && !templatePattern.MatchString(tpl) {
			return fmt.Errorf("availability value_template %q is not a plain value_json attribute", tpl)
		}
	}
	mode := str(cfg, "availability_mode")
	if mode != "" && mode != "all" && mode != "any" && mode != "latest" {
		return fmt.Errorf("availability_mode %q is unknown", mode)
	}
	return nil
}

func checkOthers(_ string, cfg map[string]any) error {
	if c := str(cfg, "entity_category"); c != "" && c != "diagnostic" {
		return fmt.Errorf("entity_category %q drops a sensor: only diagnostic is allowed", c)
	}
	if icon := str(cfg, "icon"); icon != "" && !strings.Contains(icon, ":") {
		return fmt.Errorf("icon %q is not prefix:name", icon)
	}
	if tpl, ok := cfg["value_template"].(string); ok && !templatePattern.MatchString(tpl) {
		return fmt.Errorf("value_template %q is not a plain value_json attribute", tpl)
	}
	return nil
}
