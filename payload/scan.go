package payload

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// maxScanDepth bounds the nesting the scanner follows. Deeper bodies take the
// encoding/json path, which allows 10,000 levels.
const maxScanDepth = 64

// scanner reads one JSON document from a byte slice. It validates everything it passes
// over and never allocates. The fast decoder gives up (ok false) on anything that
// encoding/json could read in another way: escaped keys, keys that match a field only
// case-insensitively, duplicate keys and deep nesting.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, or 0 at the end of the data (and for a
// NUL byte, which JSON allows nowhere outside strings).
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos == len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// consume skips whitespace and then c, reporting whether c was there.
func (s *scanner) consume(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.pos++
	return true
}

// readString reads a JSON string at pos. It returns the bytes between the quotes and
// plain, which is true when those bytes contain no escape and are valid UTF-8, so that they
// are the string's value as they stand.
func (s *scanner) readString() (inner []byte, plain, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	s.pos++
	start := s.pos
	plain, ascii := true, true
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			inner = s.data[start:s.pos]
			s.pos++
			if !ascii && !utf8.Valid(inner) {
				plain = false
			}
			return inner, plain, true
		case c == '\\':
			plain = false
			if !s.skipEscape() {
				return nil, false, false
			}
			continue
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.pos++
	}
	return nil, false, false
}

// skipEscape passes over the escape sequence whose backslash is at pos.
func (s *scanner) skipEscape() bool {
	if s.pos+1 >= len(s.data) {
		return false
	}
	switch s.data[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return true
	case 'u':
		if s.pos+6 > len(s.data) {
			return false
		}
		for _, h := range s.data[s.pos+2 : s.pos+6] {
			if !isHex(h) {
				return false
			}
		}
		s.pos += 6
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// readNumber reads a number with JSON's grammar and returns its text.
func (s *scanner) readNumber() ([]byte, bool) {
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		return nil, false
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return nil, false
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return nil, false
		}
	}
	return s.data[start:s.pos], true
}

func (s *scanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// literal passes over the literal word, which must be next.
func (s *scanner) literal(word string) bool {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return false
	}
	s.pos += len(word)
	return true
}

// skipValue validates and passes over any JSON value, returning its text.
func (s *scanner) skipValue(depth int) ([]byte, bool) {
	c := s.peek()
	start := s.pos
	var ok bool
	switch {
	case c == '"':
		_, _, ok = s.readString()
	case c == '{':
		ok = s.skipObject(depth + 1)
	case c == '[':
		ok = s.skipArray(depth + 1)
	case c == 't':
		ok = s.literal("true")
	case c == 'f':
		ok = s.literal("false")
	case c == 'n':
		ok = s.literal("null")
	default:
		_, ok = s.readNumber()
	}
	return s.data[start:s.pos], ok
}

func (s *scanner) skipObject(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	s.pos++ // '{'
	if s.consume('}') {
		return true
	}
	for {
		if _, _, ok := s.readString(); !ok || !s.consume(':') {
			return false
		}
		if _, ok := s.skipValue(depth); !ok {
			return false
		}
		if s.consume('}') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

func (s *scanner) skipArray(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	s.pos++ // '['
	if s.consume(']') {
		return true
	}
	for {
		if _, ok := s.skipValue(depth); !ok {
			return false
		}
		if s.consume(']') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// object calls member for each member of the object at pos, with the scanner at the
// member's value. The key is the raw text between the quotes. It fails when the value
// is not an object or member fails.
func (s *scanner) object(member func(key []byte, plain bool) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	for {
		key, plain, ok := s.readString()
		if !ok || !s.consume(':') || !member(key, plain) {
			return false
		}
		if s.consume('}') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// fieldKey matches a key against the field names of a struct that encoding/json would
// decode it into. It returns the index of the exactly matching name, or -1 for a key
// that matches none. ok is false when encoding/json could match the key to a field in
// another way: case-insensitively, through an escape, or through one of the non-ASCII
// letters that fold to ASCII ones (the Kelvin sign, the long s).
func fieldKey(key []byte, plain bool, names []string) (index int, ok bool) {
	if !plain {
		return -1, false
	}
	for i, name := range names {
		if string(key) == name {
			return i, true
		}
	}
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return -1, false
		}
	}
	for _, name := range names {
		if len(name) == len(key) && equalFoldASCII(key, name) {
			return -1, false
		}
	}
	return -1, true
}

func equalFoldASCII(b []byte, s string) bool {
	for i, c := range b {
		if lowerASCII(c) != lowerASCII(s[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parseNumber converts the text of a JSON number without building a string. With up to
// 15 significant digits and at most 22 decimals, both the digits and the power of ten
// are exact in float64, so one correctly rounded division gives the exact result.
// Other numbers, and any exponent, go to strconv.ParseFloat.
func parseNumber(text []byte) (float64, bool) {
	var mantissa uint64
	digits, exp := 0, 0
	i := 0
	neg := len(text) > 0 && text[0] == '-'
	if neg {
		i++
	}

	for ; i < len(text) && isDigit(text[i]); i++ {
		mantissa = mantissa*10 + uint64(text[i]-'0')
		if mantissa != 0 {
			digits++
		}
	}
	if i < len(text) && text[i] == '.' {
		for i++; i < len(text) && isDigit(text[i]); i++ {
			mantissa = mantissa*10 + uint64(text[i]-'0')
			if mantissa != 0 {
				digits++
			}
			exp--
		}
	}

	if i < len(text) || digits > 15 || exp < -22 {
		return parseFloatSlow(text)
	}
	f := float64(mantissa)
	if exp < 0 {
		f /= pow10[-exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func parseFloatSlow(text []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
