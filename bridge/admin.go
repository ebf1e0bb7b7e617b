package bridge

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/ha"
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
			return c.JSON(http.StatusBadRequest, errorBody{`body must be {"name": "…"} or empty: ` +
				err.Error()})
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
