package bridge

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/payload"
)

type createWebhookRequest struct {
	Name string `json:"name"`
}

// WebhookInfo is the admin API's view of a webhook. It is the one place that shows the
// whole webhook id, so that a user can copy the URL into an adapter.
type WebhookInfo struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Name   string `json:"name,omitempty"`
	Bound  bool   `json:"bound"`
	Device string `json:"device,omitempty"` // id of the adapter in /api/devices
}

func (b *Bridge) handleCreateWebhook(c echo.Context) error {
	var req createWebhookRequest
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 4096))
	if err != nil {
		return c.JSON(http.StatusBadRequest, errorBody{"request body could not be read"})
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			return c.JSON(http.StatusBadRequest, errorBody{`body must be {"name": "…"} or empty`})
		}
	}
	name := strings.TrimSpace(ha.DisplayName(req.Name))
	if req.Name == "" {
		name = ""
	}
	hook := b.CreateWebhook(name)
	return c.JSON(http.StatusCreated, WebhookInfo{ID: hook.ID, URL: b.WebhookURL(hook.ID), Name: name})
}

func (b *Bridge) handleListWebhooks(c echo.Context) error {
	list := b.list()
	out := make([]WebhookInfo, 0, len(list))
	for _, a := range list {
		a.mu.Lock()
		info := WebhookInfo{ID: a.hook.ID, URL: b.WebhookURL(a.hook.ID), Name: a.hook.Name,
			Bound: a.hook.Bound}
		if a.hook.Bound {
			info.Device = a.node
		}
		a.mu.Unlock()
		out = append(out, info)
	}
	return c.JSON(http.StatusOK, out)
}

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
	LastPost *time.Time           `json:"last_post,omitempty"`
	Accepted uint64               `json:"accepted"`
	Rejected uint64               `json:"rejected"`
	Battery  *float64             `json:"battery_12v,omitempty"`
	Values   map[string]ValueInfo `json:"values"`
}

// ValueInfo is one parameter's current value and how Home Assistant shows it.
type ValueInfo struct {
	Value       any    `json:"value"`
	Unit        string `json:"unit,omitempty"`
	DeviceClass string `json:"device_class,omitempty"`
	Component   string `json:"component"`
}

func (b *Bridge) handleListDevices(c echo.Context) error {
	out := []DeviceInfo{}
	for _, a := range b.list() {
		if info, ok := a.info(); ok {
			out = append(out, info)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return c.JSON(http.StatusOK, out)
}

// info returns the admin view of a bound adapter.
func (a *adapter) info() (DeviceInfo, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.hook.Bound {
		return DeviceInfo{}, false
	}
	d := DeviceInfo{
		ID: a.node, Name: a.device().Name, DeviceID: a.hook.DeviceID, Model: a.hook.Hardware,
		Firmware: a.hook.Firmware, Host: a.host(), Online: a.online, ECU: a.ecu,
		Accepted: a.accepted, Rejected: a.rejected, Battery: a.battery,
		Values: make(map[string]ValueInfo, len(a.params)),
	}
	if !a.hook.LastPost.IsZero() {
		t := a.hook.LastPost
		d.LastPost = &t
	}
	for name, p := range a.params {
		v := ValueInfo{Unit: p.entity.Unit, DeviceClass: p.entity.DeviceClass,
			Component: p.entity.Component, Value: p.value.Num}
		switch p.value.Kind {
		case payload.Binary:
			v.Value = p.value.Text
		case payload.Text:
			v.Value = p.value.Text
		}
		d.Values[name] = v
	}
	return d, true
}
