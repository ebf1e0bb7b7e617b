package bridge

import (
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/lovelace"
	"github.com/wican-bridge/wican-bridge/webui"
)

// mountPage serves the web page's files. Their URLs are relative, so the page also works
// below Home Assistant's ingress prefix.
func mountPage(e *echo.Echo) {
	page := echo.WrapHandler(webui.Handler())
	for _, path := range []string{"/", "/index.html", "/app.js", "/style.css"} {
		e.GET(path, page)
		e.HEAD(path, page)
	}
}

func (b *Bridge) handleDashboard(c echo.Context) error {
	a, err := b.deviceFromPath(c)
	if a == nil {
		return err
	}
	info, ok := b.deviceInfo(a, time.Now())
	if !ok {
		return c.JSON(http.StatusNotFound, errorBody{"the adapter has not posted yet"})
	}
	d := lovelace.Device{Name: info.Name}
	names := make([]string, 0, len(info.Values))
	for name := range info.Values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := info.Values[name]
		d.Entities = append(d.Entities, lovelace.Entity{Param: name, EntityID: v.EntityID,
			DeviceClass: v.DeviceClass, Unit: v.Unit, Component: v.Component})
	}
	for _, diag := range []struct{ param, class, unit, component string }{
		{lovelace.ParamBattery12V, "voltage", "V", "sensor"},
		{lovelace.ParamOnline, "connectivity", "", "binary_sensor"},
		{lovelace.ParamECU, "running", "", "binary_sensor"},
		{lovelace.ParamLastPost, "timestamp", "", "sensor"},
	} {
		d.Entities = append(d.Entities, lovelace.Entity{Param: diag.param,
			EntityID: info.Entities[diag.param], DeviceClass: diag.class, Unit: diag.unit,
			Component: diag.component})
	}
	return c.Blob(http.StatusOK, "text/yaml; charset=utf-8", []byte(lovelace.Dashboard(d)))
}
