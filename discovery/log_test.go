package discovery

import (
	"context"
	"log/slog"
	"sync"
)

// logRecord is one record captured by recordHandler.
type logRecord struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

// recordHandler is a slog.Handler that keeps every record for the test to inspect.
type recordHandler struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

func newRecordHandler() *recordHandler {
	return &recordHandler{mu: &sync.Mutex{}, records: &[]logRecord{}}
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, message: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})

	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, rec)
	return nil
}

func (h *recordHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clone := *h
	clone.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &clone
}

func (h *recordHandler) WithGroup(string) slog.Handler { return h }

func (h *recordHandler) all() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]logRecord{}, *h.records...)
}
