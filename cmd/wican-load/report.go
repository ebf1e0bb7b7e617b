package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"time"

	"github.com/wican-bridge/wican-bridge/procstat"
)

// Report is the outcome of a load run. Latencies are in milliseconds, memory in MiB.
type Report struct {
	Adapters int    `json:"adapters"`
	Shape    string `json:"shape"`
	Changed  int    `json:"changed_per_post"`
	Rate     int    `json:"rate_target"` // 0 for maximum throughput
	Workers  int    `json:"workers"`

	WarmUpSeconds   float64     `json:"warm_up_seconds"`
	Posts           int         `json:"posts"`
	Seconds         float64     `json:"seconds"`
	PostsPerSecond  float64     `json:"posts_per_second"`
	Statuses        map[int]int `json:"http_statuses"`
	TransportErrors int         `json:"transport_errors"`
	FirstError      string      `json:"first_error,omitempty"`
	HTTPLatency     Percentiles `json:"http_latency_ms"`

	// MQTTLatency runs from sending a post to receiving a changed value's state.
	MQTTLatency     Percentiles `json:"post_to_mqtt_latency_ms"`
	Messages        int64       `json:"mqtt_messages"`
	MessagesPerPost float64     `json:"mqtt_messages_per_post"`
	// Lost counts changed values whose final value never arrived within the grace period.
	Lost int `json:"lost_updates"`
	// Superseded counts values replaced by a newer one of the same parameter before the
	// bridge published them. The bridge keeps only the latest value per topic, so these
	// are not lost.
	Superseded int `json:"superseded_values"`

	Bridge BridgeFigures `json:"bridge"`
	// CPU used on average over the run, from the end of warm-up to the end of the grace
	// period, by the load tool itself and by the broker when --broker-pid is given.
	LoadToolCPUCores float64 `json:"load_tool_cpu_cores"`
	BrokerCPUCores   float64 `json:"broker_cpu_cores,omitempty"`
	// MachineCPUCores is the CPU all processes used, from /proc/stat. Well above the sum
	// of the bridge, broker and load tool, it shows that other work disturbed the run.
	MachineCPUCores float64 `json:"machine_cpu_cores"`

	Baseline *BaselineResult `json:"baseline,omitempty"`
}

// Percentiles summarises latencies in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// BridgeFigures are CPU and memory samples of the bridge process, nil without --bridge-pid.
type BridgeFigures struct {
	Start       *procstat.Sample `json:"-"`
	AfterWarmUp *procstat.Sample `json:"-"`
	BeforeRun   *procstat.Sample `json:"-"`
	End         *procstat.Sample `json:"-"`

	CPUSecondsPer1000Posts float64 `json:"cpu_seconds_per_1000_posts,omitempty"`
	CPUCores               float64 `json:"cpu_cores,omitempty"` // average over the run
	RSSStartMiB            float64 `json:"rss_start_mib,omitempty"`
	RSSAfterWarmUpMiB      float64 `json:"rss_after_warm_up_mib,omitempty"`
	RSSEndMiB              float64 `json:"rss_end_mib,omitempty"`
}

// BaselineResult is the do-nothing receiver's throughput under the same load.
type BaselineResult struct {
	Posts          int         `json:"posts"`
	PostsPerSecond float64     `json:"posts_per_second"`
	Statuses       map[int]int `json:"http_statuses"`
	// Ratio is the bridge's posts/s divided by the baseline's.
	Ratio float64 `json:"ratio"`
}

func newReport(cfg Config) *Report {
	return &Report{Adapters: cfg.Adapters, Shape: cfg.Shape, Changed: cfg.Changed,
		Rate: cfg.Rate, Workers: cfg.Workers, Statuses: map[int]int{}}
}

func (r *Report) addRun(res *phaseResult, t *tracker, messages int64) {
	r.Posts = res.posts
	r.Seconds = res.elapsed.Seconds()
	r.PostsPerSecond = float64(res.posts) / r.Seconds
	r.Statuses = res.statuses
	r.TransportErrors = res.errors
	if res.firstErr != nil {
		r.FirstError = res.firstErr.Error()
	}
	r.HTTPLatency = percentiles(res.latencies)
	r.MQTTLatency = percentiles(t.takeLatencies())
	r.Messages = messages
	if res.posts > 0 {
		r.MessagesPerPost = float64(messages) / float64(res.posts)
	}
	r.Lost = t.lost()
	r.Superseded = t.superseded()
}

