package devicecfg

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// The flex types decode what firmware versions send in different JSON types
// (numbers as strings, flags as 0/1) without failing on an odd field.

// flexString takes a string, a number or a bool as text; anything else is "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
		return nil
	}
	switch t := bytes.TrimSpace(b); {
	case bytes.Equal(t, []byte("true")), bytes.Equal(t, []byte("false")):
		*f = flexString(t)
	case len(t) > 0 && (t[0] == '-' || t[0] >= '0' && t[0] <= '9'):
		*f = flexString(t)
	default:
		*f = ""
	}
	return nil
}

// flexInt takes a number or a numeric string; anything else is 0.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var n float64
	if json.Unmarshal(b, &n) != nil {
		var s string
		_ = json.Unmarshal(b, &s)
		n, _ = strconv.ParseFloat(strings.TrimSpace(s), 64)
	}
	if math.IsNaN(n) || math.Abs(n) > math.MaxInt32 {
		n = 0
	}
	*f = flexInt(n)
	return nil
}

// flexBool takes a bool, a number (non-zero is true) or a string such as
// "true", "1", "on" or "enable"; anything else is false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var v any
	_ = json.Unmarshal(b, &v)
	switch t := v.(type) {
	case bool:
		*f = flexBool(t)
	case float64:
		*f = t != 0
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "1", "yes", "on", "enable", "enabled":
			*f = true
		default:
			*f = false
		}
	default:
		*f = false
	}
	return nil
}

// flexStrings takes a list of strings, or one string as a list of one. A present
// key gives a non-nil slice, so that callers can tell "no urls support" (nil).
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	var list []flexString
	if json.Unmarshal(b, &list) == nil && list != nil {
		*f = make(flexStrings, 0, len(list))
		for _, s := range list {
			if s != "" {
				*f = append(*f, string(s))
			}
		}
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil && s != "" {
		*f = flexStrings{s}
	}
	return nil
}
