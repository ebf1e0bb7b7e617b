package bridge

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/config"
	"github.com/wican-bridge/wican-bridge/ha"
)

// decodeBody reads a small JSON request body into dst.
func decodeBody(c echo.Context, dst any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 8192))
	if err != nil {
		return err
	}
	return json.Unmarshal(body, dst)
}

func badRequest(c echo.Context, msg string) error {
	return c.JSON(http.StatusBadRequest, errorBody{msg})
}

func (b *Bridge) deviceFromPath(c echo.Context) (*adapter, error) {
	a := b.findNode(c.Param("id"))
	if a == nil {
		return nil, c.JSON(http.StatusNotFound, errorBody{"no adapter with id " +
			quoteShort(c.Param("id"))})
	}
	return a, nil
}

func (b *Bridge) handleAddDevice(c echo.Context) error {
	var req struct {
		Host string `json:"host"`
	}
	if err := decodeBody(c, &req); err != nil {
		return badRequest(c, `body must be {"host": "192.168.1.31"}: `+err.Error())
	}
	a, err := b.AddAdapter(req.Host, "api")
	if err != nil {
		return badRequest(c, err.Error())
	}
	info, _ := b.deviceInfo(a, time.Now())
	return c.JSON(http.StatusAccepted, info)
}

func (b *Bridge) handleApprove(c echo.Context) error {
	a, err := b.deviceFromPath(c)
	if a == nil {
		return err
	}
	if b.pairer == nil || a.pair == nil {
		return badRequest(c, "the bridge does not know this adapter's address: add it by address first")
	}
	a.mu.Lock()
	a.hook.Approved = true
	a.hook.Takebacks = 0
	a.pair.state, a.pair.reason = stateWaiting, "approved; pairing"
	a.mu.Unlock()
	b.structureDirty.Store(true)
	b.log.Info("adapter pairing approved", "device", a.label())
	b.pairer.schedule(a)
	info, _ := b.deviceInfo(a, time.Now())
	return c.JSON(http.StatusOK, info)
}

func (b *Bridge) handlePatchDevice(c echo.Context) error {
	a, err := b.deviceFromPath(c)
	if a == nil {
		return err
	}
	var req struct {
		Name     *string `json:"name"`
		Interval *int    `json:"interval"`
	}
	if err := decodeBody(c, &req); err != nil {
		return badRequest(c, `body must be {"name": "…", "interval": 15}: `+err.Error())
	}
	if req.Interval != nil && (*req.Interval < 1 || *req.Interval > 3600) {
		return badRequest(c, "interval must be 1 to 3600 seconds")
	}
	if req.Name != nil {
		b.rename(a, strings.TrimSpace(*req.Name))
	}
	if req.Interval != nil {
		a.mu.Lock()
		a.hook.Interval = *req.Interval
		a.mu.Unlock()
		b.structureDirty.Store(true)
		if b.pairer != nil {
			b.pairer.schedule(a)
		}
	}
	info, _ := b.deviceInfo(a, time.Now())
	return c.JSON(http.StatusOK, info)
}

// rename sets the device name and sends every config again, since each carries it.
func (b *Bridge) rename(a *adapter, name string) {
	if name != "" {
		name = ha.DisplayName(name)
	}
	a.mu.Lock()
	a.hook.Name = name
	b.send(a.republishLocked(b.topics, nil)...)
	a.mu.Unlock()
	b.structureDirty.Store(true)
}

func (b *Bridge) handleDeleteDevice(c echo.Context) error {
	a, err := b.deviceFromPath(c)
	if a == nil {
		return err
	}
	b.Unpair(c.Request().Context(), a)
	return c.NoContent(http.StatusNoContent)
}

// Unpair clears the adapter's webhook when the bridge set it, removes its entities from
// Home Assistant and forgets it. Discovery does not pair it again until it is added by
// address.
func (b *Bridge) Unpair(ctx context.Context, a *adapter) {
	a.mu.Lock()
	host, managed, id := a.hook.Host, a.hook.Managed, a.hook.ID
	keys := []string{a.hook.DeviceID, a.hook.MDNSHost, a.hook.Host}
	a.mu.Unlock()

	if b.pairer != nil && host != "" && managed {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		wh, err := b.pairer.client.GetWebhook(ctx, host)
		switch {
		case err != nil:
			b.log.Warn("unpair: adapter unreachable, its webhook setting stays", "device",
				a.label(), "err", err)
		case isOurs(wh.URL, id):
			if err := b.pairer.client.DeleteWebhook(ctx, host); err != nil {
				b.log.Warn("unpair: clearing the adapter's webhook failed", "device", a.label(),
					"err", err)
			}
		}
	}
	b.setIgnored(true, keys...)
	b.forget(a)
	b.log.Info("adapter unpaired", "device", a.label())
}

func (b *Bridge) handleRemoveAll(c echo.Context) error {
	list := b.list()
	for _, a := range list {
		b.Unpair(c.Request().Context(), a)
	}
	b.log.Info("removed everything the bridge made", "adapters", len(list))
	return c.JSON(http.StatusOK, map[string]int{"removed": len(list)})
}

// StatusInfo is the admin API's view of the bridge itself.
type StatusInfo struct {
	PublicURL        string `json:"public_url"`
	PublicURLOK      bool   `json:"public_url_ok"`
	PublicURLProblem string `json:"public_url_problem,omitempty"`
	PublicURLFix     string `json:"public_url_fix,omitempty"`
	MQTTConnected    bool   `json:"mqtt_connected"`
	Version          string `json:"version"`
}

// Version is the bridge's version, set at build time.
var Version = "dev"

func (b *Bridge) handleStatus(c echo.Context) error {
	st := StatusInfo{PublicURL: b.opts.PublicURL, Version: Version}
	st.PublicURLProblem, st.PublicURLFix = config.CheckPublicURL(b.opts.PublicURL)
	st.PublicURLOK = st.PublicURLProblem == ""
	if conn, ok := b.out.(interface{ Connected() bool }); ok {
		st.MQTTConnected = conn.Connected()
	}
	return c.JSON(http.StatusOK, st)
}
