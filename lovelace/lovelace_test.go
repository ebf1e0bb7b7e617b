package lovelace

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// parsed is the part of a dashboard that the tests check.
type parsed struct {
	Title string `yaml:"title"`
	Views []struct {
		Title string       `yaml:"title"`
		Cards []parsedCard `yaml:"cards"`
	} `yaml:"views"`
}

type parsedCard struct {
	Type     string       `yaml:"type"`
	Title    string       `yaml:"title"`
	Entity   string       `yaml:"entity"`
	Name     string       `yaml:"name"`
	Min      *int         `yaml:"min"`
	Max      int          `yaml:"max"`
	Content  string       `yaml:"content"`
	Cards    []parsedCard `yaml:"cards"`
	Entities []struct {
		Entity string `yaml:"entity"`
		Name   string `yaml:"name"`
	} `yaml:"entities"`
}

func parse(t *testing.T, text string) parsed {
	t.Helper()
	var p parsed
	if err := yaml.Unmarshal([]byte(text), &p); err != nil {
		t.Fatalf("dashboard is not valid YAML: %v\n%s", err, text)
	}
	if len(p.Views) != 1 {
		t.Fatalf("dashboard has %d views, want 1:\n%s", len(p.Views), text)
	}
	return p
}

// cardsByType flattens grids and indexes the cards by type.
func cardsByType(cards []parsedCard) map[string][]parsedCard {
	out := map[string][]parsedCard{}
	for _, c := range cards {
		if c.Type == "grid" {
			for typ, inner := range cardsByType(c.Cards) {
				out[typ] = append(out[typ], inner...)
			}
			continue
		}
		out[c.Type] = append(out[c.Type], c)
	}
	return out
}

func entityIDs(c parsedCard) []string {
	var ids []string
	for _, e := range c.Entities {
		ids = append(ids, e.Entity)
	}
	return ids
}

func golf() Device {
	return Device{Name: "Golf", Entities: []Entity{
		{Param: "SOC", EntityID: "sensor.golf_soc", DeviceClass: "battery", Unit: "%",
			Component: "sensor"},
		{Param: "0D-VehicleSpeed", EntityID: "sensor.golf_0d_vehiclespeed",
			DeviceClass: "speed", Unit: "km/h", Component: "sensor"},
		{Param: "0C-EngineRPM", EntityID: "sensor.golf_0c_enginerpm", Unit: "rpm",
			Component: "sensor"},
		{Param: "DOOR_FL", EntityID: "binary_sensor.golf_door_fl", DeviceClass: "door",
			Component: "binary_sensor"},
		{Param: ParamBattery12V, EntityID: "sensor.golf_12_v_battery", DeviceClass: "voltage",
			Unit: "V", Component: "sensor"},
		{Param: ParamOnline, EntityID: "binary_sensor.golf_online",
			DeviceClass: "connectivity", Component: "binary_sensor"},
		{Param: ParamLastPost, EntityID: "sensor.golf_last_post", DeviceClass: "timestamp",
			Component: "sensor"},
	}}
}

func TestDashboardGauges(t *testing.T) {
	p := parse(t, Dashboard(golf()))
	gauges := cardsByType(p.Views[0].Cards)["gauge"]

	want := map[string]string{
		"Speed":           "sensor.golf_0d_vehiclespeed",
		"RPM":             "sensor.golf_0c_enginerpm",
		"State of charge": "sensor.golf_soc",
	}
	if len(gauges) != len(want) {
		t.Fatalf("got %d gauges, want %d: %+v", len(gauges), len(want), gauges)
	}
	for _, g := range gauges {
		if want[g.Name] != g.Entity {
			t.Errorf("gauge %q shows %q, want %q", g.Name, g.Entity, want[g.Name])
		}
		if g.Min == nil || *g.Min != 0 {
			t.Errorf("gauge %q: min = %v, want 0", g.Name, g.Min)
		}
		if g.Max <= 0 {
			t.Errorf("gauge %q: max = %d, want > 0", g.Name, g.Max)
		}
	}
}

func TestDashboardAdapterCard(t *testing.T) {
	p := parse(t, Dashboard(golf()))
	var adapter *parsedCard
	for _, c := range cardsByType(p.Views[0].Cards)["entities"] {
		if c.Title == "Adapter" {
			adapter = &c
		}
	}
	if adapter == nil {
		t.Fatal("no Adapter entities card")
	}
	got := strings.Join(entityIDs(*adapter), ",")
	want := "sensor.golf_12_v_battery,binary_sensor.golf_online,sensor.golf_last_post"
	if got != want {
		t.Errorf("Adapter card entities = %s, want %s", got, want)
	}
}

func TestDashboardStatusCard(t *testing.T) {
	p := parse(t, Dashboard(golf()))
	var status []string
	for _, c := range cardsByType(p.Views[0].Cards)["entities"] {
		if c.Title == "Status" {
			status = entityIDs(c)
		}
	}
	if got := strings.Join(status, ","); got != "binary_sensor.golf_door_fl" {
		t.Errorf("Status card entities = %q, want binary_sensor.golf_door_fl only", got)
	}
}

