// Package webui serves the bridge's web page: one HTML page with its script and style
// sheet, embedded in the binary. The page talks to the admin API with relative URLs, so
// it works at the root of the UI address and below Home Assistant's ingress prefix.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

//go:embed static/index.html static/app.js static/style.css
var static embed.FS

// asset is one embedded file with the headers it is served with.
type asset struct {
	name        string
	contentType string
	body        []byte
	etag        string
}

// contentSecurityPolicy allows only the page's own script, style sheet and API, so
// a value that slipped into the page as markup could not run or load anything. Ingress
// shows the page in a frame of Home Assistant's own origin, which 'self' covers.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; " +
	"form-action 'none'; object-src 'none'"

// Handler returns the handler of the web page: index.html at / (and /index.html),
// /app.js and /style.css. Other paths get 404, and methods other than GET and HEAD
// get 405.
func Handler() http.Handler {
	index := load("index.html", "text/html; charset=utf-8")
	assets := map[string]asset{
		"/":           index,
		"/index.html": index,
		"/app.js":     load("app.js", "text/javascript; charset=utf-8"),
		"/style.css":  load("style.css", "text/css; charset=utf-8"),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		serve(w, r, a)
	})
}

func serve(w http.ResponseWriter, r *http.Request, a asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	// no-cache makes the browser revalidate with the ETag, so a new bridge version's
	// page is used at once and an unchanged one costs a 304.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}

// load reads an embedded file. The files are fixed at build time, so a missing one is
// a build mistake and panics at startup.
func load(name, contentType string) asset {
	body, err := static.ReadFile("static/" + name)
	if err != nil {
		panic(fmt.Sprintf("webui: embedded %s: %v", name, err))
	}
	sum := sha256.Sum256(body)
	return asset{name: name, contentType: contentType, body: body,
		etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}
