package ha

import (
	"regexp"
	"strings"
	"testing"
)

func TestObjectID(t *testing.T) {
	tests := []struct {
		in     string
		want   string // exact, or a prefix when hashed is true
		hashed bool
	}{
		{"SOC", "SOC", false},
		{"0C-EngineRPM", "0C-EngineRPM", false},
		{"a1b2c3d4e5f6", "a1b2c3d4e5f6", false},
		{"Custom fuel rate", "Custom_fuel_rate_", true},
		{"temp/+/#", "temp_", true},
		{"Öltemperatur", "ltemperatur_", true},
		{"", "x_", true},
		{"\x00\x01", "x_", true},
	}
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ObjectID(tt.in)
			if !valid.MatchString(got) {
				t.Fatalf("ObjectID(%q) = %q, not a valid id", tt.in, got)
			}
			if !tt.hashed && got != tt.want {
				t.Errorf("ObjectID(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.hashed && !strings.HasPrefix(got, tt.want) {
				t.Errorf("ObjectID(%q) = %q, want prefix %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestObjectIDKeepsLossyNamesApart(t *testing.T) {
	names := []string{"fuel rate", "fuel_rate", "fuel/rate", "fuel+rate", "fuel#rate", "fuel rate "}
	seen := map[string]string{}
	for _, n := range names {
		id := ObjectID(n)
		if other, ok := seen[id]; ok {
			t.Errorf("%q and %q both map to %q", n, other, id)
		}
		seen[id] = n
	}
}

func TestEntitySlug(t *testing.T) {
	tests := map[string]string{
		"WiCAN a1b2c3": "wican_a1b2c3", "0C-EngineRPM": "0c_enginerpm", "Golf GTE": "golf_gte",
		"Öl": "l", "": "unnamed", "__x__": "x",
	}
	for in, want := range tests {
		if got := EntitySlug(in); got != want {
			t.Errorf("EntitySlug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestObjectIDSeparatesFormerCollision(t *testing.T) {
	// These two shared a 32-bit FNV-1a suffix and the base "fuel_rate".
	a, b := ObjectID("fuel+?* ! rate"), ObjectID("fuel?+#)./rate")
	if a == b {
		t.Errorf("both names map to %q", a)
	}
}
