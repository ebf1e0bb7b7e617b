package ha

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// ObjectID turns a device id or parameter name into an id that matches Home Assistant's
// rule for discovery ids, ^[a-zA-Z0-9_-]+$. A name that already matches is kept as it is.
// Any other name gets its disallowed runs replaced by "_" and a 48-bit hash of the
// original appended, so two names that differ only in replaced characters get distinct
// ids unless their hashes collide, which is unlikely at a few thousand names.
func ObjectID(name string) string {
	if name != "" && isObjectID(name) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name) + 13)
	underscore := false
	for _, r := range name {
		if isIDRune(r) {
			b.WriteRune(r)
			underscore = false
			continue
		}
		if !underscore && b.Len() > 0 {
			b.WriteByte('_')
			underscore = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	base := strings.Trim(b.String(), "_")
	if len(base) > 48 {
		base = base[:48]
	}
	if base == "" {
		base = "x"
	}
	return base + "_" + hash12(name)
}

// EntitySlug turns a string into the lower-case [a-z0-9_] form that Home Assistant uses
// for the object part of an entity id.
func EntitySlug(s string) string {
	var b strings.Builder
	underscore := true
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			underscore = false
			continue
		}
		if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	slug := strings.TrimRight(b.String(), "_")
	if slug == "" {
		return "unnamed"
	}
	return slug
}

func isObjectID(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDRune(rune(s[i])) {
			return false
		}
	}
	return true
}

func isIDRune(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
		r == '_' || r == '-'
}

// hash12 returns 48 bits of the FNV-1a hash of s as 12 hex digits.
func hash12(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64()>>16|1<<48, 16)[1:]
}

// DisplayName makes a parameter name safe to show as an entity name: control characters
// and NUL are dropped and the length is capped, and anything else is kept for the user to read.
func DisplayName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			continue
		}
		b.WriteRune(r)
		if b.Len() >= 100 {
			break
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return "Unnamed"
	}
	return strings.TrimSpace(b.String())
}