func TestDashboardHistoryGraph(t *testing.T) {
	p := parse(t, Dashboard(golf()))
	graphs := cardsByType(p.Views[0].Cards)["history-graph"]
	if len(graphs) != 1 {
		t.Fatalf("got %d history graphs, want 1", len(graphs))
	}
	ids := entityIDs(graphs[0])
	got := strings.Join(ids, ",")
	// Gauges first, then the other sensors with a unit in Param order.
	want := "sensor.golf_0d_vehiclespeed,sensor.golf_0c_enginerpm,sensor.golf_soc," +
		"sensor.golf_12_v_battery"
	if got != want {
		t.Errorf("history graph entities = %s, want %s", got, want)
	}
}

func TestDashboardHistoryCappedAtEight(t *testing.T) {
	d := Device{Name: "Ioniq"}
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		d.Entities = append(d.Entities, Entity{Param: "CELL_" + name,
			EntityID: "sensor.ioniq_cell_" + name, DeviceClass: "voltage", Unit: "V",
			Component: "sensor"})
	}
	p := parse(t, Dashboard(d))
	graphs := cardsByType(p.Views[0].Cards)["history-graph"]
	if len(graphs) != 1 {
		t.Fatalf("got %d history graphs, want 1", len(graphs))
	}
	if n := len(graphs[0].Entities); n != maxHistory {
		t.Errorf("history graph has %d entities, want %d", n, maxHistory)
	}
}

func TestDashboardWithoutGauges(t *testing.T) {
	d := Device{Name: "Van", Entities: []Entity{
		{Param: "COOLANT", EntityID: "sensor.van_coolant", DeviceClass: "temperature",
			Unit: "°C", Component: "sensor"},
		// A battery sensor in volts is not a state of charge.
		{Param: "AUX_BATT", EntityID: "sensor.van_aux_batt", DeviceClass: "voltage", Unit: "V",
			Component: "sensor"},
	}}
	p := parse(t, Dashboard(d))
	if gauges := cardsByType(p.Views[0].Cards)["gauge"]; len(gauges) != 0 {
		t.Errorf("got gauges %+v for an adapter without speed, RPM or state of charge", gauges)
	}
	if graphs := cardsByType(p.Views[0].Cards)["history-graph"]; len(graphs) != 1 {
		t.Errorf("got %d history graphs, want 1", len(graphs))
	}
}

func TestDashboardNoEntities(t *testing.T) {
	p := parse(t, Dashboard(Device{Name: "New car"}))
	cards := p.Views[0].Cards
	if len(cards) != 1 || cards[0].Type != "markdown" || cards[0].Content == "" {
		t.Errorf("cards = %+v, want one markdown card with content", cards)
	}
}

func TestDashboardQuotesNames(t *testing.T) {
	names := []string{
		`Golf: "GTE" # 2 'blue'`,
		"yes",
		"- dash",
		"{braces} [brackets] & *star !bang %pct @at `tick`",
		"multi\nline",
		"",
	}
	for _, name := range names {
		d := golf()
		d.Name = name
		d.Entities = append(d.Entities, Entity{Param: `TYRE: "FL" #1`,
			EntityID: "sensor.golf_tyre_fl", DeviceClass: "pressure", Unit: "kPa",
			Component: "sensor"})
		p := parse(t, Dashboard(d))

		wantTitle := strings.TrimSpace(name)
		if wantTitle == "" {
			wantTitle = "WiCAN"
		}
		if p.Title != wantTitle {
			t.Errorf("title = %q, want %q", p.Title, wantTitle)
		}
		if p.Views[0].Title != wantTitle {
			t.Errorf("view title = %q, want %q", p.Views[0].Title, wantTitle)
		}
		graphs := cardsByType(p.Views[0].Cards)["history-graph"]
		found := false
		for _, e := range graphs[0].Entities {
			if e.Entity == "sensor.golf_tyre_fl" && e.Name == `TYRE: "FL" #1` {
				found = true
			}
		}
		if !found {
			t.Errorf("name %q: history graph lost the tyre entity or its name: %+v",
				name, graphs[0].Entities)
		}
	}
}

func TestDashboardIgnoresInputOrder(t *testing.T) {
	d := golf()
	reversed := Device{Name: d.Name}
	for i := len(d.Entities) - 1; i >= 0; i-- {
		reversed.Entities = append(reversed.Entities, d.Entities[i])
	}
	if Dashboard(d) != Dashboard(reversed) {
		t.Error("the dashboard changes with the order of the entities")
	}
}

func TestDashboardSkipsEntitiesWithoutID(t *testing.T) {
	d := Device{Name: "Golf", Entities: []Entity{
		{Param: "SOC", DeviceClass: "battery", Unit: "%", Component: "sensor"},
	}}
	text := Dashboard(d)
	if strings.Contains(text, "entity:") {
		t.Errorf("dashboard refers to an entity without an id:\n%s", text)
	}
}
