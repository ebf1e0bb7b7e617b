package devicecfg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

const (
	// MaxURLLen is the longest webhook URL the adapter stores; it cuts longer ones.
	MaxURLLen = 191
	// maxPostBody is the largest POST /api/webhook body the adapter accepts.
	maxPostBody = 2048
	// MinInterval and MaxInterval bound the posting interval in seconds.
	MinInterval, MaxInterval = 1, 3600
)

// Webhook is the adapter's webhook configuration and statistics, as returned by
// GET /api/webhook and POST /api/webhook.
type Webhook struct {
	// URL is the primary URL, urls[0].
	URL string `json:"url"`
	// URLs is the primary and the optional failover URL; nil when the adapter does not
	// support urls (non-Pro).
	URLs []string `json:"urls,omitempty"`
	// ManualOverride is true in user-settings mode: POSTs without a manual_override
	// key are then ignored by the adapter.
	ManualOverride bool `json:"manual_override"`
	// Enabled reports whether posting is switched on.
	Enabled bool `json:"enabled"`
	// Interval is the posting interval in seconds.
	Interval int `json:"interval"`
	// Status is "ok", "failed", "disabled", "unknown" or "waiting_wifi".
	Status string `json:"status"`
	// LastPost is the time of the last successful post, UTC ISO-8601, or "".
	LastPost string `json:"last_post"`
	// Retries counts consecutive failed posts.
	Retries int `json:"retries"`
	// SuccessCount counts successful posts since boot.
	SuccessCount int `json:"success_count"`
	// FailCount counts failed posts since boot.
	FailCount int `json:"fail_count"`
	// LastErrorTime is the time of the last failure, or "".
	LastErrorTime string `json:"last_error_time"`
	// LastError is the last failure, e.g. "HTTP 404", or "".
	LastError string `json:"last_error"`
}

// wireWebhook is the tolerant decoding of a Webhook.
type wireWebhook struct {
	URL            flexString  `json:"url"`
	URLs           flexStrings `json:"urls"`
	ManualOverride flexBool    `json:"manual_override"`
	Enabled        flexBool    `json:"enabled"`
	Interval       flexInt     `json:"interval"`
	Status         flexString  `json:"status"`
	LastPost       flexString  `json:"last_post"`
	Retries        flexInt     `json:"retries"`
	SuccessCount   flexInt     `json:"success_count"`
	FailCount      flexInt     `json:"fail_count"`
	LastErrorTime  flexString  `json:"last_error_time"`
	LastError      flexString  `json:"last_error"`
}

// UnmarshalJSON decodes the adapter's response, accepting numbers and flags sent as
// strings and ignoring unknown keys.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	var v wireWebhook
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = Webhook{
		URL: string(v.URL), URLs: v.URLs, ManualOverride: bool(v.ManualOverride),
		Enabled: bool(v.Enabled), Interval: int(v.Interval), Status: string(v.Status),
		LastPost: string(v.LastPost), Retries: int(v.Retries),
		SuccessCount: int(v.SuccessCount), FailCount: int(v.FailCount),
		LastErrorTime: string(v.LastErrorTime), LastError: string(v.LastError),
	}
	return nil
}

// Failover returns the failover URL, urls[1], or "".
func (w Webhook) Failover() string {
	if len(w.URLs) < 2 {
		return ""
	}
	return w.URLs[1]
}

// Matches reports whether the adapter holds the settings of u. The failover is not
// compared on adapters without urls support, which cannot store one.
func (w Webhook) Matches(u WebhookUpdate) bool {
	if w.URL != u.URL || w.Enabled != u.Enabled || w.Interval != u.Interval {
		return false
	}
	return w.URLs == nil || w.Failover() == u.Failover
}

// WebhookUpdate is the webhook configuration that SetWebhook pushes to an adapter.
type WebhookUpdate struct {
	// URL is the primary URL, http:// or https://, at most 191 characters.
	URL string
	// Failover is the optional second URL, tried when the primary fails (Pro only).
	Failover string
	// Interval is the posting interval in seconds, 1 to 3600.
	Interval int
	// Enabled switches posting on or off.
	Enabled bool
}

// webhookBody is the POST /api/webhook body. It never carries manual_override:
// sending false would override the user's own settings.
type webhookBody struct {
	URL      string   `json:"url"`
	URLs     []string `json:"urls,omitempty"`
	Enabled  bool     `json:"enabled"`
	Interval int      `json:"interval"`
}

// GetWebhook reads the webhook configuration and statistics of the adapter at host.
func (c *Client) GetWebhook(ctx context.Context, host string) (Webhook, error) {
	w, err := c.getWebhook(ctx, host)
	if err != nil {
		return Webhook{}, fmt.Errorf("get webhook from %s: %w", host, err)
	}
	return w, nil
}

