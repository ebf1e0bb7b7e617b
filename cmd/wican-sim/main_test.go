package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that run may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTwoAdaptersPostToThePresetWebhook(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body struct {
			Status struct {
				DeviceID string `json:"device_id"`
			} `json:"status"`
		}
		_ = json.Unmarshal(b, &body)
		mu.Lock()
		seen[body.Status.DeviceID] = true
		mu.Unlock()
	}))
	defer recv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--count", "2", "--pro", "--seed", "3", "--interval", "50ms",
			"--webhook", recv.URL + "/api/webhook/abcdef"}, &stdout, &stderr)
	}()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !allSeen(&mu, seen, stdout.String()) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if !allSeen(&mu, seen, stdout.String()) {
		t.Errorf("posts from %v, want every adapter of\n%s", seen, stdout.String())
	}
}

// allSeen reports whether every device_id printed on stdout has posted.
func allSeen(mu *sync.Mutex, seen map[string]bool, stdout string) bool {
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Fields(stdout)
	ids := 0
	for _, f := range lines {
		if id, ok := strings.CutPrefix(f, "device_id="); ok {
			ids++
			if !seen[id] {
				return false
			}
		}
	}
	return ids == 2
}

func TestListenAddrCountsPortsUp(t *testing.T) {
	tests := []struct {
		base string
		i    int
		want string
	}{
		{"127.0.0.1:0", 3, "127.0.0.1:0"},
		{"127.0.0.1:8000", 0, "127.0.0.1:8000"},
		{"127.0.0.1:8000", 2, "127.0.0.1:8002"},
		{"[::1]:80", 1, "[::1]:81"},
	}
	for _, tt := range tests {
		if got, err := listenAddr(tt.base, tt.i); err != nil || got != tt.want {
			t.Errorf("listenAddr(%q, %d) = %q, %v; want %q", tt.base, tt.i, got, err, tt.want)
		}
	}
}

func TestBadFlagsAreRejected(t *testing.T) {
	for _, args := range [][]string{
		{"--count", "0"}, {"--shape", "xml"}, {"--mode", "delta"}, {"--vehicle", "bike"},
		{"--manual-override", "--pro"}, {"--log-level", "loud"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run %v succeeded", args)
		}
	}
}
