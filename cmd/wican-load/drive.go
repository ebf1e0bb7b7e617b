package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// phaseResult is the outcome of one stretch of posting.
type phaseResult struct {
	posts     int
	elapsed   time.Duration
	statuses  map[int]int // posts by HTTP status, without transport errors
	errors    int
	firstErr  error
	latencies []time.Duration
}

func (r *phaseResult) add(o *phaseResult) {
	r.posts += o.posts
	r.errors += o.errors
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	for status, n := range o.statuses {
		r.statuses[status] += n
	}
	r.latencies = append(r.latencies, o.latencies...)
}

// driver posts to simulated adapters with a fixed pool of workers.
type driver struct {
	client   *http.Client
	webhook  string // base URL of the webhook listener
	adapters []*simAdapter
	seq      *valueSeq
	tracker  *tracker // nil when nothing listens on MQTT, as for the baseline
	changed  int
	shape    string
	workers  int
}

// newHTTPClient returns a client that keeps one connection per worker alive and never
// goes through a proxy, so that every request stays on the target address.
func newHTTPClient(workers int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        2 * workers,
		MaxIdleConnsPerHost: 2 * workers,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// run posts job after job, job n going to adapter n mod the adapter count, until
// maxPosts were sent or duration has passed. With rate 0 the workers post as fast as
// the target responds. Otherwise jobs are released at rate posts/s in total.
func (d *driver) run(ctx context.Context, rate, maxPosts int, duration time.Duration) phaseResult {
	start := time.Now()
	deadline := start.Add(duration)
	next := d.freeRunning(maxPosts, deadline)
	if rate > 0 {
		jobs := make(chan int, d.workers)
		go pace(ctx, jobs, rate, maxPosts, deadline)
		next = func() (int, bool) {
			n, ok := <-jobs
			return n, ok
		}
	}

	results := make([]phaseResult, d.workers)
	var wg sync.WaitGroup
	for w := range results {
		results[w].statuses = map[int]int{}
		wg.Go(func() { d.work(ctx, next, &results[w]) })
	}
	wg.Wait()

	total := phaseResult{statuses: map[int]int{}, elapsed: time.Since(start)}
	for i := range results {
		total.add(&results[i])
	}
	return total
}

func (d *driver) freeRunning(maxPosts int, deadline time.Time) func() (int, bool) {
	var counter atomic.Int64
	return func() (int, bool) {
		n := int(counter.Add(1) - 1)
		return n, n < maxPosts && time.Now().Before(deadline)
	}
}

// pace releases jobs so that by any moment rate × elapsed jobs are due. A worker pool
// that falls behind receives the backlog as fast as it takes it.
func pace(ctx context.Context, jobs chan<- int, rate, maxPosts int, deadline time.Time) {
	defer close(jobs)
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < maxPosts; {
		var now time.Time
		select {
		case <-ctx.Done():
			return
		case now = <-tick.C:
		}
		if !now.Before(deadline) {
			return
		}
		due := min(int(float64(rate)*now.Sub(start).Seconds()), maxPosts)
		for ; sent < due; sent++ {
			select {
			case jobs <- sent:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (d *driver) work(ctx context.Context, next func() (int, bool), res *phaseResult) {
	var p post
	for ctx.Err() == nil {
		n, ok := next()
		if !ok {
			return
		}
		d.postOne(ctx, d.adapters[n%len(d.adapters)], &p, res)
	}
}

// postOne sends the adapter's next post and records its status and latency.
func (d *driver) postOne(ctx context.Context, a *simAdapter, p *post, res *phaseResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextPost(p, d.seq, d.changed, d.shape)
	url := d.webhook + "/api/webhook/" + a.webhook
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(p.body))
	if err != nil {
		a.revert(p)
		res.fail(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wican-load")

	start := time.Now()
	if d.tracker != nil {
		d.tracker.expect(p.slots, p.values, start)
	}
	status, err := send(d.client, req)
	res.latencies = append(res.latencies, time.Since(start))
	res.posts++
	if err != nil {
		res.fail(err)
	} else {
		res.statuses[status]++
	}
	if status != http.StatusOK {
		a.revert(p)
		if d.tracker != nil {
			d.tracker.forget(p.slots, p.values, p.previous)
		}
	}
}

func send(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Draining the body lets the connection be reused.
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func (r *phaseResult) fail(err error) {
	r.errors++
	if r.firstErr == nil {
		r.firstErr = err
	}
}
