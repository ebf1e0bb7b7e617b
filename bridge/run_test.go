package bridge

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/config"
	"github.com/wican-bridge/wican-bridge/mqtttest"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runBridge starts Run with args and stops it when the test ends.
func runBridge(t *testing.T, args ...string) (config.Config, *syncBuffer) {
	t.Helper()
	base := []string{"--mdns=false", "--webhook-addr", freePort(t), "--ui-addr", freePort(t),
		"--data-dir", t.TempDir()}
	cfg, err := config.Load(append(base, args...), func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitHTTP(t, "http://"+cfg.UIAddr+"/api/status", cfg.UIPassword)
	return cfg, logs
}

// waitHTTP waits until url responds 200, which the admin API does once the bridge runs.
func waitHTTP(t *testing.T, url, password string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if password != "" {
			req.SetBasicAuth("admin", password)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 5 s", url)
}

func createWebhookAt(t *testing.T, uiAddr string) WebhookInfo {
	t.Helper()
	resp, err := http.Post("http://"+uiAddr+"/api/webhooks", "application/json",
		strings.NewReader(`{"name":"Golf"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info WebhookInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info
}

func TestRunWithEmbeddedBroker(t *testing.T) {
	mqttAddr := freePort(t)
	cfg, logs := runBridge(t, "--embedded-mqtt-addr", mqttAddr)
	sub := mqtttest.Subscribe(t, "tcp://"+mqttAddr, "#")

	hook := createWebhookAt(t, cfg.UIAddr)
	if len(hook.ID) != 32 {
		t.Errorf("webhook id %q is not 128 bits in hex", hook.ID)
	}
	url := "http://" + cfg.WebhookAddr + "/api/webhook/" + hook.ID
	for _, name := range []string{"pro-full.json", "pro-changed.json"} {
		resp, err := http.Post(url, "application/json", strings.NewReader(string(fixture(t, name))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("post %s: status %d", name, resp.StatusCode)
		}
	}
	sub.WaitFor(t, 5*time.Second, "states on the embedded broker", func(l map[string]string) bool {
		return l["wican-bridge/"+proNode+"/0D-VehicleSpeed"] == "47" &&
			l["wican-bridge/"+proNode+"/SOC"] == "71.4"
	})
	if !strings.Contains(logs.String(), "embedded MQTT broker started") {
		t.Error("the log does not say how to connect to the embedded broker")
	}
	if strings.Contains(logs.String(), hook.ID) {
		t.Error("the log holds the whole webhook id")
	}
}

func TestRunFailsWhenBrokerPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg, err := config.Load([]string{"--mdns=false", "--webhook-addr", freePort(t), "--ui-addr",
		freePort(t), "--data-dir", t.TempDir(), "--embedded-mqtt-addr", ln.Addr().String()},
		func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--mqtt") {
		t.Errorf("Run with a taken broker port: %v, want a message naming the fix", err)
	}
}

func TestUIPasswordRequired(t *testing.T) {
	cfg, _ := runBridge(t, "--embedded-mqtt-addr", freePort(t), "--ui-password", "s3cret")
	resp, err := http.Get("http://" + cfg.UIAddr + "/api/devices")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the password: status %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+cfg.UIAddr+"/api/devices", nil)
	req.SetBasicAuth("admin", "s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with the password: status %d, want 200", resp.StatusCode)
	}
	resp, err = http.Get("http://" + cfg.UIAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without the password: status %d, want 200 for the watchdog", resp.StatusCode)
	}
}

func TestAddonServesOnlyIngress(t *testing.T) {
	access := UIAccess{AllowedIPs: []string{supervisorIngress}}
	b := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), UIAccess: access},
		newEmptyState(), discard{})
	h := b.AdminHandler()
	for _, tt := range []struct {
		remote string
		want   int
	}{{"172.30.32.2:4000", 200}, {"127.0.0.1:4000", 200}, {"192.168.1.50:4000", 403}} {
		req, _ := http.NewRequest(http.MethodGet, "/api/devices", nil)
		req.RemoteAddr = tt.remote
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("from %s: status %d, want %d", tt.remote, rec.Code, tt.want)
		}
	}
}

func TestTLSWebhookListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)
	tlsAddr := freePort(t)
	cfg, _ := runBridge(t, "--embedded-mqtt-addr", freePort(t), "--webhook-tls-addr", tlsAddr,
		"--webhook-tls-cert", certFile, "--webhook-tls-key", keyFile)
	hook := createWebhookAt(t, cfg.UIAddr)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Post("https://"+tlsAddr+"/api/webhook/"+hook.ID, "application/json",
		strings.NewReader(string(fixture(t, "pro-full.json"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("post over HTTPS: status %d, want 200", resp.StatusCode)
	}
}

func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestSecretsStayOutOfLogsAndMQTT(t *testing.T) {
	const mqttPassword, uiPassword = "mqtt-pw-3141592653", "ui-pw-2718281828"
	mqttAddr := freePort(t)
	cfg, logs := runBridge(t, "--embedded-mqtt-addr", mqttAddr, "--embedded-mqtt-user", "ha",
		"--embedded-mqtt-password", mqttPassword, "--ui-password", uiPassword, "--log-level", "debug")
	sub := mqtttest.SubscribeAs(t, "tcp://"+mqttAddr, "#", "ha", mqttPassword)

	req, _ := http.NewRequest(http.MethodPost, "http://"+cfg.UIAddr+"/api/webhooks",
		strings.NewReader(`{"name":"Golf"}`))
	req.SetBasicAuth("admin", uiPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var hook WebhookInfo
	_ = json.NewDecoder(resp.Body).Decode(&hook)
	resp.Body.Close()
	url := "http://" + cfg.WebhookAddr + "/api/webhook/" + hook.ID
	for _, body := range []string{string(fixture(t, "pro-changed.json")),
		string(fixture(t, "pro-full.json")), "not json", `{"status":{"device_id":"ffffffffffff"}}`} {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// A wrong UI password is logged nowhere either.
	req, _ = http.NewRequest(http.MethodGet, "http://"+cfg.UIAddr+"/api/devices", nil)
	req.SetBasicAuth("admin", "wrong-"+uiPassword)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	sub.WaitFor(t, 5*time.Second, "the adapter's states", func(l map[string]string) bool {
		return l["wican-bridge/"+proNode+"/SOC"] == "71.5"
	})

	for _, secret := range []string{mqttPassword, uiPassword, hook.ID} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret (%s…)", secret[:4])
		}
		for _, m := range sub.Messages() {
			if strings.Contains(m.Topic, secret) || strings.Contains(m.Payload, secret) {
				t.Errorf("MQTT message on %s holds a secret (%s…)", m.Topic, secret[:4])
			}
		}
	}
}

func TestMQTTOverTLSWithCAFile(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedCert(t, dir)
	broker := mqtttest.StartTLS(t, certFile, certFile, keyFile)
	cfg, logs := runBridge(t, "--mqtt", broker.URL, "--mqtt-ca-file", certFile)
	hook := createWebhookAt(t, cfg.UIAddr)
	resp, err := http.Post("http://"+cfg.WebhookAddr+"/api/webhook/"+hook.ID, "application/json",
		strings.NewReader(string(fixture(t, "pro-full.json"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "MQTT connected") {
		if time.Now().After(deadline) {
			t.Fatalf("no TLS connection to the broker; log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMQTTTLSRejectsUnknownCA(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedCert(t, dir)
	otherCA, _, _ := selfSignedCert(t, t.TempDir())
	broker := mqtttest.StartTLS(t, certFile, certFile, keyFile)
	_, logs := runBridge(t, "--mqtt", broker.URL, "--mqtt-ca-file", otherCA)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "MQTT connect failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line says why the broker connection failed:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(logs.String(), "MQTT connected") {
		t.Error("the bridge connected to a broker whose certificate its CA file does not sign")
	}
	if !strings.Contains(logs.String(), "certificate") {
		t.Error("the connect failure does not name the certificate problem")
	}
}
