// Package devicecfg talks to the configuration API of WiCAN adapters.
//
// It reads and pushes the webhook settings and reads the per-parameter metadata and
// the current values. It never calls the endpoints that return passwords or reboot
// the adapter.
package devicecfg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	defaultTimeout = 5 * time.Second
	defaultRetries = 2
	// maxBody bounds what is read from an adapter; real responses are a few KiB.
	maxBody = 1 << 20
	// maxErrText bounds the device text carried in a StatusError.
	maxErrText = 200
	maxBackoff = 2 * time.Second
)

// Options configures a Client; zero values take the defaults.
type Options struct {
	// Timeout bounds one attempt; 5 s when zero.
	Timeout time.Duration
	// Retries is the number of extra attempts on network errors and 5xx responses;
	// 2 when zero, none when negative.
	Retries int
	// HTTPClient sends the requests; a client that does not follow redirects when nil.
	HTTPClient *http.Client
}

// Client calls the HTTP API of WiCAN adapters; it is safe for concurrent use.
type Client struct {
	log     *slog.Logger
	http    *http.Client
	timeout time.Duration
	retries int
	backoff time.Duration // first pause between attempts, doubled each time
}

// New returns a Client with the defaults of Options filled in.
func New(logger *slog.Logger, opts Options) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		log:     logger,
		http:    opts.HTTPClient,
		timeout: opts.Timeout,
		retries: opts.Retries,
		backoff: 250 * time.Millisecond,
	}
	if c.http == nil {
		// The adapter never redirects; following one would leave the adapter.
		c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.retries == 0 {
		c.retries = defaultRetries
	}
	if c.retries < 0 {
		c.retries = 0
	}
	return c
}

// request is one call to the adapter API.
type request struct {
	host   string
	call   string // short name for logs, e.g. "get webhook"
	method string
	path   string
	body   []byte
}

// do sends r, retrying network errors and 5xx responses, and returns the body of the
// first 2xx response. Other responses end as a *StatusError.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	base, err := baseURL(r.host)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt <= c.retries; attempt++ {
		if attempt > 0 {
			if err := c.pause(ctx, attempt); err != nil {
				return nil, lastErr
			}
		}

		body, err := c.once(ctx, base+r.path, r)
		if err == nil {
			return body, nil
		}
		lastErr = err
		if !retryable(ctx, err) {
			return nil, err
		}
		c.log.Debug("adapter call failed", "host", r.host, "call", r.call,
			"attempt", attempt+1, "err", err)
	}
	return nil, lastErr
}

// pause waits before attempt n (1-based), or until ctx ends.
func (c *Client) pause(ctx context.Context, n int) error {
	d := min(c.backoff<<(n-1), maxBackoff)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once makes a single attempt bounded by the per-attempt timeout.
func (c *Client) once(ctx context.Context, target string, r request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	// The adapter's web server has a handful of sockets; do not hold one idle.
	req.Close = true

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	data, err := readLimited(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newStatusError(resp.StatusCode, data)
	}
	return data, nil
}

// retryable reports whether another attempt may help: network errors and 5xx
// responses, unless the caller's context has ended.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	return !errors.Is(err, errTooLarge)
}

// getJSON GETs path and decodes the JSON answer into v.
func (c *Client) getJSON(ctx context.Context, host, call, path string, v any) error {
	body, err := c.do(ctx, request{host: host, call: call, method: http.MethodGet, path: path})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// readLimited reads a body of at most maxBody bytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxBody {
		return nil, errTooLarge
	}
	return data, nil
}

// baseURL turns "name", "name:port", "1.2.3.4[:port]" or "[v6][:port]" into
// "http://host[:port]".
func baseURL(host string) (string, error) {
	if host == "" || strings.ContainsAny(host, "/?#@ \t\r\n") {
		return "", fmt.Errorf("%w %q", ErrBadHost, host)
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		// No port: a name, an IPv4 address or an IPv6 address with or without brackets.
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ""
	}
	if name == "" {
		return "", fmt.Errorf("%w %q", ErrBadHost, host)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%w %q: bad port", ErrBadHost, host)
		}
	}

	hostport := name
	if strings.Contains(name, ":") {
		hostport = "[" + name + "]"
	}
	if port != "" {
		hostport = net.JoinHostPort(name, port)
	}
	u := url.URL{Scheme: "http", Host: hostport}
	return u.String(), nil
}
