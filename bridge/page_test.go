package bridge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wican-bridge/wican-bridge/sim"
)

const ingressPrefix = "/api/hassio_ingress/Zx9tokenT3st"

// ingressProxy serves the admin handler below a prefix and strips it, as Home Assistant's
// ingress proxy does, adding the X-Ingress-Path header.
func ingressProxy(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, ingressPrefix)
		if !ok {
			t.Errorf("the page requested %s, outside the ingress prefix", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		r.URL.Path = "/" + strings.TrimPrefix(rest, "/")
		r.Header.Set("X-Ingress-Path", ingressPrefix)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// browser starts headless Chromium for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("skipping: the page test needs Debian's chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		// Chromium keeps its singleton socket in a folder under TMPDIR and leaves it there.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.WindowSize(1280, 1600))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func TestPageShowsAdaptersAndApproves(t *testing.T) {
	h := pairingHarness(t, PairingOptions{})
	posting, postingHost := startSim(t, sim.Options{Pro: true, Seed: 21})
	h.announce(posting, postingHost)
	foreign := "http://192.0.2.50:8123/api/webhook/0123456789abcdef"
	waiting, waitingHost := startSim(t, sim.Options{Pro: true, UserURL: foreign, Seed: 22})
	h.announce(waiting, waitingHost)
	h.waitDevice("one adapter posting", func(d DeviceInfo) bool { return d.Accepted > 0 })
	h.waitDevice("one adapter waiting", func(d DeviceInfo) bool { return d.State == stateWaiting })

	proxy := ingressProxy(t, h.admin.URL)
	ctx := browser(t)
	postingCard := `[data-testid="device-card"][data-device-id="wican_` + posting.DeviceID() + `"]`
	waitingCard := `[data-testid="device-card"][data-device-id="wican_` + waiting.DeviceID() + `"]`
	err := chromedp.Do(ctx,
		chromedp.Navigate(proxy.URL+ingressPrefix+"/"),
		chromedp.WaitVisible(postingCard+` [data-testid="param-row"][data-param="SOC"]`),
	)
	if err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	socValue := pageText(t, ctx, postingCard+` [data-param="SOC"] [data-testid="param-value"]`)
	if socValue == "" || strings.Contains(socValue, "—") {
		t.Errorf("SOC shows %q, want a value", socValue)
	}
	if got := pageText(t, ctx, postingCard+` [data-testid="device-state"]`); got != "Managed" {
		t.Errorf("posting adapter shows state %q, want Managed", got)
	}
	if got := pageText(t, ctx, waitingCard+` [data-testid="device-state"]`); got != "Waiting for approval" {
		t.Errorf("adapter with a foreign URL shows state %q, want Waiting for approval", got)
	}

	if err := chromedp.Do(ctx, chromedp.Click(waitingCard+` [data-testid="approve-button"]`)); err != nil {
		t.Fatalf("clicking Approve: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for pageText(t, ctx, waitingCard+` [data-testid="device-state"]`) != "Managed" {
		if time.Now().After(deadline) {
			t.Fatal("the approved adapter's card does not show Managed")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if wh := waiting.Webhook(); !strings.HasPrefix(wh.URL, h.b.opts.PublicURL) {
		t.Errorf("after approval the adapter posts to %q, want this bridge", wh.URL)
	}
	h.waitDevice("approved adapter posting", func(d DeviceInfo) bool {
		return d.DeviceID == waiting.DeviceID() && d.Accepted > 0
	})

	time.Sleep(2500 * time.Millisecond) // two polls, so the card shows the new values
	// Quality 100 gives a PNG; lower values give a JPEG.
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveArtifact(t, "page.png", shot)
}

func pageText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(text)
}

// saveArtifact writes a test artifact to $WICAN_TEST_ARTIFACTS, or test-artifacts/ at
// the repository root.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := os.Getenv("WICAN_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved to %s", path)
}
