package bridge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wican-bridge/wican-bridge/broker"
	"github.com/wican-bridge/wican-bridge/config"
	"github.com/wican-bridge/wican-bridge/devicecfg"
	"github.com/wican-bridge/wican-bridge/discovery"
	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
	"github.com/wican-bridge/wican-bridge/supervisor"
)

// Run starts the bridge with cfg and serves until ctx ends, then shuts down in order:
// HTTP listeners, a final state save, the MQTT client (marking the bridge offline) and
// the embedded broker.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// Each webhook becomes an adapter as soon as it is read, so that the decoded values
	// and metadata of a fleet are never in memory all at once.
	var adapters []*adapter
	st, err := store.LoadEach(cfg.DataDir, log, func(hook *store.Webhook) {
		adapters = append(adapters, newAdapter(hook))
	})
	if err != nil {
		return fmt.Errorf("load state from %s: %w", cfg.DataDir, err)
	}
	publicURL := resolvePublicURL(cfg, log)

	webhookLn, err := net.Listen("tcp", cfg.WebhookAddr)
	if err != nil {
		return fmt.Errorf("webhook listener on %s: %w", cfg.WebhookAddr, err)
	}
	uiLn, err := net.Listen("tcp", cfg.UIAddr)
	if err != nil {
		webhookLn.Close()
		return fmt.Errorf("admin listener on %s: %w", cfg.UIAddr, err)
	}
	tlsLn, err := listenTLS(cfg)
	if err != nil {
		webhookLn.Close()
		uiLn.Close()
		return err
	}
	lns := listeners{webhook: webhookLn, ui: uiLn, tls: tlsLn}
	ui := newSwitchHandler()
	uiSrv := newServer(ui)
	uiDone := make(chan struct{})
	go func() { _ = uiSrv.Serve(uiLn); close(uiDone) }()
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = uiSrv.Shutdown(shutdownCtx)
		<-uiDone
	}()

	broker, stopBroker, err := resolveBroker(ctx, cfg, log)
	if err != nil {
		lns.close()
		return err
	}
	defer stopBroker()

	topics := ha.Topics{Prefix: cfg.DiscoveryPrefix, Base: cfg.BaseTopic}
	var b *Bridge
	client, err := publish.New(publish.Options{
		Broker: broker.url, Username: broker.user, Password: broker.password,
		CAFile: cfg.MQTTCAFile, ClientID: "wican-bridge-" + newWebhookID()[:8],
		StatusTopic: topics.BridgeStatus(), Logger: log,
		OnConnect: func() { b.Republish() },
		OnFailure: func() { b.Republish() },
	})
	if err != nil {
		lns.close()
		return err
	}
	b = newBridge(Options{Topics: topics, PublicURL: publicURL, DataDir: cfg.DataDir, Logger: log,
		UIAccess: uiAccess(cfg)}, adapters, st.Ignored, client)
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
		lns.close()
		return err
	}
	ui.set(b.AdminHandler())
	return serve(ctx, b, client, events, lns, log)
}

// listeners are the bridge's open sockets. tls is nil without a certificate.
type listeners struct {
	webhook, ui, tls net.Listener
}

func (l listeners) close() {
	for _, ln := range []net.Listener{l.webhook, l.ui, l.tls} {
		if ln != nil {
			ln.Close()
		}
	}
}

// listenTLS opens the optional HTTPS webhook listener, for a failover URL reached from
// outside the LAN.
func listenTLS(cfg config.Config) (net.Listener, error) {
	if cfg.WebhookTLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.WebhookTLSCert, cfg.WebhookTLSKey)
	if err != nil {
		return nil, fmt.Errorf("webhook TLS certificate %s and key %s: %w", cfg.WebhookTLSCert,
			cfg.WebhookTLSKey, err)
	}
	ln, err := tls.Listen("tcp", cfg.WebhookTLSAddr, &tls.Config{
		Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("webhook TLS listener on %s: %w", cfg.WebhookTLSAddr, err)
	}
	return ln, nil
}

// supervisorIngress is the address from which Home Assistant's ingress proxy connects.
const supervisorIngress = "172.30.32.2"

func uiAccess(cfg config.Config) UIAccess {
	access := UIAccess{Password: cfg.UIPassword}
	if cfg.Addon {
		access.AllowedIPs = []string{supervisorIngress}
	}
	return access
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
	events <-chan discovery.Event, lns listeners, log *slog.Logger) error {
	servers := map[*http.Server]net.Listener{newServer(b.WebhookHandler()): lns.webhook}
	if lns.tls != nil {
		servers[newServer(b.WebhookHandler())] = lns.tls
	}
	mqttCtx, stopMQTT := context.WithCancel(context.Background())
	bridgeCtx, stopBridge := context.WithCancel(context.Background())

	var wg sync.WaitGroup
	wg.Go(func() { _ = client.Run(mqttCtx) })
	bridgeDone := make(chan struct{})
	go func() { b.Run(bridgeCtx, events); close(bridgeDone) }()
	errs := make(chan error, len(servers))
	for srv, ln := range servers {
		wg.Go(func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		})
	}
	log.Info("bridge started", "webhook", lns.webhook.Addr().String(),
		"ui", lns.ui.Addr().String(), "public_url", b.opts.PublicURL)
	if lns.tls != nil {
		log.Info("HTTPS webhook listener started", "addr", lns.tls.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
		log.Error("HTTP server failed", "err", runErr)
	}

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for srv := range servers {
		_ = srv.Shutdown(shutdownCtx)
	}
	stopBridge()
	<-bridgeDone
	client.Flush(shutdownCtx)
	stopMQTT()
	wg.Wait()
	log.Info("bridge stopped")
	return runErr
}

