package bridge

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// WebhookHandler returns the handler of the LAN-facing webhook listener.
func (b *Bridge) WebhookHandler() http.Handler {
	e := newEcho()
	e.POST("/api/webhook/:id", b.handleWebhook)
	e.PUT("/api/webhook/:id", b.handleWebhook)
	return e
}

// AdminHandler returns the handler of the admin API and web page.
func (b *Bridge) AdminHandler() http.Handler {
	e := newEcho()
	e.Use(b.opts.UIAccess.guard)
	e.GET("/metrics", b.handleMetrics)
	e.POST("/api/webhooks", b.handleCreateWebhook)
	e.GET("/api/webhooks", b.handleListWebhooks)
	e.GET("/api/devices", b.handleListDevices)
	e.POST("/api/devices", b.handleAddDevice)
	e.POST("/api/devices/:id/approve", b.handleApprove)
	e.PATCH("/api/devices/:id", b.handlePatchDevice)
	e.DELETE("/api/devices/:id", b.handleDeleteDevice)
	e.POST("/api/devices/:id/restore", b.handleRestore)
	e.GET("/api/devices/:id/dashboard", b.handleDashboard)
	e.POST("/api/remove-all", b.handleRemoveAll)
	e.GET("/api/status", b.handleStatus)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	mountPage(e)
	return e
}

func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler
	return e
}

// errorHandler responds to routing errors (404, 405) with a short JSON body that does not
// repeat the request path, which may hold a webhook id.
func errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	msg := "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		msg = http.StatusText(status)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, errorBody{msg})
}
