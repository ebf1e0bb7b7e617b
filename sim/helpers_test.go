package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// startAdapter serves a new adapter on 127.0.0.1 and returns it with its API base
// URL; the adapter stops when the test ends.
func startAdapter(t *testing.T, opts Options) (*Adapter, string) {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	a := New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(3 * time.Second):
			t.Error("Serve did not end within 3 s of its context")
		}
	})
	return a, "http://" + ln.Addr().String()
}

// call sends one request to the adapter API and returns status and body.
func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// push POSTs body to the adapter's /api/webhook.
func push(t *testing.T, api, body string) (int, string) {
	t.Helper()
	return call(t, http.MethodPost, api+"/api/webhook", body)
}

// hookBody is a POST /api/webhook body with url and, when given, urls.
func hookBody(url string, urls ...string) string {
	m := map[string]any{"url": url}
	if len(urls) > 0 {
		m["urls"] = urls
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// sameKeys fails the test when got and want have different key sets.
func sameKeys(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if g, w := keys(got), keys(want); !slices.Equal(g, w) {
		t.Errorf("%s keys\n%v\nwant\n%v", what, g, w)
	}
}

func keys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// decode parses a JSON object or fails the test.
func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return m
}

// post is one webhook post as the receiver saw it.
type post struct {
	body       map[string]any
	header     http.Header
	answered   int
	receivedAt time.Time
}

// receiver is a webhook endpoint that records posts and answers with the status
// that answer returns (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	posts  []post
	answer func(n int) int
	notify chan struct{}
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	t.Helper()
	r := &receiver{answer: answer, notify: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.handle))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	_ = dec.Decode(&body)

	r.mu.Lock()
	status := http.StatusOK
	if r.answer != nil {
		status = r.answer(len(r.posts) + 1)
	}
	r.posts = append(r.posts, post{body: body, header: req.Header.Clone(),
		answered: status, receivedAt: time.Now()})
	r.mu.Unlock()

	w.WriteHeader(status)
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// hook returns a webhook URL on this receiver.
func (r *receiver) hook() string {
	return r.URL + "/api/webhook/3f9c0d6e8a2b4c71a5e0f2d3b4c5d6e7"
}

func (r *receiver) all() []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]post(nil), r.posts...)
}

// waitPosts waits until at least n posts arrived and returns them.
func (r *receiver) waitPosts(t *testing.T, n int) []post {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if p := r.all(); len(p) >= n {
			return p
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("got %d posts within 10 s, want %d", len(r.all()), n)
		}
	}
}

// section returns a section of a post body, or nil.
func section(body map[string]any, name string) map[string]any {
	m, _ := body[name].(map[string]any)
	return m
}
