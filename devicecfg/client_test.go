package devicecfg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAdapter is an httptest server that records requests and answers with the
// handler of the test.
type fakeAdapter struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, path, body string
}

// answerFunc answers request n (1-based) whose body was body.
type answerFunc func(n int, w http.ResponseWriter, r *http.Request, body string)

func newFakeAdapter(t *testing.T, h answerFunc) *fakeAdapter {
	t.Helper()
	f := &fakeAdapter{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.Path, string(b)})
		n := len(f.requests)
		f.mu.Unlock()
		h(n, w, r, string(b))
	}))
	t.Cleanup(f.Close)
	return f
}

// host returns "127.0.0.1:port", the form the bridge passes.
func (f *fakeAdapter) host() string {
	return strings.TrimPrefix(f.URL, "http://")
}

func (f *fakeAdapter) calls() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// newTestClient returns a client with short timeouts and pauses.
func newTestClient(retries int) *Client {
	c := New(nil, Options{Timeout: 2 * time.Second, Retries: retries})
	c.backoff = time.Millisecond
	return c
}

func TestRetriesServerErrorsAFewTimesThenGivesUp(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	_, err := newTestClient(2).GetWebhook(context.Background(), f.host())

	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || se.Text != "busy" {
		t.Fatalf("err = %v, want a StatusError 503 busy", err)
	}
	if got := len(f.calls()); got != 3 {
		t.Errorf("attempts = %d, want 3 (1 + 2 retries)", got)
	}
}

func TestRetryRecoversFromOneServerError(t *testing.T) {
	f := newFakeAdapter(t, func(n int, w http.ResponseWriter, _ *http.Request, _ string) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, `{"url":"http://192.0.2.1/x","enabled":true,"interval":15}`)
	})
	w, err := newTestClient(2).GetWebhook(context.Background(), f.host())
	if err != nil || w.Interval != 15 {
		t.Fatalf("GetWebhook = %+v, %v", w, err)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		http.NotFound(w, nil)
	})
	_, err := newTestClient(2).CarConfig(context.Background(), f.host())

	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound {
		t.Fatalf("err = %v, want StatusError 404", err)
	}
	if got := len(f.calls()); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestEachAttemptTimesOutAndTheCallEnds(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, _ http.ResponseWriter, r *http.Request, _ string) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	c := New(nil, Options{Timeout: 100 * time.Millisecond, Retries: 1})
	c.backoff = time.Millisecond

	start := time.Now()
	_, err := c.GetWebhook(context.Background(), f.host())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("call took %v, want about 2 x 100ms, not the server's 30s", elapsed)
	}
	if got := len(f.calls()); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		w.WriteHeader(http.StatusBadGateway)
	})
	c := New(nil, Options{Retries: 5})
	c.backoff = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	if _, err := c.GetWebhook(ctx, f.host()); err == nil {
		t.Fatal("GetWebhook succeeded against a 502")
	}
	if got := len(f.calls()); got != 1 {
		t.Errorf("attempts = %d, want 1 before the context ended", got)
	}
}

func TestGarbageAnswersAreErrorsNotPanics(t *testing.T) {
	for _, body := range []string{"<html>", "", `{"url": `, `[1,2]`, "\x00\xff"} {
		t.Run(body, func(t *testing.T) {
			f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
				_, _ = io.WriteString(w, body)
			})
			c := newTestClient(-1)
			ctx := context.Background()
			if _, err := c.GetWebhook(ctx, f.host()); err == nil {
				t.Error("GetWebhook accepted garbage")
			}
			if _, err := c.CarConfig(ctx, f.host()); err == nil {
				t.Error("CarConfig accepted garbage")
			}
			if _, err := c.AutoPIDData(ctx, f.host()); err == nil {
				t.Error("AutoPIDData accepted garbage")
			}
		})
	}
}

func TestHugeAnswerIsRefused(t *testing.T) {
	f := newFakeAdapter(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = io.WriteString(w, `{"x":"`+strings.Repeat("a", 2<<20)+`"}`)
	})
	_, err := newTestClient(2).AutoPIDData(context.Background(), f.host())
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("err = %v, want errTooLarge", err)
	}
	if got := len(f.calls()); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		host, want string
	}{
		{"wican_a1b2c3d4e5f6.local", "http://wican_a1b2c3d4e5f6.local"},
		{"wican.local:8080", "http://wican.local:8080"},
		{"192.0.2.7", "http://192.0.2.7"},
		{"192.0.2.7:80", "http://192.0.2.7:80"},
		{"[2001:db8::7]", "http://[2001:db8::7]"},
		{"[2001:db8::7]:8080", "http://[2001:db8::7]:8080"},
		{"2001:db8::7", "http://[2001:db8::7]"},
		{"[fe80::1%eth0]:80", "http://[fe80::1%25eth0]:80"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, err := baseURL(tt.host)
			if err != nil || got != tt.want {
				t.Errorf("baseURL(%q) = %q, %v; want %q", tt.host, got, err, tt.want)
			}
		})
	}
}

func TestBadHostsAreRefused(t *testing.T) {
	bad := []string{"", "http://wican.local", "a/b", "user@wican", "wican:0", "wican:x", ":80"}
	for _, host := range bad {
		t.Run(host, func(t *testing.T) {
			if _, err := baseURL(host); !errors.Is(err, ErrBadHost) {
				t.Errorf("baseURL(%q) err = %v, want ErrBadHost", host, err)
			}
		})
	}
}
