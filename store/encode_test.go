package store

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/payload"
)

// checkEncoding fails unless the encoder writes h exactly as json.Marshal does, or fails
// where json.Marshal fails.
func checkEncoding(t *testing.T, h *Webhook) {
	t.Helper()
	want, wantErr := json.Marshal(h)
	var enc webhookEncoder
	got, err := enc.encode(h)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("encode error %v, json.Marshal error %v", err, wantErr)
	}
	if wantErr == nil && !bytes.Equal(got, want) {
		t.Errorf("encode wrote\n%s\njson.Marshal writes\n%s", got, want)
	}
}

func TestEncodeMatchesMarshal(t *testing.T) {
	battery := 12.6
	zone := time.FixedZone("", 5*3600+30*60)
	cases := map[string]*Webhook{
		"new webhook": {ID: hookA, Created: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)},
		"sample":      sampleState("Car").Webhooks[0],
		"escaped strings": {
			ID: hookB, Name: "quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f nul \x00 \x1f <a&b> \x7f",
			Created: time.Date(2026, 3, 4, 5, 6, 7, 123456789, zone),
			Host:    "bad utf-8 \xff\xfe end, line separator \u2028 and \u2029, émoji 🚗",
			Removed: []string{"soc", "<script>", ""},
		},
		"numbers": {
			ID: hookA, Created: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Battery12V: &battery,
			Values: map[string]Value{
				"zero": {}, "negative zero": {Num: math.Copysign(0, -1)}, "small": {Num: 1e-7},
				"limit small": {Num: 1e-6}, "large": {Num: 1e21}, "below large": {Num: 999999999999999999999},
				"tiny": {Num: 5e-324}, "huge": {Num: math.MaxFloat64}, "negative": {Num: -42.125},
				"text": {Text: "P", Kind: payload.Text}, "on": {Num: 1, Text: "on", Kind: payload.Binary},
			},
			Takebacks: -3, Interval: 86400, LastPost: time.Date(2026, 12, 5, 0, 0, 0, 1, time.Local),
		},
		"empty collections": {
			ID: hookA, Meta: map[string]payload.Meta{}, Values: map[string]Value{}, Removed: []string{},
		},
		"every field": filledWebhook(t),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) { checkEncoding(t, h) })
	}
}

func TestEncodeRejectsWhatMarshalRejects(t *testing.T) {
	cases := map[string]*Webhook{
		"NaN value":     {ID: hookA, Values: map[string]Value{"x": {Num: math.NaN()}}},
		"infinite 12 V": {ID: hookA, Battery12V: new(math.Inf(1))},
		"year 10000":    {ID: hookA, Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := json.Marshal(h); err == nil {
				t.Fatal("json.Marshal accepts the case, so it checks nothing")
			}
			checkEncoding(t, h)
		})
	}
}

// filledWebhook sets every field of a Webhook to a value that json.Marshal writes, so that
// a field added to Webhook but not to the encoder fails TestEncodeMatchesMarshal.
func filledWebhook(t *testing.T) *Webhook {
	h := &Webhook{}
	v := reflect.ValueOf(h).Elem()
	for i := range v.NumField() {
		field := v.Field(i)
		switch value := field.Addr().Interface().(type) {
		case *string:
			*value = v.Type().Field(i).Name
		case *bool:
			*value = true
		case *int:
			*value = i + 1
		case *time.Time:
			*value = time.Date(2026, 2, 3, 4, 5, 6, 7, time.UTC)
		case **float64:
			*value = new(13.1)
		case *map[string]payload.Meta:
			*value = map[string]payload.Meta{"SOC": {Class: "battery", Unit: "%"}, "A": {}}
		case *map[string]Value:
			*value = map[string]Value{"SOC": {Num: 80, Kind: payload.Number}}
		case *[]string:
			*value = []string{"a", "b"}
		default:
			t.Fatalf("field %s has type %s, which this test and webhookEncoder do not know",
				v.Type().Field(i).Name, field.Type())
		}
	}
	return h
}

func FuzzEncode(f *testing.F) {
	f.Add("SOC", "battery", "%", 71.5, int64(1767261600), int64(0))
	f.Add("a<b>&\"\\\x00", "\xff\u2028", "é", 1e-7, int64(-62135596800), int64(999999999))
	f.Add("", "", "", 1e21, int64(253402300799), int64(1))
	f.Fuzz(func(t *testing.T, name, class, unit string, num float64, sec, nsec int64) {
		created := time.Unix(sec, nsec).In(time.FixedZone("", int(nsec%86400)))
		h := &Webhook{
			ID: name, Name: class, Created: created, Host: unit, LastPost: created,
			Meta:    map[string]payload.Meta{name: {Class: class, Unit: unit}, unit: {Unit: name}},
			Values:  map[string]Value{name: {Num: num, Text: unit, Kind: payload.Kind(sec)}},
			Removed: []string{class, unit},
		}
		if num != 0 {
			h.Battery12V = &num
		}
		checkEncoding(t, h)
	})
}
