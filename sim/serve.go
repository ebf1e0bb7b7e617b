package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve serves the adapter API on ln and posts to the configured webhook until ctx
// ends; then it stops within about a second and returns nil. Serve may be called
// once per Adapter.
func (a *Adapter) Serve(ctx context.Context, ln net.Listener) error {
	started := false
	a.startOnce.Do(func() { started = true })
	if !started {
		return errors.New("serve: adapter already served")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	a.apiAddr = ln.Addr()
	close(a.serving)
	a.log.Info("adapter started", "addr", ln.Addr().String(), "pro", a.opts.Pro)

	var wg sync.WaitGroup
	wg.Go(func() { a.postLoop(ctx) })
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("serve adapter API: %w", err)
	}
	cancel()
	shutdown(srv)
	wg.Wait()
	a.log.Info("adapter stopped")
	return err
}

// shutdown stops srv, waiting at most a second for requests in flight.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
}

// waitServing waits until Serve has its listener and returns the API address.
func (a *Adapter) waitServing(ctx context.Context) (net.Addr, error) {
	select {
	case <-a.serving:
		return a.apiAddr, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
