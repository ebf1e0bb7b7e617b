package devicecfg

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
)

const (
	hookURL     = "http://192.0.2.10:8780/api/webhook/3f9c0d6e8a2b4c71a5e0f2d3b4c5d6e7"
	failoverURL = "http://192.0.2.11:8780/api/webhook/3f9c0d6e8a2b4c71a5e0f2d3b4c5d6e7"
)

// echoWebhook answers a POST the way the adapter does: the stored settings.
func echoWebhook(w http.ResponseWriter, status int, body string) {
	var in map[string]any
	_ = json.Unmarshal([]byte(body), &in)
	out := map[string]any{"url": in["url"], "enabled": in["enabled"], "interval": in["interval"],
		"status": "unknown", "manual_override": false}
	if urls, ok := in["urls"]; ok {
		out["urls"] = urls
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

func TestGetWebhookDecodesTheDeviceAnswer(t *testing.T) {
	fixture, err := os.ReadFile("testdata/api-webhook-get.json")
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = w.Write(fixture)
	})
	got, err := newTestClient(0).GetWebhook(context.Background(), f.host())
	if err != nil {
		t.Fatal(err)
	}

	want := Webhook{
		URL: hookURL,
		URLs: []string{hookURL,
			"https://bridge.example.org/api/webhook/3f9c0d6e8a2b4c71a5e0f2d3b4c5d6e7"},
		Enabled:  true,
		Interval: 15, Status: "ok", LastPost: "2026-01-01T00:00:00Z",
		SuccessCount: 240, FailCount: 3,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetWebhook =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWebhookDecodingToleratesOddTypes(t *testing.T) {
	body := `{"url":"http://h/x","enabled":"true","interval":"30","manual_override":1,
		"success_count":"7","fail_count":2.0,"retries":null,"status":"ok","extra":{"a":1}}`
	var w Webhook
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatal(err)
	}
	want := Webhook{URL: "http://h/x", Enabled: true, Interval: 30, ManualOverride: true,
		SuccessCount: 7, FailCount: 2, Status: "ok"}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("decoded %+v, want %+v", w, want)
	}
	if w.URLs != nil {
		t.Errorf("URLs = %v, want nil when the device sends no urls", w.URLs)
	}
}

func TestSetWebhookAcceptsCreatedThenOK(t *testing.T) {
	f := newFakeAdapter(t, func(n int, w http.ResponseWriter, _ *http.Request, body string) {
		status := http.StatusOK
		if n == 1 {
			status = http.StatusCreated
		}
		echoWebhook(w, status, body)
	})
	c := newTestClient(0)
	u := WebhookUpdate{URL: hookURL, Failover: failoverURL, Interval: 15, Enabled: true}

	for i := range 2 {
		w, err := c.SetWebhook(context.Background(), f.host(), u)
		if err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
		if !w.Matches(u) {
			t.Errorf("push %d: answer %+v does not match the update", i+1, w)
		}
	}

	for _, r := range f.calls() {
		var sent map[string]any
		if err := json.Unmarshal([]byte(r.body), &sent); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"url": hookURL, "urls": []any{hookURL, failoverURL},
			"enabled": true, "interval": 15.0}
		if !reflect.DeepEqual(sent, want) {
			t.Errorf("sent %v, want %v (never manual_override)", sent, want)
		}
	}
}

func TestSetWebhookSendsURLsEvenWithoutFailover(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, body string) {
		echoWebhook(w, http.StatusOK, body)
	})
	u := WebhookUpdate{URL: hookURL, Interval: 60, Enabled: false}
	if _, err := newTestClient(0).SetWebhook(context.Background(), f.host(), u); err != nil {
		t.Fatal(err)
	}
	body := f.calls()[0].body
	wantURLs := `"urls":["` + hookURL + `"]`
	if !strings.Contains(body, wantURLs) || !strings.Contains(body, `"enabled":false`) {
		t.Errorf("body %s lacks urls [url] or enabled false", body)
	}
}

func TestSetWebhookURLsFallback(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, body string) {
		if strings.Contains(body, `"urls"`) {
			http.Error(w, "urls not supported", http.StatusBadRequest)
			return
		}
		echoWebhook(w, http.StatusCreated, body)
	})
	u := WebhookUpdate{URL: hookURL, Failover: failoverURL, Interval: 15, Enabled: true}
	w, err := newTestClient(0).SetWebhook(context.Background(), f.host(), u)
	if err != nil {
		t.Fatal(err)
	}

	calls := f.calls()
	if len(calls) != 2 || strings.Contains(calls[1].body, "urls") {
		t.Fatalf("calls = %+v, want one with urls then one without", calls)
	}
	if w.URL != hookURL || w.URLs != nil || !w.Matches(u) {
		t.Errorf("answer %+v should match without a failover", w)
	}
}

