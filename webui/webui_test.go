package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func body(t *testing.T, path string) string {
	t.Helper()
	rec := get(t, Handler(), http.MethodGet, path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", path, rec.Code)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerServesAssets(t *testing.T) {
	tests := []struct {
		path        string
		contentType string
		contains    string
	}{
		{"/", "text/html; charset=utf-8", "<title>WiCAN Bridge</title>"},
		{"/index.html", "text/html; charset=utf-8", "<title>WiCAN Bridge</title>"},
		{"/app.js", "text/javascript; charset=utf-8", "'use strict';"},
		{"/style.css", "text/css; charset=utf-8", "prefers-color-scheme: dark"},
	}
	h := Handler()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, h, http.MethodGet, tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
		})
	}
}

func TestHandlerRejectsOtherRequests(t *testing.T) {
	h := Handler()
	if rec := get(t, h, http.MethodGet, "/missing.js"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /missing.js: status %d, want 404", rec.Code)
	}
	if rec := get(t, h, http.MethodGet, "/static/app.js"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /static/app.js: status %d, want 404", rec.Code)
	}
	rec := get(t, h, http.MethodPost, "/")
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", rec.Code)
	}
	if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST /: Allow = %q, want GET, HEAD", got)
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	h := Handler()
	first := get(t, h, http.MethodGet, "/app.js")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /app.js")
	}
	req := httptest.NewRequest(http.MethodGet, "/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("GET with If-None-Match: status %d, want 304", rec.Code)
	}
}

// attrURL matches src, href and action attributes with their value.
var attrURL = regexp.MustCompile(`(?i)\b(src|href|action)\s*=\s*["']([^"']*)["']`)

// TestIndexUsesRelativeURLs guards the page under Home Assistant ingress, which serves it
// below /api/hassio_ingress/<token>/: a URL starting with / would leave that prefix.
func TestIndexUsesRelativeURLs(t *testing.T) {
	index := body(t, "/")
	matches := attrURL.FindAllStringSubmatch(index, -1)
	if len(matches) == 0 {
		t.Fatal("index.html has no src or href attribute")
	}
	for _, m := range matches {
		value := m[2]
		if strings.HasPrefix(value, "/") || strings.Contains(value, "://") {
			t.Errorf("index.html: %s=%q is not a relative URL", m[1], value)
		}
		if strings.HasPrefix(value, "data:") {
			continue
		}
		// Every relative reference must be an asset that the handler serves.
		if rec := get(t, Handler(), http.MethodGet, "/"+value); rec.Code != http.StatusOK {
			t.Errorf("index.html refers to %q, which the handler serves with status %d",
				value, rec.Code)
		}
	}
}

// stringLiteral matches the start of a JavaScript string or template literal.
var stringLiteral = regexp.MustCompile("['\"`]/")

func TestAppUsesRelativeURLs(t *testing.T) {
	app := body(t, "/app.js")
	for i, line := range strings.Split(app, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "//") {
			continue
		}
		if stringLiteral.MatchString(line) {
			t.Errorf("app.js line %d: string starts with /, which leaves the ingress prefix: %s",
				i+1, strings.TrimSpace(line))
		}
	}
	for _, path := range []string{"'api/devices'", "'api/status'", "'api/webhooks'",
		"`api/devices/${encodeURIComponent(id)}`"} {
		if !strings.Contains(app, path) {
			t.Errorf("app.js does not request %s", path)
		}
	}
}

// htmlSinks are the DOM APIs that parse a string as HTML.
var htmlSinks = regexp.MustCompile(`\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b`)

func TestAppNeverParsesHTML(t *testing.T) {
	app := body(t, "/app.js")
	for i, line := range strings.Split(app, "\n") {
		if htmlSinks.MatchString(line) {
			t.Errorf("app.js line %d uses an HTML sink: %s", i+1, strings.TrimSpace(line))
		}
	}
}

// TestPageHasTestIDs checks the data-testid values that browser tests look for.
func TestPageHasTestIDs(t *testing.T) {
	page := body(t, "/") + body(t, "/app.js")
	for _, id := range []string{"device-card", "device-state", "param-row", "param-value",
		"approve-button", "unpair-button", "copy-url", "public-url-warning", "add-host-form",
		"create-webhook-form", "dashboard-yaml"} {
		if !strings.Contains(page, `"`+id+`"`) && !strings.Contains(page, `'`+id+`'`) {
			t.Errorf("no element has data-testid %q", id)
		}
	}
	if !strings.Contains(page, "deviceId: id") {
		t.Error("device cards do not carry data-device-id")
	}
}
