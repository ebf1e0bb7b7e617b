package sim

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

const (
	maxURLLen   = 191  // the adapter cuts longer URLs silently
	maxPostBody = 2048 // larger POST /api/webhook bodies are refused
	timeLayout  = "2006-01-02T15:04:05Z"
	minInterval = 10 * time.Millisecond // keeps a scaled interval from spinning
)

// hookConfig is the stored webhook configuration.
type hookConfig struct {
	url            string
	urls           []string // Pro: primary and optional failover
	manualOverride bool
	enabled        bool
	interval       time.Duration // effective, after TimeScale
	intervalSec    int           // as shown by the API
	configured     bool          // a configuration exists: POST returns 200, not 201
}

// hookStats are the counters since boot.
type hookStats struct {
	status        string
	lastPost      time.Time
	retries       int
	success, fail int
	lastErrorTime time.Time
	lastError     string
}

func freshStats() hookStats {
	return hookStats{status: "unknown"}
}

// initialHook is the configuration found at boot: the user's URL, if any.
func (a *Adapter) initialHook() hookConfig {
	h := hookConfig{
		url:            cut(a.opts.UserURL),
		manualOverride: a.opts.ManualOverride,
		enabled:        a.opts.UserURL != "",
		interval:       a.opts.Interval,
		intervalSec:    max(1, int(a.opts.Interval.Round(time.Second)/time.Second)),
		configured:     a.opts.UserURL != "",
	}
	if a.opts.Pro && h.url != "" {
		h.urls = []string{h.url}
	}
	return h
}

// webhookLocked is the state as GET /api/webhook shows it.
func (a *Adapter) webhookLocked() devicecfg.Webhook {
	w := devicecfg.Webhook{
		URL:            a.hook.url,
		ManualOverride: a.hook.manualOverride,
		Enabled:        a.hook.enabled,
		Interval:       a.hook.intervalSec,
		Status:         a.stats.status,
		LastPost:       isoTime(a.stats.lastPost),
		Retries:        a.stats.retries,
		SuccessCount:   a.stats.success,
		FailCount:      a.stats.fail,
		LastErrorTime:  isoTime(a.stats.lastErrorTime),
		LastError:      a.stats.lastError,
	}
	if a.opts.Pro {
		w.URLs = append([]string{}, a.hook.urls...)
	}
	if !a.hook.enabled {
		w.Status = "disabled"
	}
	return w
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// hookView is the JSON of GET /api/webhook; non-Pro adapters send neither urls nor
// manual_override.
type hookView struct {
	URL            string    `json:"url"`
	URLs           *[]string `json:"urls,omitempty"`
	ManualOverride *bool     `json:"manual_override,omitempty"`
	Enabled        bool      `json:"enabled"`
	LastPost       string    `json:"last_post"`
	Status         string    `json:"status"`
	Retries        int       `json:"retries"`
	Interval       int       `json:"interval"`
	SuccessCount   int       `json:"success_count"`
	FailCount      int       `json:"fail_count"`
	LastErrorTime  string    `json:"last_error_time"`
	LastError      string    `json:"last_error"`
}

func (a *Adapter) viewLocked() hookView {
	w := a.webhookLocked()
	v := hookView{
		URL: w.URL, Enabled: w.Enabled, LastPost: w.LastPost, Status: w.Status,
		Retries: w.Retries, Interval: w.Interval, SuccessCount: w.SuccessCount,
		FailCount: w.FailCount, LastErrorTime: w.LastErrorTime, LastError: w.LastError,
	}
	if a.opts.Pro {
		v.URLs, v.ManualOverride = &w.URLs, &w.ManualOverride
	}
	return v
}

// hookUpdate is a parsed POST /api/webhook body.
type hookUpdate struct {
	url      string
	urls     []string // nil when absent
	enabled  bool
	interval *int
	override *bool
}

// errIgnored marks a POST the adapter ignores in user-settings mode.
var errIgnored = errors.New("ignored in user-settings mode")

// parseUpdate checks a POST body the way the firmware does. The error text is the
// body of the adapter's 400 response.
func (a *Adapter) parseUpdate(in map[string]json.RawMessage) (hookUpdate, error) {
	var u hookUpdate
	if err := json.Unmarshal(in["url"], &u.url); err != nil || !isHTTPURL(u.url) {
		return u, errors.New("Invalid URL")
	}
	if err := a.parseURLs(in, &u); err != nil {
		return u, err
	}

	u.enabled = true
	if raw, ok := in["enabled"]; ok && json.Unmarshal(raw, &u.enabled) != nil {
		return u, errors.New("Invalid enabled")
	}
	if raw, ok := in["interval"]; ok {
		var f float64
		if json.Unmarshal(raw, &f) != nil {
			return u, errors.New("Invalid interval")
		}
		n := int(f)
		u.interval = &n
	}
	if raw, ok := in["manual_override"]; ok && a.opts.Pro {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return u, errors.New("Invalid manual_override")
		}
		u.override = &b
	}
	return u, nil
}

// parseURLs handles the urls key: Pro checks it, the non-Pro ignores it or, in one
// build, refuses it.
func (a *Adapter) parseURLs(in map[string]json.RawMessage, u *hookUpdate) error {
	raw, ok := in["urls"]
	switch {
	case !ok:
		return nil
	case !a.opts.Pro && a.opts.RejectURLs:
		return errors.New("urls not supported")
	case !a.opts.Pro:
		return nil
	}
	if json.Unmarshal(raw, &u.urls) != nil || len(u.urls) < 1 || len(u.urls) > 2 {
		return errors.New("urls must hold 1 or 2 URLs")
	}
	for _, s := range u.urls {
		if !isHTTPURL(s) {
			return errors.New("Invalid URL in urls")
		}
	}
	if u.urls[0] != u.url {
		return errors.New("url must equal urls[0]")
	}
	return nil
}

// applyLocked stores u and reports whether a configuration was created (201).
func (a *Adapter) applyLocked(u hookUpdate) (created bool) {
	h := &a.hook
	oldURL := h.url
	h.url = cut(u.url)
	if a.opts.Pro {
		// Without urls the failover is cleared: the firmware trap.
		h.urls = []string{h.url}
		if len(u.urls) == 2 {
			h.urls = append(h.urls, cut(u.urls[1]))
		}
	}
	h.enabled = u.enabled
	if u.interval != nil {
		a.setIntervalLocked(*u.interval)
	}
	if u.override != nil {
		h.manualOverride = *u.override
	}
	if h.url != oldURL {
		a.stats.status, a.stats.retries = "unknown", 0
	}

	created = !h.configured
	h.configured = true
	return created
}

// setIntervalLocked stores an interval in seconds; <= 0 means 60.
func (a *Adapter) setIntervalLocked(sec int) {
	if sec <= 0 {
		sec = 60
	}
	a.hook.intervalSec = sec
	d := time.Duration(float64(sec) * float64(time.Second) / a.opts.TimeScale)
	a.hook.interval = max(d, minInterval)
}

// clearLocked clears the configuration, as DELETE /api/webhook and a factory reset
// do: no URL, disabled, the default interval, and a new POST returns 201.
func (a *Adapter) clearLocked() {
	a.hook = hookConfig{}
	a.setIntervalLocked(60)
	a.stats = freshStats()
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// cut keeps the first 191 bytes, as the adapter's fixed buffer does.
func cut(s string) string {
	if len(s) > maxURLLen {
		return s[:maxURLLen]
	}
	return s
}