func TestSetWebhookReportsOtherBadRequests(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		http.Error(w, "Invalid URL "+hookURL, http.StatusBadRequest)
	})
	u := WebhookUpdate{URL: hookURL, Interval: 15, Enabled: true}
	_, err := newTestClient(0).SetWebhook(context.Background(), f.host(), u)

	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want StatusError 400", err)
	}
	if len(f.calls()) != 1 {
		t.Errorf("calls = %d, want 1", len(f.calls()))
	}
	msg := err.Error()
	if strings.Contains(msg, "3f9c0d6e") || !strings.Contains(msg, "/api/webhook/3f9c…") {
		t.Errorf("error %q leaks the webhook id or lost its redacted form", msg)
	}
	if !strings.Contains(msg, f.host()) || !strings.Contains(msg, "set webhook") {
		t.Errorf("error %q does not name the host and the call", msg)
	}
}

func TestSetWebhookRefusesBadUpdatesBeforeSending(t *testing.T) {
	long := "http://192.0.2.10:8780/api/webhook/" + strings.Repeat("a", 160)
	tests := []struct {
		name string
		u    WebhookUpdate
		want error
	}{
		{"url over 191 chars", WebhookUpdate{URL: long, Interval: 15}, ErrURLTooLong},
		{"failover over 191 chars",
			WebhookUpdate{URL: hookURL, Failover: long, Interval: 15}, ErrURLTooLong},
		{"no scheme", WebhookUpdate{URL: "192.0.2.10/api/webhook/x", Interval: 15}, ErrBadUpdate},
		{"ftp", WebhookUpdate{URL: "ftp://192.0.2.10/x", Interval: 15}, ErrBadUpdate},
		{"zero interval", WebhookUpdate{URL: hookURL}, ErrBadUpdate},
		{"interval over an hour", WebhookUpdate{URL: hookURL, Interval: 3601}, ErrBadUpdate},
	}
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, body string) {
		echoWebhook(w, http.StatusOK, body)
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTestClient(0).SetWebhook(context.Background(), f.host(), tt.u)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), strings.Repeat("a", 20)) {
				t.Errorf("error %q carries the webhook id", err)
			}
		})
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestSetWebhookRefusesHTTPSForAPlainHTTPAdapter(t *testing.T) {
	tests := []struct {
		name     string
		getBody  string
		wantErr  error
		wantPost bool
	}{
		{"non-Pro without urls", `{"url":"","enabled":false,"interval":60}`,
			ErrHTTPSUnsupported, false},
		{"Pro with urls", `{"url":"","urls":[],"enabled":false,"interval":60}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, r *http.Request, b string) {
				if r.Method == http.MethodGet {
					_, _ = io.WriteString(w, tt.getBody)
					return
				}
				echoWebhook(w, http.StatusCreated, b)
			})
			u := WebhookUpdate{URL: "https://bridge.example.org/api/webhook/abcdefgh",
				Interval: 15, Enabled: true}
			_, err := newTestClient(0).SetWebhook(context.Background(), f.host(), u)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			posted := len(f.calls()) == 2 && f.calls()[1].method == http.MethodPost
			if posted != tt.wantPost {
				t.Errorf("posted = %v, want %v", posted, tt.wantPost)
			}
		})
	}
}

func TestUserSettingsModeShowsAsNotMatching(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = io.WriteString(w, `{"url":"http://user.example/hook",
			"urls":["http://user.example/hook"],
			"manual_override":true,"enabled":true,"interval":30}`)
	})
	u := WebhookUpdate{URL: hookURL, Interval: 15, Enabled: true}
	w, err := newTestClient(0).SetWebhook(context.Background(), f.host(), u)
	if err != nil {
		t.Fatal(err)
	}
	if w.Matches(u) || !w.ManualOverride {
		t.Errorf("answer %+v: want manual_override true and no match", w)
	}
}

func TestDeleteWebhook(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		w.WriteHeader(http.StatusNoContent)
	})
	if err := newTestClient(0).DeleteWebhook(context.Background(), f.host()); err != nil {
		t.Fatal(err)
	}
	c := f.calls()
	if len(c) != 1 || c[0].method != http.MethodDelete || c[0].path != "/api/webhook" {
		t.Errorf("calls = %+v, want one DELETE /api/webhook", c)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{hookURL, "http://192.0.2.10:8780/api/webhook/3f9c…"},
		{"post to " + hookURL + "?x=1 failed",
			"post to http://192.0.2.10:8780/api/webhook/3f9c… failed"},
		{"http://h/api/webhook/ab", "http://h/api/webhook/ab"},
		{"http://h/other/path", "http://h/other/path"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
