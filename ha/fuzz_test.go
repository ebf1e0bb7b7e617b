package ha

import (
	"regexp"
	"strings"
	"testing"
)

func FuzzObjectID(f *testing.F) {
	pairs := [][2]string{
		{"SOC", "0C-EngineRPM"},
		{"fuel rate", "fuel_rate"},
		{"fuel rate", "fuel/rate"},
		{"fuel+rate", "fuel#rate"},
		{"Custom fuel rate", "Custom fuel rate "},
		{"", "\x00"},
		{"Öltemperatur", "Ültemperatur"},
		{"temp/+/#", "temp/#/+"},
		{"a", "a_"},
		{"x", "!"},
		{"\xff", "\xfe"},
		{strings.Repeat("a", 60) + " 1", strings.Repeat("a", 60) + " 2"},
		{strings.Repeat("é", 40), strings.Repeat("ü", 40)},
		{"a1b2c3d4e5f6", "WiCAN_Pro_A1B2"},
	}
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}

	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	f.Fuzz(func(t *testing.T, a, b string) {
		idA := ObjectID(a)
		idB := ObjectID(b)

		for _, c := range []struct{ in, id string }{{a, idA}, {b, idB}} {
			if !valid.MatchString(c.id) {
				t.Errorf("ObjectID(%q) = %q, does not match ^[a-zA-Z0-9_-]+$", c.in, c.id)
			}
			if again := ObjectID(c.in); again != c.id {
				t.Errorf("ObjectID(%q) = %q, then %q: want the same id each time", c.in, c.id, again)
			}
			if unchanged := c.id == c.in; unchanged != valid.MatchString(c.in) {
				t.Errorf("ObjectID(%q) = %q: unchanged = %v, want %v", c.in, c.id, unchanged, !unchanged)
			}
			if again := ObjectID(c.id); again != c.id {
				t.Errorf("ObjectID(%q) = %q, want the valid id itself", c.id, again)
			}
		}

		// NOTE: this holds only up to collisions of the 48-bit FNV-1a suffix, which a fuzzer
		// is very unlikely to reach.
		if a != b && !valid.MatchString(a) && !valid.MatchString(b) && idA == idB {
			t.Errorf("ObjectID(%q) and ObjectID(%q) are both %q, want distinct ids", a, b, idA)
		}
	})
}
