package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat and /proc/stat. Linux reports
// them in USER_HZ, which is 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

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
	rss, cpu, err := readProc(s.pid)
	if err != nil {
		return out, err
	}
	out.RSS, out.CPU = rss, cpu

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

// readProc reads VmRSS from /proc/PID/status and utime plus stime from /proc/PID/stat.
func readProc(pid int) (int64, time.Duration, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	// The command name in parentheses may contain spaces, so fields count from its end.
	end := bytes.LastIndexByte(stat, ')')
	fields := strings.Fields(string(stat[end+1:]))
	if end < 0 || len(fields) < 13 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: unexpected format", pid)
	}
	// utime and stime are fields 14 and 15 of the line, and fields[0] is field 3.
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: invalid utime or stime", pid)
	}

	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("read memory use of process %d: %w", pid, err)
	}
	for line := range strings.Lines(string(status)) {
		value, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse VmRSS of process %d: %w", pid, err)
		}
		return kib << 10, time.Duration(utime+stime) * clockTick, nil
	}
	return 0, 0, fmt.Errorf("no VmRSS line in /proc/%d/status", pid)
}

// machineCPU returns the busy and total CPU time of all cores from /proc/stat.
func machineCPU() (busy, total time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("parse /proc/stat: unexpected first line %q", line)
	}
	// Fields: user nice system idle iowait irq softirq steal, then guest and guest_nice,
	// which user and nice already include.
	for i, f := range fields[1:min(len(fields), 9)] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
		total += time.Duration(n) * clockTick
		if i != 3 && i != 4 {
			busy += time.Duration(n) * clockTick
		}
	}
	return busy, total, nil
}
