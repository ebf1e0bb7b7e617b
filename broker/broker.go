// Package broker runs the embedded MQTT broker, used when no broker is configured.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// ErrAddrInUse is returned when the broker's port is taken, typically by another broker.
var ErrAddrInUse = errors.New("address already in use")

// Broker is a running embedded MQTT broker.
type Broker struct {
	server *mqtt.Server
	addr   string
}

// Start listens on addr and serves MQTT until Close. With a user name, clients must log
// in with it and the password; without one, any client may connect.
func Start(addr, user, password string, log *slog.Logger) (*Broker, error) {
	// The broker logs every start step at Info: only its warnings reach the bridge's log.
	quiet := slog.New(minLevel{log.Handler(), slog.LevelWarn}).With("component", "embedded-broker")
	server := mqtt.New(&mqtt.Options{InlineClient: false, Logger: quiet})
	if err := server.AddHook(new(auth.Hook), &auth.Options{Ledger: ledger(user, password)}); err != nil {
		return nil, fmt.Errorf("embedded broker auth: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := server.AddListener(tcp); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("embedded MQTT broker on %s: %w: another broker probably"+
				" runs there; point the bridge at it with --mqtt tcp://%s, or choose another"+
				" --embedded-mqtt-addr", addr, ErrAddrInUse, addr)
		}
		return nil, fmt.Errorf("embedded MQTT broker on %s: %w", addr, err)
	}
	go func() {
		if err := server.Serve(); err != nil {
			log.Error("embedded MQTT broker stopped", "err", err)
		}
	}()
	return &Broker{server: server, addr: tcp.Address()}, nil
}

func ledger(user, password string) *auth.Ledger {
	if user == "" {
		return &auth.Ledger{Auth: auth.AuthRules{{Allow: true}}}
	}
	return &auth.Ledger{Auth: auth.AuthRules{
		{Username: auth.RString(user), Password: auth.RString(password), Allow: true},
	}}
}

// Addr returns the address the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker.
func (b *Broker) Close() error { return b.server.Close() }

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

// Handle names the broker's message-less connection warnings, and drops the one every
// client's connection gives when the broker shuts down.
func (m minLevel) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != "" {
		return m.Handler.Handle(ctx, r)
	}
	closing := false
	r.Attrs(func(a slog.Attr) bool {
		if strings.Contains(a.Value.String(), "use of closed network connection") {
			closing = true
		}
		return true
	})
	if closing {
		return nil
	}
	named := slog.NewRecord(r.Time, r.Level, "embedded broker connection error", r.PC)
	r.Attrs(func(a slog.Attr) bool { named.AddAttrs(a); return true })
	return m.Handler.Handle(ctx, named)
}

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(attrs), m.level}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.Handler.WithGroup(name), m.level}
}
