package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/payload"
)

// raceWindow bounds how close a post and a read of the same adapter must be for the
// ledger's order of the two to be uncertain. The proxies record a read before the bridge
// merges it, and a post after, so the bridge may have merged them in the other order.
const raceWindow = time.Second

// mismatch is one parameter whose retained state on MQTT is not the expected value.
type mismatch struct {
	Device, Param, Topic string
	Want                 any    // the expected value
	Got                  string // the retained state, empty when Missing
	Missing              bool   // no retained state on the topic
}

func (m mismatch) String() string {
	got := fmt.Sprintf("%q", m.Got)
	if m.Missing {
		got = "no retained state"
	}
	return fmt.Sprintf("%s %s: want %v, MQTT has %s (%s)", m.Device, m.Param, m.Want, got, m.Topic)
}

// checkResult compares the retained states with what the bridge received and with what
// the adapters posted.
type checkResult struct {
	Checked int // parameters the bridge received, compared with MQTT
	// Lost are values the bridge received last whose retained state differs or is missing.
	Lost []mismatch
	// NeverReceived are parameters that an adapter has, by its final GET /autopid_data, but
	// that reached the bridge neither in an accepted post nor in a read.
	NeverReceived []mismatch
	// Races are parameters whose state is the value received just before the last one,
	// within raceWindow of it and from the other source, so the order is uncertain.
	Races int
	// StaleAfterRead are states that contain a value from the bridge's GET /autopid_data
	// although the adapter posted after that read without the parameter. In changed mode
	// that means the value was back at what the adapter last posted, so the adapter will
	// not send it again until it changes.
	StaleAfterRead []mismatch
	// FailedPosts are states that differ from the adapter's last posted value because that
	// post was not accepted. In changed mode the adapter does not send the value again
	// until it changes, as the firmware does.
	FailedPosts []mismatch
}

// Failed reports whether a value on MQTT is wrong for a reason the bridge controls.
func (c checkResult) Failed() bool {
	return len(c.Lost)+len(c.NeverReceived)+len(c.StaleAfterRead) > 0
}

// check compares every adapter's parameters with the retained states. final holds the
// adapters' own values, read just before they stopped, and supplies the parameter names.
func check(adapters []simAdapter, l *ledger, final map[string]map[string]any,
	retained map[string]string) checkResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	var res checkResult
	for _, a := range adapters {
		d := l.devices[a.DeviceID]
		if d == nil {
			d = &deviceLedger{}
		}
		for _, name := range paramNames(d, final[a.DeviceID]) {
			res.add(a.DeviceID, name, d, retained)
		}
	}
	return res
}

// paramNames returns the names the bridge received or the adapter has, sorted.
func paramNames(d *deviceLedger, final map[string]any) []string {
	seen := map[string]bool{}
	for name := range d.received {
		seen[name] = true
	}
	for name := range final {
		seen[name] = true
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (res *checkResult) add(device, name string, d *deviceLedger, retained map[string]string) {
	topic := baseTopic + "/wican_" + ha.ObjectID(device) + "/" + ha.ParamKey(name)
	got, ok := retained[topic]
	m := mismatch{Device: device, Param: name, Topic: topic, Got: got, Missing: !ok}
	last, received := d.received[name]
	if !received {
		res.NeverReceived = append(res.NeverReceived, m)
		return
	}
	res.Checked++
	m.Want = last.value
	if !ok || !sameValue(last.value, got) {
		prev, hasPrev := d.previous[name]
		if ok && hasPrev && prev.source != last.source && last.at.Sub(prev.at) < raceWindow &&
			sameValue(prev.value, got) {
			res.Races++
			return
		}
		res.Lost = append(res.Lost, m)
		return
	}

	posted, ok := d.posted[name]
	if !ok || sameValue(posted.value, got) {
		return
	}
	m.Want = posted.value
	switch {
	case posted.at.After(last.at):
		// The adapter posted the parameter after the value that the bridge has, and the
		// bridge did not accept that post.
		res.FailedPosts = append(res.FailedPosts, m)
	case last.source == sourceRead && d.lastAccepted.After(last.at.Add(raceWindow)):
		res.StaleAfterRead = append(res.StaleAfterRead, m)
	}
}

// sameValue reports whether a value from a post or read and a state on MQTT are the
// same: numbers as numbers, "on", "off" and booleans as ON and OFF (1 and 0), and other
// text as text.
func sameValue(want any, got string) bool {
	w, okW := payload.ValueOf(want)
	g, okG := payload.ValueOf(got)
	if !okW || !okG {
		return false
	}
	if w.Kind == payload.Text || g.Kind == payload.Text {
		return w.Kind == g.Kind && w.Text == g.Text
	}
	return w.Num == g.Num
}
