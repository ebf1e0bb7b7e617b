package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

// Handler returns the adapter's HTTP API. Serve runs it together with the posting
// loop, so the handler alone responds but never posts.
//
// Endpoints that return secrets or reboot (/check_status, /load_config,
// /store_config) return 404 because the simulator has none.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/webhook", a.handleGetWebhook)
	mux.HandleFunc("POST /api/webhook", a.handlePostWebhook)
	mux.HandleFunc("DELETE /api/webhook", a.handleDeleteWebhook)
	mux.HandleFunc("GET /autopid_data", a.handleAutoPIDData)
	if a.opts.Pro {
		mux.HandleFunc("GET /load_car_config", a.handleCarConfig)
	}
	return mux
}

func (a *Adapter) handleGetWebhook(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	view := a.viewLocked()
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, view)
}

func (a *Adapter) handlePostWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPostBody+1))
	if err != nil || len(body) > maxPostBody {
		http.Error(w, "Content too long", http.StatusBadRequest)
		return
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil || in == nil {
		http.Error(w, "Invalid JSON", http.StatusBadRequest)
		return
	}

	status, view, err := a.postWebhook(in)
	if err != nil {
		a.log.Info("webhook config refused", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, status, view)
}

// postWebhook applies a POST body and returns the status and body of the response.
func (a *Adapter) postWebhook(in map[string]json.RawMessage) (int, hookView, error) {
	a.mu.Lock()
	defer a.mu.Unlock()

	if _, ok := in["manual_override"]; a.hook.manualOverride && !ok {
		a.log.Info("webhook config ignored", "err", errIgnored)
		return http.StatusOK, a.viewLocked(), nil
	}
	u, err := a.parseUpdate(in)
	if err != nil {
		return 0, hookView{}, err
	}

	status := http.StatusOK
	if a.applyLocked(u) {
		status = http.StatusCreated
	}
	a.poke()
	a.log.Info("webhook configured", "url", devicecfg.RedactURL(a.hook.url),
		"interval", a.hook.intervalSec, "enabled", a.hook.enabled)
	return status, a.viewLocked(), nil
}

func (a *Adapter) handleDeleteWebhook(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	a.clearLocked()
	a.mu.Unlock()
	a.poke()
	a.log.Info("webhook config deleted")
	w.WriteHeader(http.StatusNoContent)
}

func (a *Adapter) handleCarConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.car.meta())
}

func (a *Adapter) handleAutoPIDData(w http.ResponseWriter, _ *http.Request) {
	values, err := a.currentValues()
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, values)
}

// errNoData is the adapter's response before any parameter was read.
var errNoData = errors.New("No data available")

// currentValues reads the parameters now, or returns the last ones with the engine off.
func (a *Adapter) currentValues() (map[string]any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.opts.Protocol != ProtocolAutoPID {
		return nil, errNoData
	}
	values := a.car.sample(time.Now())
	if len(values) == 0 {
		return nil, errNoData
	}
	return values, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
