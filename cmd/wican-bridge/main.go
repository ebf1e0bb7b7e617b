// Command wican-bridge receives WiCAN adapter webhooks and publishes their values to
// Home Assistant over MQTT discovery.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/wican-bridge/wican-bridge/bridge"
	"github.com/wican-bridge/wican-bridge/config"
)

// gcPercent replaces Go's default GOGC of 100 unless GOGC is set. Most of the heap is
// the adapters' state, which lives as long as the bridge, so the default lets the heap
// grow to about twice that state before it collects. At 50 it grows to about 1.5 times
// the state, at the cost of more frequent collections.
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	cfg, err := config.Load(os.Args[1:], os.Getenv, config.AddonOptionsFile)
	if errors.Is(err, flag.ErrHelp) {
		config.Usage(os.Stdout)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wican-bridge:", err)
		fmt.Fprintln(os.Stderr, "run wican-bridge --help for the flags")
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level(cfg.LogLevel)}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bridge.Run(ctx, cfg, log); err != nil {
		log.Error("wican-bridge stopped with an error", "err", err)
		os.Exit(1)
	}
}

func level(name string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(name)); err != nil {
		return slog.LevelInfo
	}
	return l
}
