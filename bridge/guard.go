package bridge

import (
	"crypto/subtle"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// UIAccess limits who may use the web page and admin API.
type UIAccess struct {
	// Password, when set, is asked for with HTTP Basic authentication (any user name).
	Password string
	// AllowedIPs, when set, are the only client addresses served. In the add-on these are
	// the Supervisor's ingress proxy, 172.30.32.2, and loopback.
	AllowedIPs []string
}

// guard enforces UIAccess. /healthz stays open for the add-on's watchdog.
func (u UIAccess) guard(next echo.HandlerFunc) echo.HandlerFunc {
	allowed := make(map[string]bool, len(u.AllowedIPs))
	for _, ip := range u.AllowedIPs {
		allowed[ip] = true
	}
	return func(c echo.Context) error {
		if c.Path() == "/healthz" {
			return next(c)
		}
		if len(allowed) > 0 {
			ip := remoteIP(c.Request())
			if !allowed[ip] && !isLoopback(ip) {
				return c.JSON(http.StatusForbidden, errorBody{"this page is served through " +
					"Home Assistant: open it from the sidebar"})
			}
		}
		if u.Password != "" {
			_, pass, ok := c.Request().BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(pass), []byte(u.Password)) != 1 {
				c.Response().Header().Set("WWW-Authenticate", `Basic realm="wican-bridge", charset="UTF-8"`)
				return c.JSON(http.StatusUnauthorized, errorBody{"password required"})
			}
		}
		return next(c)
	}
}

func isLoopback(ip string) bool {
	parsed := net.ParseIP(ip)
	return parsed != nil && parsed.IsLoopback()
}
