package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

const userAgent = "ESP32 WiCAN/1.0"

// newPostClient is the adapter's HTTP client: one timeout per attempt, no redirects.
func newPostClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// postLoop posts every interval until ctx ends. A changed setting restarts the
// interval, so that it takes effect at once.
func (a *Adapter) postLoop(ctx context.Context) {
	for {
		a.mu.Lock()
		interval := a.hook.interval
		a.mu.Unlock()

		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.wake:
			t.Stop()
			continue
		case <-t.C:
		}
		a.cycle(ctx)
	}
}

// cycle makes one post: urls[0] first, urls[1] only when that fails.
func (a *Adapter) cycle(ctx context.Context) {
	a.mu.Lock()
	if reason := a.idleReasonLocked(); reason != "" {
		a.mu.Unlock()
		a.log.Debug("not posting", "reason", reason)
		return
	}
	targets := a.targetsLocked()
	payload := a.payloadLocked(time.Now())
	a.mu.Unlock()

	body, err := json.Marshal(payload)
	if err != nil {
		a.log.Error("encode payload", "err", err)
		return
	}
	for _, target := range targets {
		failure := a.send(ctx, target, body)
		if ctx.Err() != nil {
			return
		}
		if failure == "" {
			a.recordSuccess()
			return
		}
		a.recordError(target, failure)
	}
	a.recordFailure()
}

// targetsLocked lists the URLs to try in order.
func (a *Adapter) targetsLocked() []string {
	if a.opts.Pro && len(a.hook.urls) > 0 {
		return append([]string(nil), a.hook.urls...)
	}
	return []string{a.hook.url}
}

// send posts body to target and returns "" or the adapter's error text.
func (a *Adapter) send(ctx context.Context, target string, body []byte) string {
	if !a.opts.Pro && strings.HasPrefix(target, "https://") {
		return "https not supported: use http://"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "invalid url"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, err := a.poster.Do(req)
	if err != nil {
		return transportError(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	return ""
}

// transportError names a failure the way the adapter's status page does.
func transportError(err error) string {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if strings.Contains(err.Error(), "tls") || strings.Contains(err.Error(), "x509") {
		return "TLS handshake failed"
	}
	return "connection failed"
}

func (a *Adapter) recordSuccess() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.status = "ok"
	a.stats.lastPost = time.Now()
	a.stats.success++
	a.stats.retries = 0
	a.log.Debug("posted", "success_count", a.stats.success)
}

func (a *Adapter) recordError(target, failure string) {
	a.mu.Lock()
	a.stats.lastError = failure
	a.stats.lastErrorTime = time.Now()
	a.mu.Unlock()
	a.log.Debug("post attempt failed", "url", devicecfg.RedactURL(target), "err", failure)
}

func (a *Adapter) recordFailure() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.status = "failed"
	a.stats.fail++
	a.stats.retries++
	// Warn once per outage; the adapter keeps trying every interval.
	level := slog.LevelDebug
	if a.stats.retries == 1 {
		level = slog.LevelWarn
	}
	a.log.Log(context.Background(), level, "post failed", "err", a.stats.lastError,
		"retries", a.stats.retries)
}
