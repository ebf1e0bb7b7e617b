package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// postProxy forwards the adapters' webhook posts to the bridge and records each post and
// the bridge's response in the ledger. The adapters post to it because the bridge's
// --public-url names it.
type postProxy struct {
	bridge string // base URL of the bridge's webhook listener
	client *http.Client
	ledger *ledger

	inFlight          atomic.Int64
	forwarded, failed atomic.Int64
	statuses          sync.Map // HTTP status code to *atomic.Int64
}

// maxPostBody is larger than the bridge's limit, so the bridge and not the proxy rejects
// an oversized post.
const maxPostBody = 1 << 20

func newPostProxy(bridge string, l *ledger) *postProxy {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &postProxy{bridge: bridge, ledger: l, client: &http.Client{Transport: tr}}
}

func (p *postProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPostBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}

	// The bridge's response must reach the ledger even when the adapter gives up
	// waiting, so the forwarded request does not end with the adapter's.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, p.bridge+r.URL.RequestURI(),
		bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, h := range []string{"Content-Type", "Content-Encoding", "User-Agent"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	p.forwarded.Add(1)
	resp, err := p.client.Do(req)
	if err != nil {
		p.failed.Add(1)
		p.ledger.recordPost(r.URL.Path, body, false, time.Now())
		http.Error(w, "bridge unreachable", http.StatusBadGateway)
		return
	}
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	p.count(resp.StatusCode)
	p.ledger.recordPost(r.URL.Path, body, resp.StatusCode/100 == 2, time.Now())

	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

func (p *postProxy) count(status int) {
	n, _ := p.statuses.LoadOrStore(status, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

// statusCounts returns the bridge's responses by HTTP status.
func (p *postProxy) statusCounts() map[int]int64 {
	out := map[int]int64{}
	p.statuses.Range(func(k, v any) bool {
		out[k.(int)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// waitIdle waits until no post is being forwarded, at most timeout.
func (p *postProxy) waitIdle(ctx context.Context, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for p.inFlight.Load() > 0 {
		if time.Now().After(deadline) || !sleep(ctx, 20*time.Millisecond) {
			return false
		}
	}
	return true
}

// apiProxy gives each adapter's HTTP API a second address, which the bridge gets in
// --hosts, so that the values of the bridge's own GET /autopid_data reads reach the
// ledger. Other requests pass through unchanged.
type apiProxy struct {
	ledger   *ledger
	srv      *http.Server
	byAddr   map[string]*httputil.ReverseProxy // listening address to the adapter's proxy
	requests sync.Map                          // "METHOD path" to *atomic.Int64
	wg       sync.WaitGroup
}

// startAPIProxy listens on one free loopback port per adapter and returns the addresses
// in the order of adapters.
func startAPIProxy(adapters []simAdapter, l *ledger) (*apiProxy, []string, error) {
	p := &apiProxy{ledger: l, byAddr: map[string]*httputil.ReverseProxy{}}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var listeners []net.Listener
	var addrs []string
	for _, a := range adapters {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, nil, fmt.Errorf("listen for the API proxy of %s: %w", a.DeviceID, err)
		}
		listeners = append(listeners, ln)
		addrs = append(addrs, ln.Addr().String())
		p.byAddr[ln.Addr().String()] = p.reverseProxy(a, tr)
	}
	for _, ln := range listeners {
		p.wg.Go(func() { _ = p.srv.Serve(ln) })
	}
	return p, addrs, nil
}

func (p *apiProxy) reverseProxy(a simAdapter, tr http.RoundTripper) *httputil.ReverseProxy {
	target := &url.URL{Scheme: "http", Host: a.API}
	return &httputil.ReverseProxy{
		Transport: tr,
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		ModifyResponse: func(resp *http.Response) error {
			req := resp.Request
			if req.Method != http.MethodGet || req.URL.Path != "/autopid_data" ||
				resp.StatusCode != http.StatusOK {
				return nil
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxPostBody))
			resp.Body.Close()
			if err != nil {
				return err
			}
			resp.Body = io.NopCloser(bytes.NewReader(body))
			p.ledger.recordRead(a.DeviceID, body, time.Now())
			return nil
		},
	}
}

func (p *apiProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	var rp *httputil.ReverseProxy
	if local != nil {
		rp = p.byAddr[local.String()]
	}
	if rp == nil {
		http.Error(w, "no adapter behind this address", http.StatusBadGateway)
		return
	}
	n, _ := p.requests.LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	rp.ServeHTTP(w, r)
}

// requestCounts returns the bridge's requests to the adapters' APIs by method and path.
func (p *apiProxy) requestCounts() map[string]int64 {
	out := map[string]int64{}
	p.requests.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// close stops every listener of the proxy.
func (p *apiProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	_ = p.srv.Close()
	p.wg.Wait()
}
