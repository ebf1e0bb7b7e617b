package store

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wican-bridge/wican-bridge/payload"
)

// webhookEncoder writes webhooks as json.Marshal does, byte for byte, but without
// reflection and with one buffer for a whole save.
type webhookEncoder struct {
	buf  []byte
	keys []string
	err  error
}

// encode returns h in JSON. The result is valid until the next call.
func (e *webhookEncoder) encode(h *Webhook) ([]byte, error) {
	if h == nil {
		return nil, errors.New("invalid webhook: nil pointer")
	}
	e.buf, e.err = e.buf[:0], nil
	o := object{e: e}
	o.begin()

	o.string("id", h.ID, false)
	o.string("name", h.Name, true)
	o.time("created", h.Created)
	o.string("device_id", h.DeviceID, true)
	o.bool("bound", h.Bound)
	o.string("hardware", h.Hardware, true)
	o.string("firmware", h.Firmware, true)
	o.string("host", h.Host, true)
	o.bool("managed", h.Managed)
	o.string("mdns_host", h.MDNSHost, true)
	o.string("source", h.Source, true)
	o.bool("approved", h.Approved)
	o.int("takebacks", h.Takebacks)
	o.int("interval", h.Interval)

	if len(h.Meta) > 0 {
		o.key("meta")
		writeMap(e, h.Meta, e.meta)
	}
	if len(h.Values) > 0 {
		o.key("values")
		writeMap(e, h.Values, e.value)
	}
	if len(h.Removed) > 0 {
		o.key("removed")
		e.strings(h.Removed)
	}

	if !h.LastPost.IsZero() {
		o.time("last_post", h.LastPost)
	}
	o.string("ecu", h.ECU, true)
	if h.Battery12V != nil {
		o.key("battery_12v")
		e.float(*h.Battery12V)
	}
	o.string("remote_ip", h.RemoteIP, true)
	o.end()

	return e.buf, e.err
}

// writeMap writes m as a JSON object with its keys in order, and each value with member.
func writeMap[V any](e *webhookEncoder, m map[string]V, member func(V)) {
	e.buf = append(e.buf, '{')
	for i, name := range e.sortedKeys(maps.Keys(m)) {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, name)
		e.buf = append(e.buf, ':')
		member(m[name])
	}
	e.buf = append(e.buf, '}')
}

func (e *webhookEncoder) meta(m payload.Meta) {
	o := object{e: e}
	o.begin()
	o.string("class", m.Class, false)
	o.string("unit", m.Unit, false)
	o.end()
}

func (e *webhookEncoder) value(v Value) {
	o := object{e: e}
	o.begin()
	if v.Num != 0 {
		o.key("n")
		e.float(v.Num)
	}
	o.string("t", v.Text, true)
	o.int("k", int(v.Kind))
	o.end()
}

func (e *webhookEncoder) strings(list []string) {
	e.buf = append(e.buf, '[')
	for i, s := range list {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, s)
	}
	e.buf = append(e.buf, ']')
}

// sortedKeys returns the keys in the order json.Marshal writes them, in a slice that the
// next call reuses.
func (e *webhookEncoder) sortedKeys(keys iter.Seq[string]) []string {
	e.keys = slices.AppendSeq(e.keys[:0], keys)
	slices.Sort(e.keys)
	return e.keys
}

// float writes number as json.Marshal writes a float64: the shortest decimal that reads
// back as the same number, with an exponent only below 1e-6 and from 1e21 up.
func (e *webhookEncoder) float(number float64) {
	if math.IsNaN(number) || math.IsInf(number, 0) {
		e.fail(fmt.Errorf("invalid number %v: JSON has no NaN or infinity", number))
		return
	}
	format := byte('f')
	if abs := math.Abs(number); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	e.buf = strconv.AppendFloat(e.buf, number, format, -1, 64)
	if format == 'e' {
		// json.Marshal writes "1e-7" where strconv writes "1e-07".
		n := len(e.buf)
		if n >= 4 && e.buf[n-4] == 'e' && e.buf[n-3] == '-' && e.buf[n-2] == '0' {
			e.buf[n-2] = e.buf[n-1]
			e.buf = e.buf[:n-1]
		}
	}
}

func (e *webhookEncoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// object writes the members of one JSON object, with the commas between them.
type object struct {
	e    *webhookEncoder
	more bool
}

func (o *object) begin() { o.e.buf = append(o.e.buf, '{') }
func (o *object) end()   { o.e.buf = append(o.e.buf, '}') }

// key writes a member's name and colon. Names are the package's own ASCII field names, so
// they need no escaping.
func (o *object) key(name string) {
	if o.more {
		o.e.buf = append(o.e.buf, ',')
	}
	o.more = true
	o.e.buf = append(o.e.buf, '"')
	o.e.buf = append(o.e.buf, name...)
	o.e.buf = append(o.e.buf, '"', ':')
}

func (o *object) string(name, value string, omitEmpty bool) {
	if omitEmpty && value == "" {
		return
	}
	o.key(name)
	o.e.buf = appendString(o.e.buf, value)
}

// bool writes a member tagged omitempty, so it writes only a true value.
func (o *object) bool(name string, value bool) {
	if value {
		o.key(name)
		o.e.buf = append(o.e.buf, "true"...)
	}
}

// int writes a member tagged omitempty, so it writes only a value other than 0.
func (o *object) int(name string, value int) {
	if value != 0 {
		o.key(name)
		o.e.buf = strconv.AppendInt(o.e.buf, int64(value), 10)
	}
}

// time writes value in RFC 3339 with nanoseconds, as time.Time's MarshalJSON does, and
// fails for the same times (years outside 0 to 9999).
func (o *object) time(name string, value time.Time) {
	o.key(name)
	o.e.buf = append(o.e.buf, '"')
	buf, err := value.AppendText(o.e.buf)
	if err != nil {
		o.e.fail(fmt.Errorf("invalid time %v: %w", value, err))
		return
	}
	o.e.buf = append(buf, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends text as a JSON string, escaped as json.Marshal escapes it, with
// <, > and &, U+2028 and U+2029, and each invalid UTF-8 byte as U+FFFD among the escapes.
func appendString(dst []byte, text string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, text[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, text[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, text[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, text[start:]...)
	return append(dst, '"')
}