// serverTimeouts bound how long a client may hold a connection: a slow client that
// trickles its headers, or an idle keep-alive connection, is cut off.
var serverTimeouts = struct{ header, read, idle time.Duration }{
	header: 10 * time.Second, read: 30 * time.Second, idle: 90 * time.Second,
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: serverTimeouts.header,
		ReadTimeout:       serverTimeouts.read,
		WriteTimeout:      serverTimeouts.read,
		IdleTimeout:       serverTimeouts.idle,
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

// brokerLogin is the broker the bridge publishes to.
type brokerLogin struct {
	url, user, password string
}

// resolveBroker picks the broker: --mqtt when given, else the Supervisor's MQTT service in
// the add-on, else the embedded broker.
func resolveBroker(ctx context.Context, cfg config.Config, log *slog.Logger) (brokerLogin, func(), error) {
	if cfg.MQTTURL != "" {
		return brokerLogin{cfg.MQTTURL, cfg.MQTTUser, cfg.MQTTPassword}, func() {}, nil
	}
	if cfg.Addon {
		login, err := waitForSupervisorMQTT(ctx, log)
		return login, func() {}, err
	}
	return startEmbedded(cfg, log)
}

// waitForSupervisorMQTT requests the MQTT service from the Supervisor until one exists.
func waitForSupervisorMQTT(ctx context.Context, log *slog.Logger) (brokerLogin, error) {
	token := os.Getenv(supervisor.TokenEnv)
	for {
		reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		m, err := supervisor.MQTTService(reqCtx, http.DefaultClient, "http://supervisor", token)
		cancel()
		if err == nil {
			log.Info("using the MQTT broker from the Supervisor", "broker", m.URL())
			return brokerLogin{m.URL(), m.Username, m.Password}, nil
		}
		if errors.Is(err, supervisor.ErrNoMQTTService) {
			log.Error("no MQTT broker in Home Assistant: install and start the Mosquitto "+
				"broker add-on, or set the mqtt option; retrying in 30 s", "err", err)
		} else {
			log.Warn("asking the Supervisor for the MQTT service failed; retrying in 30 s", "err", err)
		}
		select {
		case <-ctx.Done():
			return brokerLogin{}, ctx.Err()
		case <-time.After(30 * time.Second):
		}
	}
}

// switchHandler serves a placeholder until the bridge's handler is ready, so that the
// add-on's watchdog sees a healthy /healthz while the bridge waits for its broker.
type switchHandler struct {
	h atomic.Pointer[http.Handler]
}

func newSwitchHandler() *switchHandler {
	s := &switchHandler{}
	var starting http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = io.WriteString(w, "ok\n")
			return
		}
		http.Error(w, "the bridge is starting: it waits for its MQTT broker", http.StatusServiceUnavailable)
	})
	s.h.Store(&starting)
	return s
}

func (s *switchHandler) set(h http.Handler) { s.h.Store(&h) }

func (s *switchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// startEmbedded starts the embedded broker and logs how Home Assistant connects to it.
func startEmbedded(cfg config.Config, log *slog.Logger) (brokerLogin, func(), error) {
	emb, err := broker.Start(cfg.EmbeddedMQTTAddr, cfg.EmbeddedMQTTUser,
		cfg.EmbeddedMQTTPassword, log)
	if err != nil {
		return brokerLogin{}, nil, err
	}
	host, port, _ := net.SplitHostPort(emb.Addr())
	local := host
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		local = "127.0.0.1"
	}
	var how string
	switch {
	case ip != nil && ip.IsLoopback():
		how = "Home Assistant on this host connects to " + local + ":" + port + "; for Home " +
			"Assistant on another machine, listen on a LAN address with --embedded-mqtt-addr " +
			"0.0.0.0:" + port + " and set --embedded-mqtt-user and --embedded-mqtt-password"
	case ip != nil && ip.IsUnspecified():
		lan := config.LANAddress()
		if lan == "" {
			lan = "<this host's LAN address>"
		}
		how = "Home Assistant connects to " + lan + ":" + port + " (or " + local + ":" + port +
			" on this host)"
	default:
		how = "Home Assistant connects to " + host + ":" + port
	}
	log.Info("embedded MQTT broker started: in Home Assistant add the MQTT integration with"+
		" this broker", "addr", emb.Addr(), "how", how,
		"login_required", cfg.EmbeddedMQTTUser != "")
	if (ip == nil || !ip.IsLoopback()) && cfg.EmbeddedMQTTUser == "" {
		log.Warn("the embedded MQTT broker accepts anyone on the network without a login: set "+
			"--embedded-mqtt-user and --embedded-mqtt-password", "addr", emb.Addr())
	}
	login := brokerLogin{"tcp://" + net.JoinHostPort(local, port), cfg.EmbeddedMQTTUser,
		cfg.EmbeddedMQTTPassword}
	return login, func() { _ = emb.Close() }, nil
}