// summarise derives the reported figures from the samples that were taken.
func (b *BridgeFigures) summarise(posts int, seconds float64) {
	if b.BeforeRun != nil && b.End != nil && posts > 0 {
		cpu := b.End.CPU - b.BeforeRun.CPU
		b.CPUSecondsPer1000Posts = cpu.Seconds() / float64(posts) * 1000
		b.CPUCores = cpu.Seconds() / seconds
	}
	b.RSSStartMiB = mib(b.Start)
	b.RSSAfterWarmUpMiB = mib(b.AfterWarmUp)
	b.RSSEndMiB = mib(b.End)
}

func (r *Report) addBaseline(res *phaseResult) {
	b := &BaselineResult{Posts: res.posts, Statuses: res.statuses}
	b.PostsPerSecond = float64(res.posts) / res.elapsed.Seconds()
	if b.PostsPerSecond > 0 {
		b.Ratio = r.PostsPerSecond / b.PostsPerSecond
	}
	r.Baseline = b
}

func mib(s *procstat.Sample) float64 {
	if s == nil {
		return 0
	}
	return float64(s.RSS) / (1 << 20)
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	at := func(q float64) float64 { return ms(d[min(len(d)-1, int(q*float64(len(d))))]) }
	return Percentiles{Count: len(d), P50: at(0.50), P99: at(0.99), Max: ms(d[len(d)-1])}
}

// Print writes the report as aligned text.
func (r *Report) Print(w io.Writer) {
	rate := "max"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%d/s", r.Rate)
	}
	fmt.Fprintf(w, "load: %d adapters, %s posts, %d changed values per post, rate %s, %d workers\n",
		r.Adapters, r.Shape, r.Changed, rate, r.Workers)

	fmt.Fprintf(w, "warm-up (first post per adapter): %.1f s\n", r.WarmUpSeconds)
	if r.Posts == 0 {
		fmt.Fprintf(w, "bridge RSS:            %.1f MiB at start, %.1f after warm-up\n",
			r.Bridge.RSSStartMiB, r.Bridge.RSSAfterWarmUpMiB)
		return
	}
	fmt.Fprintf(w, "posts:                 %d in %.1f s = %.0f posts/s\n", r.Posts, r.Seconds,
		r.PostsPerSecond)
	fmt.Fprintf(w, "HTTP statuses:         %s, transport errors %d\n", formatStatuses(r.Statuses),
		r.TransportErrors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error:           %s\n", r.FirstError)
	}

	fmt.Fprintf(w, "HTTP latency:          %s\n", r.HTTPLatency)
	fmt.Fprintf(w, "POST-to-MQTT latency:  %s\n", r.MQTTLatency)
	fmt.Fprintf(w, "MQTT messages:         %d = %.2f per post\n", r.Messages, r.MessagesPerPost)
	fmt.Fprintf(w, "lost updates:          %d (superseded before publishing: %d)\n", r.Lost,
		r.Superseded)

	if b := r.Bridge; b.RSSStartMiB > 0 {
		fmt.Fprintf(w, "bridge CPU:            %.3f s per 1000 posts (%.2f cores)\n",
			b.CPUSecondsPer1000Posts, b.CPUCores)
		fmt.Fprintf(w, "bridge RSS:            %.1f MiB at start, %.1f after warm-up, %.1f at end\n",
			b.RSSStartMiB, b.RSSAfterWarmUpMiB, b.RSSEndMiB)
	}
	fmt.Fprintf(w, "other CPU:             load tool %.2f cores", r.LoadToolCPUCores)
	if r.BrokerCPUCores > 0 {
		fmt.Fprintf(w, ", broker %.2f cores", r.BrokerCPUCores)
	}
	fmt.Fprintf(w, ", whole machine %.2f cores (%d CPUs)\n", r.MachineCPUCores, runtime.NumCPU())
	if b := r.Baseline; b != nil {
		fmt.Fprintf(w, "baseline receiver:     %.0f posts/s (%s); bridge/baseline = %.2f\n",
			b.PostsPerSecond, formatStatuses(b.Statuses), b.Ratio)
	}
}

func (p Percentiles) String() string {
	if p.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)", p.P50, p.P99,
		p.Max, p.Count)
}

func formatStatuses(statuses map[int]int) string {
	if len(statuses) == 0 {
		return "none"
	}
	s := ""
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d×%d", statuses[code], code)
	}
	return s
}
