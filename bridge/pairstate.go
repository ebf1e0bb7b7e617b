package bridge

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

// Pairing states shown for each adapter.
const (
	stateManaged      = "managed"          // our URL in place, posts arriving
	stateUserSettings = "user_settings"    // the adapter keeps the user's own webhook settings
	stateWaiting      = "waiting_approval" // its URL points elsewhere, or pairing is manual
	stateNotPosting   = "not_posting"      // paired, but no post within the offline limit
	stateUnreachable  = "unreachable"      // its API does not respond
	stateManual       = "manual"           // posts arrive on a webhook made by hand
)

// pairInfo is the bridge's record of an adapter's own webhook configuration. It is
// guarded by the adapter's mutex.
type pairInfo struct {
	state    string
	reason   string
	pushedAt time.Time
	checking bool
	device   *devicecfg.Webhook // the adapter's response to the last check
	// failures counts checks in a row that found the API unreachable; periodic checks
	// back off until retryAt.
	failures int
	retryAt  time.Time
	checks   int // checks that reached the adapter since the bridge started
}

// action is what a check decides to do with an adapter.
type action int

const (
	actNone action = iota
	actPush
)

// target is the webhook configuration the bridge wants on an adapter.
type target struct {
	id       string
	url      string
	failover string
	interval int
	mode     string // "auto" or "manual"
}

// isOurs reports whether a URL posts to this webhook. The id is secret, so a URL that
// ends in it was set by this bridge or copied from it, even under an older public URL.
func isOurs(u, id string) bool {
	return id != "" && strings.HasSuffix(strings.TrimRight(u, "/"), "/api/webhook/"+id)
}

// decide chooses what to do with an adapter whose webhook configuration is wh. It may
// update the record's Managed, Approved and Takebacks fields. Call with the adapter's
// mutex held.
func decide(a *adapter, wh devicecfg.Webhook, t target) (action, string, string) {
	h := a.hook
	ours := isOurs(wh.URL, t.id)
	switch {
	case wh.ManualOverride && ours:
		return actNone, stateUserSettings, "WebHook is set to Enable User Settings and posts " +
			"to this bridge; the bridge leaves the adapter's settings alone"
	case wh.ManualOverride:
		return actNone, stateUserSettings, "WebHook is set to Enable User Settings with its own " +
			"URL, which the bridge does not override; to send data here, type this bridge's " +
			"webhook URL into the adapter"
	case ours:
		if drift := driftOf(wh, t); drift != "" {
			return actPush, stateManaged, "re-pushing the configuration: " + drift
		}
		h.Managed = true
		return actNone, stateManaged, ""
	case wh.URL == "" && h.Managed:
		return actPush, stateManaged, "the adapter lost its webhook configuration " +
			"(factory reset?); pushing it again"
	case wh.URL == "" && (t.mode == "auto" || h.Approved):
		return actPush, stateManaged, "pairing"
	case wh.URL == "":
		return actNone, stateWaiting, "pairing is manual: approve to push this bridge's " +
			"webhook configuration"
	}
	return decideForeign(a, wh)
}

// decideForeign handles an adapter whose URL points to another receiver.
func decideForeign(a *adapter, wh devicecfg.Webhook) (action, string, string) {
	h := a.hook
	other := urlHost(wh.URL)
	if h.Managed {
		h.Managed, h.Approved = false, false
		h.Takebacks++
	}
	if h.Approved {
		return actPush, stateManaged, "taking over from " + other + " as approved"
	}
	if h.Takebacks > 0 {
		return actNone, stateWaiting, fmt.Sprintf("another receiver (%s) replaced this bridge's "+
			"URL (%d times); the bridge does not fight over the adapter: approve to take it back",
			other, h.Takebacks)
	}
	return actNone, stateWaiting, "its webhook posts to another receiver (" + other + "), such " +
		"as Home Assistant's own WiCAN integration: approve to pair it with this bridge instead"
}

// driftOf names what differs between the adapter's configuration and the target.
func driftOf(wh devicecfg.Webhook, t target) string {
	var drift []string
	if wh.URL != t.url {
		drift = append(drift, "URL")
	}
	if wh.URLs != nil && wh.Failover() != t.failover {
		drift = append(drift, "failover URL")
	}
	if wh.Interval != t.interval {
		drift = append(drift, fmt.Sprintf("interval %d s instead of %d s", wh.Interval, t.interval))
	}
	if !wh.Enabled {
		drift = append(drift, "disabled")
	}
	return strings.Join(drift, ", ")
}

// urlHost returns the scheme and host of a URL, never its path: another receiver's URL
// may hold its own secret webhook id.
func urlHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "an unreadable URL"
	}
	return u.Scheme + "://" + u.Host
}

// pairState returns the state and reason shown for the adapter. Call with mu held.
func (a *adapter) pairState(now time.Time, minOffline time.Duration) (string, string) {
	p := a.pair
	if p == nil {
		return stateManual, "posts arrive on a webhook created by hand; the bridge does not " +
			"manage the adapter's settings"
	}
	if p.state != stateManaged {
		return p.state, p.reason
	}
	limit := a.offlineAfter(minOffline)
	last := a.hook.LastPost
	switch {
	case !p.pushedAt.IsZero() && last.Before(p.pushedAt) && now.Sub(p.pushedAt) > limit:
		return stateNotPosting, fmt.Sprintf("no post within %s of pairing: the adapter posts "+
			"only when its protocol is AutoPID and its WebHook setting is not Disable, which "+
			"it reads at boot", limit)
	case !last.IsZero() && now.Sub(last) > limit:
		return stateNotPosting, fmt.Sprintf("no post for %s: the adapter may be off, out of "+
			"Wi-Fi range, or no longer in AutoPID mode", now.Sub(last).Round(time.Second))
	case last.IsZero() || last.Before(p.pushedAt):
		return stateManaged, "configuration pushed; waiting for the first post"
	}
	return stateManaged, fmt.Sprintf("posting every %d s", a.interval())
}

// interval returns the posting interval in seconds the bridge expects of the adapter.
func (a *adapter) interval() int {
	if a.hook.Interval > 0 {
		return a.hook.Interval
	}
	return int(a.observed / time.Second)
}
