// Package lovelace builds a Home Assistant Lovelace dashboard for one adapter from the
// entity ids the bridge gave its values.
package lovelace

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Param names of the adapter's diagnostic entities. The caller passes these entities in
// Device.Entities like any other, with one of these names as Entity.Param.
const (
	ParamBattery12V = "battery_12v" // 12 V supply voltage, such as sensor.golf_12_v_battery
	ParamOnline     = "online"      // connectivity binary sensor of the adapter
	ParamECU        = "ecu"         // binary sensor that is on while the car's ECU responds
	ParamLastPost   = "last_post"   // timestamp sensor of the adapter's last webhook post
)

// maxHistory is the maximum number of entities in the history graph, because more lines
// than this make the graph hard to read on a phone.
const maxHistory = 8

// Device is one adapter and its Home Assistant entities.
type Device struct {
	Name     string
	Entities []Entity
}

// Entity is one Home Assistant entity of an adapter.
type Entity struct {
	Param       string // parameter name, or one of the Param constants for diagnostics
	EntityID    string // such as "sensor.golf_soc"
	DeviceClass string // Home Assistant device class, empty when none
	Unit        string // unit of measurement, empty when none
	Component   string // "sensor" or "binary_sensor"
}

// card is one Lovelace card. Only the fields of its type are set.
type card struct {
	Type        string      `yaml:"type"`
	Title       string      `yaml:"title,omitempty"`
	Entity      string      `yaml:"entity,omitempty"`
	Name        string      `yaml:"name,omitempty"`
	Min         *int        `yaml:"min,omitempty"`
	Max         int         `yaml:"max,omitempty"`
	Severity    *severity   `yaml:"severity,omitempty"`
	Columns     int         `yaml:"columns,omitempty"`
	Square      *bool       `yaml:"square,omitempty"`
	HoursToShow int         `yaml:"hours_to_show,omitempty"`
	Entities    []entityRow `yaml:"entities,omitempty"`
	Cards       []card      `yaml:"cards,omitempty"`
	Content     string      `yaml:"content,omitempty"`
}

type severity struct {
	Green  int `yaml:"green"`
	Yellow int `yaml:"yellow"`
	Red    int `yaml:"red"`
}

type entityRow struct {
	Entity string `yaml:"entity"`
	Name   string `yaml:"name,omitempty"`
}

type view struct {
	Title string `yaml:"title"`
	Icon  string `yaml:"icon"`
	Cards []card `yaml:"cards"`
}

type dashboard struct {
	Title string `yaml:"title"`
	Views []view `yaml:"views"`
}

// Dashboard returns a Lovelace dashboard in YAML for one adapter. It has gauges for speed,
// RPM and state of charge when the adapter has them, and an entities card with the
// adapter's 12 V battery, online state and last post. A second entities card lists the
// on/off values, and a history graph shows up to eight numeric values.
func Dashboard(d Device) string {
	entities := usable(d.Entities)
	gauges := gaugeCards(entities)

	var cards []card
	if len(gauges) > 0 {
		cards = append(cards, card{Type: "grid", Columns: len(gauges), Square: ptr(false),
			Cards: gauges})
	}
	if c, ok := adapterCard(entities); ok {
		cards = append(cards, c)
	}
	if c, ok := binaryCard(entities); ok {
		cards = append(cards, c)
	}
	if c, ok := historyCard(entities, gauges); ok {
		cards = append(cards, c)
	}
	if cards == nil {
		cards = []card{{Type: "markdown", Content: "The adapter has sent no values yet. " +
			"Show the dashboard again after its first post."}}
	}

	title := strings.TrimSpace(d.Name)
	if title == "" {
		title = "WiCAN"
	}
	return encode(dashboard{Title: title, Views: []view{{Title: title, Icon: "mdi:car",
		Cards: cards}}})
}

// usable returns the entities that have an entity id, sorted by Param so that the output
// does not depend on the caller's order.
func usable(in []Entity) []Entity {
	out := make([]Entity, 0, len(in))
	for _, e := range in {
		if e.EntityID != "" {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Param < out[j].Param })
	return out
}

func gaugeCards(entities []Entity) []card {
	var cards []card
	if e, ok := find(entities, isSpeed); ok {
		cards = append(cards, card{Type: "gauge", Entity: e.EntityID, Name: "Speed",
			Min: ptr(0), Max: speedMax(e.Unit)})
	}
	if e, ok := find(entities, isRPM); ok {
		cards = append(cards, card{Type: "gauge", Entity: e.EntityID, Name: "RPM",
			Min: ptr(0), Max: 8000})
	}
	if e, ok := find(entities, isStateOfCharge); ok {
		cards = append(cards, card{Type: "gauge", Entity: e.EntityID, Name: "State of charge",
			Min: ptr(0), Max: 100, Severity: &severity{Green: 50, Yellow: 20, Red: 0}})
	}
	return cards
}