func (c *Client) getWebhook(ctx context.Context, host string) (Webhook, error) {
	var w Webhook
	err := c.getJSON(ctx, host, "get webhook", "/api/webhook", &w)
	return w, err
}

// SetWebhook pushes u to the adapter at host and returns the configuration in the
// adapter's response. In user-settings mode the adapter ignores the push and
// returns 200 with its own settings, so compare them with Webhook.Matches.
func (c *Client) SetWebhook(ctx context.Context, host string, u WebhookUpdate) (Webhook, error) {
	w, err := c.setWebhook(ctx, host, u)
	if err != nil {
		return Webhook{}, fmt.Errorf("set webhook on %s: %w", host, err)
	}
	c.log.Info("webhook pushed", "host", host, "url", RedactURL(u.URL),
		"interval", u.Interval, "enabled", u.Enabled, "taken", w.Matches(u))
	return w, nil
}

func (c *Client) setWebhook(ctx context.Context, host string, u WebhookUpdate) (Webhook, error) {
	if err := u.validate(); err != nil {
		return Webhook{}, err
	}
	if err := c.checkHTTPS(ctx, host, u); err != nil {
		return Webhook{}, err
	}

	body := webhookBody{URL: u.URL, URLs: []string{u.URL}, Enabled: u.Enabled,
		Interval: u.Interval}
	if u.Failover != "" {
		body.URLs = append(body.URLs, u.Failover)
	}
	w, err := c.postWebhook(ctx, host, body)
	if !urlsUnsupported(err) {
		return w, err
	}

	// One non-Pro build refuses the urls key; it cannot store a failover either.
	c.log.Info("adapter does not take urls, resending without", "host", host,
		"failover_dropped", u.Failover != "")
	body.URLs = nil
	return c.postWebhook(ctx, host, body)
}

func (c *Client) postWebhook(ctx context.Context, host string, body webhookBody) (Webhook, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return Webhook{}, err
	}
	if len(data) > maxPostBody {
		return Webhook{}, fmt.Errorf("%w: body of %d bytes over %d",
			ErrBadUpdate, len(data), maxPostBody)
	}
	answer, err := c.do(ctx, request{host: host, call: "set webhook",
		method: http.MethodPost, path: "/api/webhook", body: data})
	if err != nil {
		return Webhook{}, err
	}

	var w Webhook
	if err := json.Unmarshal(answer, &w); err != nil {
		return Webhook{}, fmt.Errorf("decode response: %w", err)
	}
	return w, nil
}

// checkHTTPS refuses an https:// URL for an adapter without urls support (non-Pro),
// which speaks plain HTTP only. It costs one GET, and only for https URLs.
func (c *Client) checkHTTPS(ctx context.Context, host string, u WebhookUpdate) error {
	if !isHTTPS(u.URL) && !isHTTPS(u.Failover) {
		return nil
	}
	w, err := c.getWebhook(ctx, host)
	if err != nil {
		return err
	}
	if w.URLs == nil {
		return ErrHTTPSUnsupported
	}
	return nil
}

// DeleteWebhook clears the adapter's webhook configuration; posting stops.
func (c *Client) DeleteWebhook(ctx context.Context, host string) error {
	_, err := c.do(ctx, request{host: host, call: "delete webhook",
		method: http.MethodDelete, path: "/api/webhook"})
	if err != nil {
		return fmt.Errorf("delete webhook on %s: %w", host, err)
	}
	return nil
}

// validate checks u before anything is sent.
func (u WebhookUpdate) validate() error {
	if err := checkURL(u.URL); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if u.Failover != "" {
		if err := checkURL(u.Failover); err != nil {
			return fmt.Errorf("failover: %w", err)
		}
	}
	if u.Interval < MinInterval || u.Interval > MaxInterval {
		return fmt.Errorf("%w: interval %d s outside %d-%d", ErrBadUpdate,
			u.Interval, MinInterval, MaxInterval)
	}
	return nil
}

// checkURL accepts an absolute http(s) URL the adapter stores whole.
func checkURL(s string) error {
	if len(s) > MaxURLLen {
		return ErrURLTooLong
	}
	p, err := url.Parse(s)
	if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https") {
		return fmt.Errorf("%w: not an absolute http:// or https:// URL", ErrBadUpdate)
	}
	return nil
}

func isHTTPS(s string) bool {
	return strings.HasPrefix(strings.ToLower(s), "https://")
}

// urlsUnsupported recognises the 400 "urls not supported" of one non-Pro build.
func urlsUnsupported(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		return false
	}
	text := strings.ToLower(se.Text)
	return strings.Contains(text, "urls") && strings.Contains(text, "not supported")
}
