package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/wican-bridge/wican-bridge/publish"
)

// errNotLoopback is returned for a target outside 127.0.0.0/8 and ::1 without --allow-remote.
var errNotLoopback = errors.New("not a loopback address")

// checkLoopback rejects a URL whose host is not a loopback IP address or "localhost".
func checkLoopback(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("--%s %q: %w", flagName, raw, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--%s %q: %w: load runs only target this machine unless --allow-remote is given",
		flagName, raw, errNotLoopback)
}

// createWebhooks creates n webhooks through the bridge's admin API, eight at a time,
// and returns their ids.
func createWebhooks(ctx context.Context, client *http.Client, admin string,
	n int) ([]string, error) {
	ids := make([]string, n)
	errs := make(chan error, 1)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(8, n) {
		wg.Go(func() {
			for i := range jobs {
				id, err := createWebhook(ctx, client, admin, "wican-load "+strconv.Itoa(i+1))
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				ids[i] = id
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
		return ids, nil
	}
}

func createWebhook(ctx context.Context, client *http.Client, admin, name string) (string, error) {
	body, _ := json.Marshal(map[string]string{"name": name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, admin+"/api/webhooks",
		bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("create webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("create webhook: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("create webhook: read response: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create webhook: status %d, want 201: %s", resp.StatusCode, data)
	}
	var info struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &info); err != nil || info.ID == "" {
		return "", fmt.Errorf("create webhook: response has no id: %s", data)
	}
	return info.ID, nil
}

// subscribe connects to the broker and feeds every message under filter to t.
func subscribe(broker, filter string, t *tracker) (mqtt.Client, error) {
	opts := mqtt.NewClientOptions().
		AddBroker(broker).
		SetClientID("wican-load-" + strconv.FormatInt(time.Now().UnixNano(), 36)).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second)
	// The buffered connection saves the system calls of paho's byte-wise reads and of a
	// write per PUBACK, which at thousands of messages per second cost the load tool
	// about a fifth of its CPU.
	publish.UseBufferedConnection(opts)
	client := mqtt.NewClient(opts)
	if tok := client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("connect to MQTT broker %s: %w", broker, cmpErr(tok.Error()))
	}
	tok := client.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		t.receive(m.Topic(), m.Payload(), m.Retained(), time.Now())
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		client.Disconnect(0)
		return nil, fmt.Errorf("subscribe to %s: %w", filter, cmpErr(tok.Error()))
	}
	return client, nil
}

var errTimedOut = errors.New("timed out after 10 s")

func cmpErr(err error) error {
	if err == nil {
		return errTimedOut
	}
	return err
}

// startBaseline starts the do-nothing webhook receiver on a free loopback port: it
// reads the body, decodes it into map[string]any and responds 200. It returns the base
// URL and a function that stops the server.
func startBaseline() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("baseline listener: %w", err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
		var v map[string]any
		if err != nil || json.Unmarshal(body, &v) != nil {
			http.Error(w, "invalid body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 90 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}