func isSensor(e Entity) bool { return e.Component == "sensor" }

func isSpeed(e Entity) bool {
	return isSensor(e) && e.DeviceClass == "speed" && !strings.EqualFold(e.Unit, "rpm")
}

func isRPM(e Entity) bool { return isSensor(e) && strings.EqualFold(e.Unit, "rpm") }

func isStateOfCharge(e Entity) bool {
	return isSensor(e) && e.DeviceClass == "battery" && e.Unit == "%"
}

// speedMax returns the top of the speed gauge's scale in the entity's unit.
func speedMax(unit string) int {
	switch unit {
	case "mph":
		return 130
	case "m/s":
		return 60
	default:
		return 200
	}
}

// diagnosticNames are the names shown for the diagnostic entities, and diagnosticOrder
// is their order in the adapter card.
var (
	diagnosticNames = map[string]string{
		ParamBattery12V: "12 V battery",
		ParamOnline:     "Online",
		ParamECU:        "ECU online",
		ParamLastPost:   "Last post",
	}
	diagnosticOrder = []string{ParamBattery12V, ParamOnline, ParamECU, ParamLastPost}
)

func isDiagnostic(e Entity) bool {
	_, ok := diagnosticNames[e.Param]
	return ok
}

// row returns an entities row named after the parameter, or after the diagnostic.
func row(e Entity) entityRow {
	name, ok := diagnosticNames[e.Param]
	if !ok {
		name = e.Param
	}
	return entityRow{Entity: e.EntityID, Name: name}
}

// adapterCard lists the adapter's own state in a fixed order.
func adapterCard(entities []Entity) (card, bool) {
	c := card{Type: "entities", Title: "Adapter"}
	for _, param := range diagnosticOrder {
		if e, ok := find(entities, func(e Entity) bool { return e.Param == param }); ok {
			c.Entities = append(c.Entities, row(e))
		}
	}
	return c, len(c.Entities) > 0
}

// binaryCard lists the vehicle's on/off values, such as doors and charging.
func binaryCard(entities []Entity) (card, bool) {
	c := card{Type: "entities", Title: "Status"}
	for _, e := range entities {
		if e.Component == "binary_sensor" && !isDiagnostic(e) {
			c.Entities = append(c.Entities, row(e))
		}
	}
	return c, len(c.Entities) > 0
}

// historyCard graphs the numeric values: the gauges' entities first, then the other
// sensors with a unit, up to maxHistory. A sensor without a unit would be drawn as a
// timeline of text states, so it is left out.
func historyCard(entities []Entity, gauges []card) (card, bool) {
	c := card{Type: "history-graph", Title: "History", HoursToShow: 24}
	seen := map[string]bool{}
	add := func(e Entity) {
		if len(c.Entities) >= maxHistory || seen[e.EntityID] {
			return
		}
		seen[e.EntityID] = true
		c.Entities = append(c.Entities, row(e))
	}
	for _, g := range gauges {
		if e, ok := find(entities, func(e Entity) bool { return e.EntityID == g.Entity }); ok {
			add(e)
		}
	}
	for _, e := range entities {
		if isSensor(e) && e.Unit != "" && e.DeviceClass != "timestamp" {
			add(e)
		}
	}
	return c, len(c.Entities) > 0
}

func find(entities []Entity, match func(Entity) bool) (Entity, bool) {
	for _, e := range entities {
		if match(e) {
			return e, true
		}
	}
	return Entity{}, false
}

func ptr[T any](v T) *T { return &v }

// encode writes the dashboard as YAML with two-space indents. The yaml package quotes
// every string that YAML would otherwise read as another type or as syntax, so names
// with ": # ' \"" stay plain strings.
func encode(d dashboard) string {
	var buf bytes.Buffer
	buf.WriteString("# Lovelace dashboard made by wican-bridge. To use it, add a dashboard in\n" +
		"# Settings > Dashboards, open it, choose Edit dashboard, then Raw configuration\n" +
		"# editor in the three-dot menu, and replace the text there with this one.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		// Encoding fails only for types the yaml package cannot represent, and the
		// dashboard types above contain only strings, ints, bools, slices and structs.
		panic(fmt.Sprintf("lovelace: encode dashboard: %v", err))
	}
	if err := enc.Close(); err != nil {
		panic(fmt.Sprintf("lovelace: encode dashboard: %v", err))
	}
	return buf.String()
}
