package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Report is the outcome of a soak run.
type Report struct {
	cfg Config

	PairTime   time.Duration // from the bridge's start until every adapter was managed, or 0
	ValuesTime time.Duration // from the bridge's start until every adapter had states on MQTT, or 0

	Samples []sample
	machine []cpuPoint // machine-wide CPU time at each sample
	Outage  *outageResult

	ProxyStatuses map[int]int64    // the bridge's responses to posts, by HTTP status
	ProxyFailed   int64            // posts the bridge did not respond to
	UnmappedPosts int              // posts whose adapter the ledger could not identify
	APIRequests   map[string]int64 // the bridge's requests to adapter APIs, by method and path

	// Complete is set when the run reached the final check. The fields below it are valid
	// only then.
	Complete       bool
	UnreadAdapters int // adapters whose final GET /autopid_data failed
	Check          checkResult
	BridgeExit     string
	BridgeLog      logSummary
}

// cpuPoint is the machine's busy and total CPU time at one sample.
type cpuPoint struct {
	at          time.Duration
	busy, total time.Duration
}

// outageResult describes the broker outage and the recovery after it.
type outageResult struct {
	Signal      string
	Length      time.Duration
	RestartedAt time.Duration // since the bridge's start
	Topics      int           // state topics seen before the outage
	// BridgeReconnectedIn is the time from the restart until the bridge's /metrics showed
	// its MQTT connection up, or 0 when it never did.
	BridgeReconnectedIn time.Duration
	Recovered           bool          // every one of them got a message after the restart
	RecoveredIn         time.Duration // from the restart to the last of those messages
	Missing             int           // topics without a message after the restart, when not Recovered
}

func newReport(cfg Config) *Report { return &Report{cfg: cfg} }

// Failed reports whether the run lost a value or the bridge failed to stop cleanly.
func (r *Report) Failed() bool {
	return r.Check.Failed() || r.BridgeExit != "exit status 0"
}

// sampleNamed returns the first sample with note, or nil.
func (r *Report) sampleNamed(note string) *sample {
	for i := range r.Samples {
		if r.Samples[i].Note == note {
			return &r.Samples[i]
		}
	}
	return nil
}

// Print writes the report as Markdown: the figures, the mismatches and the samples.
func (r *Report) Print(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "## wican-soak report\n\n")
	fmt.Fprintf(w, "| figure | value |\n| --- | --- |\n")
	row := func(name, format string, args ...any) {
		fmt.Fprintf(w, "| %s | %s |\n", name, fmt.Sprintf(format, args...))
	}
	row("adapters", "%d (%d Pro changed-mode, %d non-Pro full-mode)", c.Adapters(), c.Pro, c.NonPro)
	row("interval, duration", "%s, %s", c.Interval, c.Duration)
	row("all adapters paired after", "%s", orNever(r.PairTime, "not within --pair-timeout"))
	row("all adapters' values on MQTT after", "%s", orNever(r.ValuesTime, "not within --pair-timeout"))
	r.printPosts(row)
	r.printResources(row)
	r.printOutage(row)
	if !r.Complete {
		row("final check", "not done: the run ended early")
		r.printSamples(w)
		return
	}
	r.printCheck(row)
	row("bridge exit after SIGTERM", "%s", r.BridgeExit)
	row("bridge log", "%d warnings, %d errors", r.BridgeLog.Warnings, r.BridgeLog.Errors)

	r.printMismatches(w)
	if len(r.BridgeLog.Messages) > 0 {
		fmt.Fprintf(w, "\nBridge warnings and errors by message:\n\n")
		for _, msg := range slices.Sorted(maps.Keys(r.BridgeLog.Messages)) {
			fmt.Fprintf(w, "- %d × %s\n", r.BridgeLog.Messages[msg], msg)
		}
	}
	r.printSamples(w)
}

func (r *Report) printPosts(row func(string, string, ...any)) {
	if end := r.sampleNamed("settled"); end != nil {
		row("posts accepted / rejected (bridge /metrics)", "%d / %d", end.Accepted, end.Rejected)
	}
	row("posts through the proxy, by bridge response", "%s, %d without response",
		formatStatuses(r.ProxyStatuses), r.ProxyFailed)
	if r.UnmappedPosts > 0 {
		row("posts from an unknown adapter, left out of the check", "%d", r.UnmappedPosts)
	}
	row("bridge requests to adapter APIs", "%s", formatRequests(r.APIRequests))
	start, end := r.sampleNamed("paired"), r.sampleNamed("end of run")
	if start != nil && end != nil && end.At > start.At {
		posts := end.Accepted - start.Accepted
		row("posts/s accepted, paired to end of run", "%.1f", float64(posts)/(end.At-start.At).Seconds())
	}
}

