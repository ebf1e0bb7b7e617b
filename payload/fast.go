package payload

import "bytes"

// Top-level keys of both shapes. A key's index is its bit in decodeFast's seen.
var topKeys = []string{"config", "status", "autopid_data", "device_id", "battery", "uptime", "data"}

// Keys of the status section that the bridge reads, in the order of the fields that
// scanner.status fills.
var statusKeys = []string{"device_id", "fw_version", "hw_version", "batt_voltage", "uptime",
	"uptime_sec", "ecu_status", "mdns", "protocol"}

var metaKeys = []string{"class", "unit"}

// decodeFast decodes a usual body in one pass with the scanner, without encoding/json.
// It reports false for invalid JSON and for anything that encoding/json could read in
// another way (see scanner), and Decode then takes the encoding/json paths. Where it
// reports true, the post equals what decodeLenient returns, except that Params keep the
// body's order.
func decodeFast(body []byte) (*Post, bool) {
	s := scanner{data: body}
	p := &Post{}
	var (
		seen       uint16
		documented []Param // the documented shape's data section
		deviceID   []byte
		battery    []byte
		uptime     []byte
		st         status
		hasStatus  bool
	)
	ok := s.object(func(key []byte, plain bool) bool {
		i, ok := field(key, plain, topKeys, &seen)
		switch {
		case !ok:
			return false
		case i < 0:
			_, ok = s.skipValue(0)
			return ok
		case i == 3:
			deviceID, ok = s.skipValue(0)
			return ok
		case i == 4:
			battery, ok = s.skipValue(0)
			return ok
		case i == 5:
			uptime, ok = s.skipValue(0)
			return ok
		case s.peek() == 'n':
			// null leaves a section out.
			return s.literal("null")
		}
		switch i {
		case 0:
			p.Meta, ok = s.cachedMeta()
		case 1:
			hasStatus = true
			ok = s.status(&st)
		case 2:
			p.Params, ok = s.params(p.Params, &p.Skipped)
		case 6:
			documented, ok = s.params(nil, &p.Skipped)
		}
		return ok
	})
	if s.skipSpace(); !ok || s.pos != len(s.data) {
		return nil, false
	}

	// decodeLenient reads data before autopid_data, so that a name in both ends up with
	// the autopid_data value.
	if len(documented) > 0 {
		p.Params = append(documented, p.Params...)
	}
	p.decodeHeader(deviceID, battery, uptime)
	if hasStatus {
		p.decodeStatus(&st)
	}
	return p, true
}

// field is fieldKey for the keys of one object, whose indexes seen records. A field that
// appears twice makes it report false, because encoding/json keeps the last value.
func field(key []byte, plain bool, names []string, seen *uint16) (index int, ok bool) {
	i, ok := fieldKey(key, plain, names)
	if !ok || i < 0 {
		return i, ok
	}
	if *seen&(1<<i) != 0 {
		return -1, false
	}
	*seen |= 1 << i
	return i, true
}

// keySet contains the keys of one object, to find a key that appears twice. It compares
// keys in an array of its own while the object is small, so that a usual post allocates
// nothing for it, and indexes them in a map beyond that.
type keySet struct {
	keys  [keySetListMax][]byte
	n     int
	index map[string]struct{}
}

const keySetListMax = 48

// add reports false when the key is already in the set.
func (k *keySet) add(key []byte) bool {
	if k.index != nil {
		if _, ok := k.index[string(key)]; ok {
			return false
		}
		k.index[string(key)] = struct{}{}
		return true
	}
	for _, prev := range k.keys[:k.n] {
		if bytes.Equal(prev, key) {
			return false
		}
	}
	if k.n < keySetListMax {
		k.keys[k.n] = key
		k.n++
		return true
	}
	k.index = make(map[string]struct{}, 2*keySetListMax)
	for _, prev := range k.keys {
		k.index[string(prev)] = struct{}{}
	}
	k.index[string(key)] = struct{}{}
	return true
}

