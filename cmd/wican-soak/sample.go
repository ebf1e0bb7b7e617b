package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wican-bridge/wican-bridge/procstat"
)

// sample is the bridge's state at one moment of the run.
type sample struct {
	At       time.Duration // since the bridge started
	RSS      int64         // resident set size in bytes
	CPU      time.Duration // user plus system time since the bridge started
	Accepted int64         // posts accepted, from /metrics
	Rejected int64         // posts rejected, all reasons, from /metrics
	Managed  int           // adapters in state managed, from GET /api/devices
	Queued   int64         // MQTT messages waiting to be published
	MQTTUp   bool          // the bridge's MQTT connection is up
	Note     string        // event at this moment, such as "before outage"
}

// sampler reads samples of one bridge process.
type sampler struct {
	pid     int
	ui      string // base URL of the admin API
	started time.Time
	client  *http.Client
}

// take reads one sample. A failed HTTP request leaves its fields at zero and is returned
// as the error, next to the sample.
func (s *sampler) take(ctx context.Context) (sample, error) {
	out := sample{At: time.Since(s.started)}
	proc, err := procstat.Process(s.pid)
	if err != nil {
		return out, err
	}
	out.RSS, out.CPU = proc.RSS, proc.CPU

	m, err := s.metrics(ctx)
	if err != nil {
		return out, err
	}
	out.Accepted, out.Rejected = m.accepted, m.rejected
	out.Queued, out.MQTTUp = m.queued, m.connected

	out.Managed, err = s.managed(ctx)
	return out, err
}

// bridgeMetrics are the values of /metrics that the soak reads.
type bridgeMetrics struct {
	accepted, rejected, queued int64
	managed                    int
	connected                  bool
}

// metrics reads the bridge's Prometheus text from /metrics.
func (s *sampler) metrics(ctx context.Context) (bridgeMetrics, error) {
	var m bridgeMetrics
	body, err := s.get(ctx, "/metrics")
	if err != nil {
		return m, err
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			continue
		}
		switch {
		case name == "wican_bridge_posts_accepted_total":
			m.accepted = n
		case strings.HasPrefix(name, "wican_bridge_posts_rejected_total"):
			m.rejected += n
		case name == `wican_bridge_adapters{state="managed"}`:
			m.managed = int(n)
		case name == "wican_bridge_mqtt_queued_messages":
			m.queued = n
		case name == "wican_bridge_mqtt_connected":
			m.connected = n == 1
		}
	}
	return m, nil
}

// managed counts the adapters in state managed in GET /api/devices.
func (s *sampler) managed(ctx context.Context) (int, error) {
	body, err := s.get(ctx, "/api/devices")
	if err != nil {
		return 0, err
	}
	var devices []struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(body, &devices); err != nil {
		return 0, fmt.Errorf("decode /api/devices: %w", err)
	}
	n := 0
	for _, d := range devices {
		if d.State == "managed" {
			n++
		}
	}
	return n, nil
}

func (s *sampler) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.ui+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return buf.Bytes(), nil
}
