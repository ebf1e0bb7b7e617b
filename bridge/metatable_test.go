package bridge

import (
	"reflect"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/payload"
)

// Two adapters of one profile share a metadata table. When one of them changes its
// metadata, the other must keep its own.
func TestSharedMetadataStaysPerAdapter(t *testing.T) {
	tt := &topics{testTopics}
	meta := map[string]payload.Meta{"SOC": {Class: "battery", Unit: "%"},
		"TEMP": {Class: "temperature", Unit: "degC"}}
	post := func(id string, meta map[string]payload.Meta) *payload.Post {
		return &payload.Post{DeviceID: id, Meta: meta, Params: []payload.Param{
			{Name: "SOC", Value: payload.Value{Num: 71}},
			{Name: "TEMP", Value: payload.Value{Num: 21}}}}
	}
	first, second := newAdapter(newHookForTest()), newAdapter(newHookForTest())
	now := time.Now()
	if _, err := first.apply(tt, post("aaaaaaaaaaaa", meta), now, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := second.apply(tt, post("bbbbbbbbbbbb", meta), now, "", nil); err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(first.hook.Meta).UnsafePointer() !=
		reflect.ValueOf(second.hook.Meta).UnsafePointer() {
		t.Error("adapters with equal metadata keep two tables, want one shared")
	}

	changed := map[string]payload.Meta{"TEMP": {Class: "temperature", Unit: "degF"}}
	if _, err := first.apply(tt, post("aaaaaaaaaaaa", changed), now, "", nil); err != nil {
		t.Fatal(err)
	}
	if got := first.params["TEMP"].entity.Value().Unit; got != ha.NormalizeUnit("degF") {
		t.Errorf("first adapter TEMP unit = %q, want %q", got, ha.NormalizeUnit("degF"))
	}
	if got := second.hook.Meta["TEMP"].Unit; got != "degC" {
		t.Errorf("second adapter's TEMP metadata unit = %q, want degC", got)
	}
	if got := second.params["TEMP"].entity.Value().Unit; got != ha.NormalizeUnit("degC") {
		t.Errorf("second adapter TEMP unit = %q, want %q", got, ha.NormalizeUnit("degC"))
	}
	if got := first.hook.Meta["SOC"]; got != meta["SOC"] {
		t.Errorf("first adapter SOC metadata = %+v after a change of TEMP, want %+v", got, meta["SOC"])
	}
}
