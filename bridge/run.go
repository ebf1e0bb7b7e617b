package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wican-bridge/wican-bridge/broker"
	"github.com/wican-bridge/wican-bridge/config"
	"github.com/wican-bridge/wican-bridge/devicecfg"
	"github.com/wican-bridge/wican-bridge/discovery"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// Run starts the bridge with cfg and serves until ctx ends, then shuts down in order:
// HTTP listeners, a final state save, the MQTT client (marking the bridge offline) and
// the embedded broker.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	st, err := store.Load(cfg.DataDir, log)
	if err != nil {
		return fmt.Errorf("load state from %s: %w", cfg.DataDir, err)
	}
	publicURL := resolvePublicURL(cfg, log)

	mqttURL, stopBroker, err := startBroker(cfg, log)
	if err != nil {
		return err
	}
	defer stopBroker()

	webhookLn, err := net.Listen("tcp", cfg.WebhookAddr)
	if err != nil {
		return fmt.Errorf("webhook listener on %s: %w", cfg.WebhookAddr, err)
	}
	uiLn, err := net.Listen("tcp", cfg.UIAddr)
	if err != nil {
		webhookLn.Close()
		return fmt.Errorf("admin listener on %s: %w", cfg.UIAddr, err)
	}

	topics := ha.Topics{Prefix: cfg.DiscoveryPrefix, Base: cfg.BaseTopic}
	var b *Bridge
	client, err := publish.New(publish.Options{
		Broker: mqttURL, Username: cfg.MQTTUser, Password: cfg.MQTTPassword,
		CAFile: cfg.MQTTCAFile, ClientID: "wican-bridge-" + newWebhookID()[:8],
		StatusTopic: topics.BridgeStatus(), Logger: log,
		OnConnect: func() { b.Republish() },
	})
	if err != nil {
		webhookLn.Close()
		uiLn.Close()
		return err
	}
	b = New(Options{Topics: topics, PublicURL: publicURL, DataDir: cfg.DataDir, Logger: log},
		st, client)
	client.Subscribe(topics.HAStatus(), b.HandleHAStatus)
	for _, filter := range b.ConfigFilters() {
		client.Subscribe(filter, b.HandleConfig)
	}
	b.EnablePairing(devicecfg.New(log, devicecfg.Options{}), PairingOptions{
		Mode: cfg.Pairing, Interval: cfg.Interval, FailoverURL: cfg.FailoverURL,
		Hosts: cfg.HostList(),
	})

	events, err := startDiscovery(ctx, cfg, log)
	if err != nil {
		webhookLn.Close()
		uiLn.Close()
		return err
	}
	return serve(ctx, b, client, events, webhookLn, uiLn, log)
}

// startDiscovery browses for adapters over mDNS when --mdns is on. It returns nil events
// when browsing is off.
func startDiscovery(ctx context.Context, cfg config.Config, log *slog.Logger) (<-chan discovery.Event, error) {
	if !cfg.MDNS {
		log.Info("mDNS browsing is off: adapters are paired from --hosts and the admin API")
		return nil, nil
	}
	if cfg.MDNSInterface != "" {
		if _, err := net.InterfaceByName(cfg.MDNSInterface); err != nil {
			return nil, fmt.Errorf("--mdns-interface %q: %w", cfg.MDNSInterface, err)
		}
	}
	events := make(chan discovery.Event, 16)
	browser := discovery.NewBrowser(discovery.Options{Interface: cfg.MDNSInterface, Logger: log})
	go func() {
		if err := browser.Run(ctx, events); err != nil {
			log.Error("mDNS browsing stopped", "err", err)
		}
	}()
	return events, nil
}

func serve(ctx context.Context, b *Bridge, client *publish.Client,
	events <-chan discovery.Event, webhookLn, uiLn net.Listener, log *slog.Logger) error {
	webhookSrv := newServer(b.WebhookHandler())
	uiSrv := newServer(b.AdminHandler())
	mqttCtx, stopMQTT := context.WithCancel(context.Background())
	bridgeCtx, stopBridge := context.WithCancel(context.Background())

	var wg sync.WaitGroup
	wg.Go(func() { _ = client.Run(mqttCtx) })
	bridgeDone := make(chan struct{})
	go func() { b.Run(bridgeCtx, events); close(bridgeDone) }()
	errs := make(chan error, 2)
	for srv, ln := range map[*http.Server]net.Listener{webhookSrv: webhookLn, uiSrv: uiLn} {
		wg.Go(func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		})
	}
	log.Info("bridge started", "webhook", webhookLn.Addr().String(), "ui", uiLn.Addr().String(),
		"public_url", b.opts.PublicURL)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
		log.Error("HTTP server failed", "err", runErr)
	}

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = webhookSrv.Shutdown(shutdownCtx)
	_ = uiSrv.Shutdown(shutdownCtx)
	stopBridge()
	<-bridgeDone
	client.Flush(shutdownCtx)
	stopMQTT()
	wg.Wait()
	log.Info("bridge stopped")
	return runErr
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

func resolvePublicURL(cfg config.Config, log *slog.Logger) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	url, ok := config.DefaultPublicURL(cfg.WebhookAddr)
	if !ok {
		log.Warn("no LAN IPv4 address found; adapters cannot post to this public URL:"+
			" set --public-url", "public_url", url)
	}
	return url
}

// startBroker returns the broker URL to use. Without --mqtt it starts the embedded broker.
func startBroker(cfg config.Config, log *slog.Logger) (string, func(), error) {
	if cfg.MQTTURL != "" {
		return cfg.MQTTURL, func() {}, nil
	}
	emb, err := broker.Start(cfg.EmbeddedMQTTAddr, cfg.EmbeddedMQTTUser,
		cfg.EmbeddedMQTTPassword, log)
	if err != nil {
		return "", nil, err
	}
	host, port, _ := net.SplitHostPort(emb.Addr())
	local := host
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		local = "127.0.0.1"
	}
	reach := "Home Assistant on this host connects to " + local + ":" + port
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		reach += "; for Home Assistant on another machine, listen on a LAN address with" +
			" --embedded-mqtt-addr 0.0.0.0:" + port + " and set --embedded-mqtt-user and -password"
	}
	log.Info("embedded MQTT broker started: in Home Assistant add the MQTT integration with"+
		" this broker", "addr", emb.Addr(), "how", reach,
		"login_required", cfg.EmbeddedMQTTUser != "")
	return "tcp://" + net.JoinHostPort(local, port), func() { _ = emb.Close() }, nil
}
