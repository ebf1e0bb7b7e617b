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
	"syscall"

	"github.com/wican-bridge/wican-bridge/bridge"
	"github.com/wican-bridge/wican-bridge/config"
)

func main() {
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
	if os.Getenv("GOMEMLIMIT") == "" && os.Getenv("GOGC") == "" {
		limitMemory(ctx)
	}
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
