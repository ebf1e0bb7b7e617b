package bridge

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/publish"
)

// metricsSource is the part of the MQTT client that the metrics report; *publish.Client implements it.
type metricsSource interface {
	Connected() bool
	Pending() int
	Latency() *publish.Histogram
}

// handleMetrics writes the metrics in Prometheus' text format.
func (b *Bridge) handleMetrics(c echo.Context) error {
	var w strings.Builder
	metric(&w, "wican_bridge_posts_accepted_total", "counter", "Webhook posts accepted.")
	fmt.Fprintf(&w, "wican_bridge_posts_accepted_total %d\n", b.stats.accepted.Load())
	metric(&w, "wican_bridge_posts_rejected_total", "counter", "Webhook posts rejected, by reason.")
	for _, r := range rejectReasons {
		fmt.Fprintf(&w, "wican_bridge_posts_rejected_total{reason=%q} %d\n", r, b.stats.rejected[r].Load())
	}

	states := map[string]int{}
	now := time.Now()
	for _, a := range b.all() {
		if info, ok := b.deviceInfo(a, now); ok {
			states[info.State]++
		}
	}
	metric(&w, "wican_bridge_adapters", "gauge", "Adapters, by pairing state.")
	for _, s := range []string{stateManaged, stateUserSettings, stateWaiting, stateNotPosting,
		stateUnreachable, stateManual} {
		fmt.Fprintf(&w, "wican_bridge_adapters{state=%q} %d\n", s, states[s])
	}

	if src, ok := b.out.(metricsSource); ok {
		writeMQTTMetrics(&w, src)
	}
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(w.String()))
}

func writeMQTTMetrics(w *strings.Builder, src metricsSource) {
	connected := 0
	if src.Connected() {
		connected = 1
	}
	metric(w, "wican_bridge_mqtt_connected", "gauge", "1 while the MQTT connection is up.")
	fmt.Fprintf(w, "wican_bridge_mqtt_connected %d\n", connected)
	metric(w, "wican_bridge_mqtt_queued_messages", "gauge", "Messages waiting to be published.")
	fmt.Fprintf(w, "wican_bridge_mqtt_queued_messages %d\n", src.Pending())

	buckets, sum, count := src.Latency().Snapshot()
	name := "wican_bridge_publish_latency_seconds"
	metric(w, name, "histogram", "Time from a post's message being queued to the broker's acknowledgement, or for QoS 0 to its write to the connection.")
	for i, le := range publish.LatencyBuckets {
		fmt.Fprintf(w, "%s_bucket{le=%q} %d\n", name, strconv.FormatFloat(le, 'g', -1, 64), buckets[i])
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", name, count, name, sum, name, count)
}

func metric(w *strings.Builder, name, kind, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}
