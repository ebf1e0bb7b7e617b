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
				t.Fatal("json.Marshal accepts this webhook, so the case tests nothing")
			}
			checkEncoding(t, h)
		})
	}
}

// filledWebhook sets every field of a Webhook and of the structs in its maps, so that a
// field the encoder does not know fails TestEncodeMatchesMarshal.
func filledWebhook(t *testing.T) *Webhook {
	h := &Webhook{}
	fill(t, reflect.ValueOf(h).Elem(), "Webhook")
	return h
}

// fill sets v to a value that is not empty, derived from path so that fields differ.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(len(path)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(len(path)))
	case reflect.Float64:
		v.SetFloat(float64(len(path)) + 0.25)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), path+"*")
		v.Set(p)
	case reflect.Slice:
		list := reflect.MakeSlice(v.Type(), 2, 2)
		fill(t, list.Index(0), path+"[0]")
		fill(t, list.Index(1), path+"[1]")
		v.Set(list)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, name := range []string{"b", "a"} {
			key := reflect.New(v.Type().Key()).Elem()
			fill(t, key, path+"."+name)
			value := reflect.New(v.Type().Elem()).Elem()
			fill(t, value, path+"["+name+"]")
			m.SetMapIndex(key, value)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 2, 3, 4, 5, 6, len(path), time.UTC)))
			return
		}
		for i := range v.NumField() {
			if field := v.Type().Field(i); field.IsExported() {
				fill(t, v.Field(i), path+"."+field.Name)
			}
		}
	default:
		t.Fatalf("%s has kind %s, which this test and webhookEncoder do not know", path, v.Kind())
	}
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
