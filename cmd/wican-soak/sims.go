package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// simAdapter is one simulated adapter as wican-sim reports it.
type simAdapter struct {
	DeviceID string
	API      string // host:port of its HTTP API
	Pro      bool
}

// simGroup is one wican-sim process and the adapters it runs.
type simGroup struct {
	proc     *child
	adapters []simAdapter
}

// startSims starts a wican-sim process with count adapters on free loopback ports and
// reads their device ids and API addresses from its stdout.
func startSims(ctx context.Context, path string, count int, pro bool, seed int64,
	logDir string) (*simGroup, error) {
	kind := "non-pro"
	args := []string{"--count", strconv.Itoa(count), "--listen", "127.0.0.1:0",
		"--seed", strconv.FormatInt(seed, 10), "--log-level", "warn"}
	if pro {
		kind = "pro"
		args = append(args, "--pro")
	}
	lines := make(chan string, count+16)
	proc, err := startChild("wican-sim "+kind, path, args, filepath.Join(logDir, "sim-"+kind+".log"),
		lines)
	if err != nil {
		return nil, err
	}
	g := &simGroup{proc: proc}
	timeout := time.After(30 * time.Second)
	for len(g.adapters) < count {
		select {
		case line := <-lines:
			a, ok := parseSimLine(line)
			if !ok {
				continue
			}
			a.Pro = pro
			g.adapters = append(g.adapters, a)
		case <-proc.done:
			return g, fmt.Errorf("wican-sim %s exited after %d of %d adapters: %v", kind,
				len(g.adapters), count, proc.err)
		case <-timeout:
			return g, fmt.Errorf("wican-sim %s reported %d of %d adapters in 30 s", kind,
				len(g.adapters), count)
		case <-ctx.Done():
			return g, ctx.Err()
		}
	}
	return g, nil
}

// parseSimLine reads "device_id=<id> api=<host:port>".
func parseSimLine(line string) (simAdapter, bool) {
	var a simAdapter
	for field := range strings.FieldsSeq(line) {
		key, value, _ := strings.Cut(field, "=")
		switch key {
		case "device_id":
			a.DeviceID = value
		case "api":
			a.API = value
		}
	}
	return a, a.DeviceID != "" && a.API != ""
}

// readAutoPIDData reads every adapter's current values from GET /autopid_data, eight at a
// time. An adapter that does not respond with values gets an error entry.
func readAutoPIDData(ctx context.Context, adapters []simAdapter) (map[string]map[string]any,
	map[string]error) {
	values := make(map[string]map[string]any, len(adapters))
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	client := &http.Client{Timeout: 5 * time.Second}
	for _, a := range adapters {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := getAutoPIDData(ctx, client, a.API)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[a.DeviceID] = err
				return
			}
			values[a.DeviceID] = v
		})
	}
	wg.Wait()
	return values, errs
}

func getAutoPIDData(ctx context.Context, client *http.Client, api string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+api+"/autopid_data", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read autopid_data of %s: %w", api, err)
	}
	defer resp.Body.Close()
	var values map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&values); err != nil {
		return nil, fmt.Errorf("decode autopid_data of %s: %w", api, err)
	}
	if msg, ok := values["error"].(string); ok && len(values) == 1 {
		return nil, fmt.Errorf("autopid_data of %s: %s", api, msg)
	}
	return values, nil
}
