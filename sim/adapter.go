// Package sim simulates WiCAN and WiCAN Pro OBD adapters: their configuration API,
// their webhook posts with the firmware's payload shapes and traps, and their mDNS
// announcement. Tests of the bridge pair with it as with a real adapter.
package sim

import (
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

// Payload shapes and data modes.
const (
	ShapeFirmware   = "firmware"
	ShapeDocumented = "documented"
	ModeFull        = "full"
	ModeChanged     = "changed"
	ProtocolAutoPID = "auto_pid"
	VehicleEV       = "ev"
	VehicleICE      = "ice"
)

// Options describes the simulated adapter; zero values take the defaults.
type Options struct {
	// DeviceID is 12 lowercase hex characters; derived from Seed when empty.
	DeviceID string
	// Pro simulates a WiCAN-OBD-PRO (urls, manual_override, per-PID metadata) instead
	// of a WiCAN-OBD.
	Pro bool
	// Shape is ShapeFirmware (default: config/status/autopid_data) or ShapeDocumented
	// ({device_id, battery, uptime, data}, always complete).
	Shape string
	// DataMode is ModeFull or ModeChanged; ModeChanged on a Pro, ModeFull otherwise.
	DataMode string
	// Protocol is ProtocolAutoPID (default) or another, e.g. "elm327", which never posts.
	Protocol string
	// WebhookEn is "enable" (default) or "disable", which never posts.
	WebhookEn string
	// ManualOverride starts in user-settings mode (Pro only): a POST /api/webhook
	// without a manual_override key is then ignored but returns 200.
	ManualOverride bool
	// UserURL is a webhook URL already stored on the adapter, as typed by the user in
	// its UI; with it the adapter posts without pairing.
	UserURL string
	// RejectURLs simulates the non-Pro build that returns 400 "urls not supported"
	// when a POST carries urls.
	RejectURLs bool
	// Interval is the initial posting interval; 60 s when zero.
	Interval time.Duration
	// TimeScale divides the intervals set through the API, so that tests can pair
	// with "15 s" and get a post every 15 s / TimeScale; 1 when zero.
	TimeScale float64
	// PostTimeout bounds one post; 5 s when zero, as on the adapter.
	PostTimeout time.Duration
	// Vehicle is VehicleEV or VehicleICE; VehicleEV on a Pro, VehicleICE otherwise.
	Vehicle string
	// LegacyMDNS announces _http._tcp with the TXT of firmware before v4.46p.
	LegacyMDNS bool
	// Seed makes the device id and the drive cycle reproducible; random when zero.
	Seed int64
	// Logger receives the adapter's logs; discarded when nil.
	Logger *slog.Logger
}

// Adapter is one simulated WiCAN adapter; it is safe for concurrent use.
type Adapter struct {
	opts   Options
	log    *slog.Logger
	id     string
	poster *http.Client

	mu        sync.Mutex
	hook      hookConfig
	stats     hookStats
	boot      time.Time
	bootCount int
	car       *vehicle
	sent      map[string]map[string]any // changed mode: what the last post carried

	wake      chan struct{} // a setting changed: restart the interval
	serving   chan struct{} // closed when Serve has its listener
	startOnce sync.Once
	apiAddr   net.Addr
}

// New returns an adapter that has just booted; Serve starts it.
func New(opts Options) *Adapter {
	opts = withDefaults(opts)
	a := &Adapter{
		opts:    opts,
		log:     opts.Logger,
		id:      opts.DeviceID,
		poster:  newPostClient(opts.PostTimeout),
		boot:    time.Now(),
		car:     newVehicle(opts.Vehicle, opts.Seed, time.Now()),
		wake:    make(chan struct{}, 1),
		serving: make(chan struct{}),
	}
	a.log = a.log.With("device", a.id)
	a.bootCount = 1
	a.hook = a.initialHook()
	a.stats = freshStats()
	return a
}

// withDefaults fills in the zero values of o.
func withDefaults(o Options) Options {
	if o.Seed == 0 {
		o.Seed = rand.Int64()
	}
	if o.DeviceID == "" {
		o.DeviceID = newDeviceID(o.Seed)
	}
	o.DeviceID = strings.ToLower(o.DeviceID)

	o.Shape = orDefault(o.Shape, ShapeFirmware)
	o.Protocol = orDefault(o.Protocol, ProtocolAutoPID)
	o.WebhookEn = orDefault(o.WebhookEn, "enable")
	if o.Pro {
		o.DataMode = orDefault(o.DataMode, ModeChanged)
		o.Vehicle = orDefault(o.Vehicle, VehicleEV)
	} else {
		o.ManualOverride = false
	}
	o.DataMode = orDefault(o.DataMode, ModeFull)
	o.Vehicle = orDefault(o.Vehicle, VehicleICE)

	if o.Interval <= 0 {
		o.Interval = 60 * time.Second
	}
	o.Interval = max(o.Interval, minInterval)
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.PostTimeout <= 0 {
		o.PostTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// newDeviceID derives a soft-AP MAC from seed: 12 lowercase hex characters.
func newDeviceID(seed int64) string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5749_4341_4e))
	b := make([]byte, 6)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return hex.EncodeToString(b)
}

// DeviceID returns the adapter's 12-hex device id.
func (a *Adapter) DeviceID() string {
	return a.id
}

// Webhook returns the adapter's webhook settings and counters, as GET /api/webhook
// shows them.
func (a *Adapter) Webhook() devicecfg.Webhook {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.webhookLocked()
}

// Reboot restarts the adapter: counters reset, uptime restarts, and the next
// changed-mode post carries every key again, identity included.
func (a *Adapter) Reboot() {
	a.mu.Lock()
	a.rebootLocked()
	a.mu.Unlock()
	a.poke()
	a.log.Info("adapter rebooted")
}

func (a *Adapter) rebootLocked() {
	a.boot = time.Now()
	a.bootCount++
	a.stats = freshStats()
	a.sent = nil
}

// FactoryReset clears the webhook configuration and reboots, as a user resetting
// the adapter would: what the bridge pushed is gone.
func (a *Adapter) FactoryReset() {
	a.mu.Lock()
	a.clearLocked()
	a.rebootLocked()
	a.mu.Unlock()
	a.poke()
	a.log.Info("adapter factory reset")
}

// SetEngine starts or stops the engine. With the engine off the ECU stops responding:
// ecu_status turns "offline" and the last values keep being sent unchanged.
func (a *Adapter) SetEngine(running bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.car.setRunning(time.Now(), running)
}

// poke signals the posting loop that a setting changed.
func (a *Adapter) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// idleReasonLocked reports why the adapter does not post, or "" when it does.
func (a *Adapter) idleReasonLocked() string {
	switch {
	case a.opts.Protocol != ProtocolAutoPID:
		return "protocol " + a.opts.Protocol
	case a.opts.WebhookEn == "disable":
		return "webhook_en disable"
	case !a.hook.enabled:
		return "webhook disabled"
	case a.hook.url == "":
		return "no url"
	}
	return ""
}