func (r *Report) printResources(row func(string, string, ...any)) {
	start, middle := r.sampleNamed("paired"), r.sampleNamed("before outage")
	runEnd, end := r.sampleNamed("end of run"), r.sampleNamed("settled")
	var peak sample
	for _, s := range r.Samples {
		if s.RSS > peak.RSS {
			peak = s
		}
	}
	row("bridge RSS start / middle / end / max (MiB)", "%s / %s / %s / %s at %s",
		rss(start), rss(middle), rss(end), mib(peak.RSS), peak.At.Round(time.Second))
	if start == nil || runEnd == nil || runEnd.Accepted == start.Accepted {
		return
	}
	cpu := (runEnd.CPU - start.CPU).Seconds()
	posts := float64(runEnd.Accepted - start.Accepted)
	row("bridge CPU per 1000 posts, paired to end of run", "%.3f s (%.1f s for %.0f posts)",
		cpu/posts*1000, cpu, posts)
	row("bridge CPU, share of one core", "%.1f %%", 100*cpu/(runEnd.At-start.At).Seconds())
	if len(r.machine) >= 2 {
		first, last := r.machine[0], r.machine[len(r.machine)-1]
		for _, p := range r.machine {
			if p.at <= runEnd.At {
				last = p
			}
		}
		row("machine CPU busy, all cores", "%.0f %%",
			100*float64(last.busy-first.busy)/float64(last.total-first.total))
	}
}

func (r *Report) printOutage(row func(string, string, ...any)) {
	o := r.Outage
	switch {
	case o == nil && r.cfg.Outage == 0:
		row("broker outage", "none")
		return
	case o == nil:
		row("broker outage", "not completed")
		return
	}
	row("broker outage", "%s for %s, restarted at %s", o.Signal, o.Length,
		o.RestartedAt.Round(time.Second))
	row("bridge reconnected after the restart", "%s", orNever(o.BridgeReconnectedIn, "no"))
	if o.Recovered {
		row("every state topic on MQTT again after the restart", "%s (%d topics)",
			o.RecoveredIn.Round(10*time.Millisecond), o.Topics)
		return
	}
	row("every state topic on MQTT again after the restart", "no: %d of %d topics never came back",
		o.Missing, o.Topics)
}

func (r *Report) printCheck(row func(string, string, ...any)) {
	ch := r.Check
	row("final values checked", "%d, of %d adapters (%d not readable at the end)",
		ch.Checked, r.cfg.Adapters(), r.UnreadAdapters)
	row("lost final values", "%d", len(ch.Lost))
	row("parameters never received by the bridge", "%d", len(ch.NeverReceived))
	row("stale after a bridge read of autopid_data", "%d", len(ch.StaleAfterRead))
	row("behind the adapter after a failed post (firmware behaviour)", "%d", len(ch.FailedPosts))
	row("post and read too close to order", "%d", ch.Races)
}

func (r *Report) printMismatches(w io.Writer) {
	groups := []struct {
		title string
		list  []mismatch
	}{
		{"Lost final values", r.Check.Lost},
		{"Parameters never received by the bridge", r.Check.NeverReceived},
		{"Stale after a bridge read", r.Check.StaleAfterRead},
		{"Behind the adapter after a failed post", r.Check.FailedPosts},
	}
	for _, g := range groups {
		if len(g.list) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d, at most 50 shown):\n\n", g.title, len(g.list))
		for _, m := range g.list[:min(len(g.list), 50)] {
			fmt.Fprintf(w, "- %s\n", m)
		}
	}
}

func (r *Report) printSamples(w io.Writer) {
	fmt.Fprintf(w, "\n| time | RSS MiB | CPU s | accepted | rejected | managed | MQTT | queued |"+
		" note |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range r.Samples {
		up := "down"
		if s.MQTTUp {
			up = "up"
		}
		fmt.Fprintf(w, "| %s | %s | %.1f | %d | %d | %d | %s | %d | %s |\n", s.At.Round(time.Second),
			mib(s.RSS), s.CPU.Seconds(), s.Accepted, s.Rejected, s.Managed, up, s.Queued, s.Note)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

func rss(s *sample) string {
	if s == nil {
		return "-"
	}
	return mib(s.RSS)
}

// orNever formats d, or returns never when d is 0.
func orNever(d time.Duration, never string) string {
	if d == 0 {
		return never
	}
	return d.Round(10 * time.Millisecond).String()
}

func formatStatuses(m map[int]int64) string {
	out := ""
	for _, code := range slices.Sorted(maps.Keys(m)) {
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%d × HTTP %d", m[code], code)
	}
	if out == "" {
		return "none"
	}
	return out
}

func formatRequests(m map[string]int64) string {
	out := ""
	for _, req := range slices.Sorted(maps.Keys(m)) {
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s %d", req, m[req])
	}
	if out == "" {
		return "none"
	}
	return out
}
