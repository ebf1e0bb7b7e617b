package bridge

import (
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/payload"
)

// DeviceInfo is the admin API's view of one adapter.
type DeviceInfo struct {
	ID       string               `json:"id"`
	Name     string               `json:"name"`
	DeviceID string               `json:"device_id,omitempty"`
	Model    string               `json:"model,omitempty"`
	Firmware string               `json:"firmware,omitempty"`
	Host     string               `json:"host,omitempty"`
	Online   bool                 `json:"online"`
	ECU      string               `json:"ecu,omitempty"`
	State    string               `json:"state"`
	Reason   string               `json:"reason,omitempty"`
	Interval int                  `json:"interval,omitempty"`
	LastPost *time.Time           `json:"last_post,omitempty"`
	Accepted uint64               `json:"accepted"`
	Rejected uint64               `json:"rejected"`
	Battery  *float64             `json:"battery_12v,omitempty"`
	Webhook  *AdapterWebhook      `json:"webhook,omitempty"`
	CopyURL  string               `json:"copy_url,omitempty"`
	Values   map[string]ValueInfo `json:"values"`
	// Entities are the diagnostic entities' ids, by diagnostics field name.
	Entities map[string]string `json:"entities,omitempty"`
}

// AdapterWebhook are the adapter's own webhook counters, read from its API.
type AdapterWebhook struct {
	OK        int    `json:"ok"`
	Fail      int    `json:"fail"`
	LastError string `json:"last_error"`
	Status    string `json:"status,omitempty"`
}

// ValueInfo is one parameter's current value and how Home Assistant shows it.
type ValueInfo struct {
	Value       any    `json:"value"`
	Unit        string `json:"unit,omitempty"`
	DeviceClass string `json:"device_class,omitempty"`
	Component   string `json:"component"`
	EntityID    string `json:"entity_id"`
}

func (b *Bridge) handleListDevices(c echo.Context) error {
	out := []DeviceInfo{}
	now := time.Now()
	for _, a := range b.list() {
		if info, ok := b.deviceInfo(a, now); ok {
			out = append(out, info)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return c.JSON(http.StatusOK, out)
}

// deviceInfo returns the admin view of an adapter that posted or whose API is known.
func (b *Bridge) deviceInfo(a *adapter, now time.Time) (DeviceInfo, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.hook.Bound && a.hook.Host == "" {
		return DeviceInfo{}, false
	}
	dev := a.device()
	d := DeviceInfo{
		ID: a.node, Name: dev.Name, DeviceID: a.hook.DeviceID, Model: a.hook.Hardware,
		Firmware: a.hook.Firmware, Host: a.host(), Online: a.online, ECU: a.ecu,
		Interval: a.interval(), Accepted: a.accepted, Rejected: a.rejected, Battery: a.battery,
		Values: make(map[string]ValueInfo, len(a.params)),
	}
	d.State, d.Reason = a.pairState(now, b.opts.MinOffline)
	if d.State == stateUserSettings {
		d.CopyURL = b.WebhookURL(a.hook.ID)
	}
	if s := a.deviceHook; s != nil {
		d.Webhook = &AdapterWebhook{OK: s.OK, Fail: s.Fail, LastError: s.LastError, Status: s.Status}
	}
	if !a.hook.LastPost.IsZero() {
		t := a.hook.LastPost
		d.LastPost = &t
	}
	for name, p := range a.params {
		d.Values[name] = valueInfo(p, dev.Name)
	}
	d.Entities = ha.DiagnosticEntityIDs(dev.Name)
	return d, true
}

func valueInfo(p *param, deviceName string) ValueInfo {
	entity := p.entity.Value()
	v := ValueInfo{Unit: entity.Unit, DeviceClass: entity.DeviceClass,
		Component: entity.Component, Value: p.value.Num,
		EntityID: ha.DefaultEntityID(entity.Component, deviceName, p.key())}
	if p.value.Kind != payload.Number {
		v.Value = p.value.Text
	}
	return v
}