// params reads a section of parameter values and appends them to dst. A name that
// appears twice makes it fail, because encoding/json keeps the last value.
func (s *scanner) params(dst []Param, skipped *int) ([]Param, bool) {
	if dst == nil {
		dst = make([]Param, 0, 32)
	}
	var names keySet
	ok := s.object(func(key []byte, plain bool) bool {
		if !plain || !names.add(key) {
			return false
		}
		v, valid, ok := s.value()
		if !ok {
			return false
		}
		if !valid || len(key) == 0 {
			*skipped++
			return true
		}
		dst = append(dst, Param{Name: string(key), Value: v})
		return true
	})
	return dst, ok
}

// value reads one parameter value. valid is false for a value that is not a parameter
// value: null, an object, an array or a number out of float64's range.
func (s *scanner) value() (v Value, valid, ok bool) {
	switch s.peek() {
	case '"':
		inner, plain, ok := s.readString()
		if !ok || !plain {
			return Value{}, false, false
		}
		return stringValue(string(inner)), true, true
	case 't':
		return Value{Kind: Binary, Num: 1, Text: "on"}, true, s.literal("true")
	case 'f':
		return Value{Kind: Binary, Num: 0, Text: "off"}, true, s.literal("false")
	case 'n', '{', '[':
		_, ok := s.skipValue(0)
		return Value{}, false, ok
	}
	text, ok := s.readNumber()
	if !ok {
		return Value{}, false, false
	}
	f, valid := parseNumber(text)
	return Value{Kind: Number, Num: f}, valid, true
}

// meta reads the config section: metadata objects of a Pro, or the scalar Automate
// settings of other adapters, which are skipped.
func (s *scanner) meta() (map[string]Meta, bool) {
	var meta map[string]Meta
	var names keySet
	ok := s.object(func(key []byte, plain bool) bool {
		if !plain || !names.add(key) {
			return false
		}
		if s.peek() != '{' {
			_, ok := s.skipValue(0)
			return ok
		}
		m, valid, ok := s.metaObject()
		if !ok {
			return false
		}
		if valid {
			if meta == nil {
				meta = make(map[string]Meta, 32)
			}
			meta[string(key)] = m
		}
		return true
	})
	return meta, ok
}

// metaObject reads one parameter's metadata. valid is false when class or unit is not
// a string, as encoding/json then fails to decode the object.
func (s *scanner) metaObject() (m Meta, valid, ok bool) {
	valid = true
	var seen uint16
	ok = s.object(func(key []byte, plain bool) bool {
		i, ok := field(key, plain, metaKeys, &seen)
		if !ok {
			return false
		}
		if i < 0 {
			_, ok = s.skipValue(0)
			return ok
		}
		switch s.peek() {
		case '"':
			inner, plain, ok := s.readString()
			if !ok || !plain {
				return false
			}
			if i == 0 {
				m.Class = string(inner)
			} else {
				m.Unit = string(inner)
			}
			return true
		case 'n':
			return s.literal("null")
		}
		valid = false
		_, ok = s.skipValue(0)
		return ok
	})
	return m, valid, ok
}

// status reads the status section, keeping the raw text of the keys the bridge uses.
func (s *scanner) status(st *status) bool {
	fields := [...]*[]byte{
		(*[]byte)(&st.DeviceID), (*[]byte)(&st.FWVersion), (*[]byte)(&st.HWVersion),
		(*[]byte)(&st.BattVoltage), (*[]byte)(&st.Uptime), (*[]byte)(&st.UptimeSec),
		(*[]byte)(&st.ECUStatus), (*[]byte)(&st.MDNS), (*[]byte)(&st.Protocol),
	}
	var seen uint16
	return s.object(func(key []byte, plain bool) bool {
		i, ok := field(key, plain, statusKeys, &seen)
		if !ok {
			return false
		}
		raw, ok := s.skipValue(0)
		if i >= 0 {
			*fields[i] = raw
		}
		return ok
	})
}
