// Command wican-load measures a running wican-bridge: it creates webhooks through the
// admin API, posts WiCAN Pro bodies for many simulated adapters, and follows the values
// to the bridge's MQTT state topics. Targets must be loopback addresses unless
// --allow-remote is given.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	cfg, asJSON, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wican-load:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, err := Run(ctx, cfg, log)
	if err != nil {
		log.Error("load run failed", "err", err)
		os.Exit(1)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	rep.Print(os.Stdout)
}

func parseFlags(args []string, output io.Writer) (Config, bool, error) {
	var cfg Config
	fs := flag.NewFlagSet("wican-load", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.Admin, "admin", "http://127.0.0.1:8099", "base URL of the bridge's admin API")
	fs.StringVar(&cfg.Webhook, "webhook", "http://127.0.0.1:8780",
		"base URL of the bridge's webhook listener")
	fs.StringVar(&cfg.MQTT, "mqtt", "",
		"MQTT broker the bridge publishes to, such as tcp://127.0.0.1:1883")
	fs.StringVar(&cfg.BaseTopic, "base-topic", "wican-bridge", "the bridge's --base-topic")

	fs.IntVar(&cfg.Adapters, "adapters", 100, "number of simulated adapters")
	fs.IntVar(&cfg.Rate, "rate", 0,
		"posts per second in total, or 0 to post as fast as the bridge responds")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second,
		"length of the measured run; 0 stops after the first post per adapter")
	fs.IntVar(&cfg.MaxPosts, "max-posts", 5_000_000, "stop the measured run after this many posts")
	fs.IntVar(&cfg.Changed, "changed", 5, "parameter values changed per post, 0 to 30")
	fs.StringVar(&cfg.Shape, "shape", shapeFull,
		"posts after the first: full (every key, as firmware posts by default) or changed"+
			" (changed values only)")
	fs.IntVar(&cfg.Workers, "workers", 8, "concurrent HTTP requests")

	fs.DurationVar(&cfg.Grace, "grace", 5*time.Second,
		"how long to wait after the run for the last values on MQTT")
	fs.IntVar(&cfg.BridgePID, "bridge-pid", 0, "pid of the bridge, to report its CPU time and RSS")
	fs.IntVar(&cfg.BrokerPID, "broker-pid", 0, "pid of the MQTT broker, to report its CPU time")
	fs.BoolVar(&cfg.Baseline, "baseline", false,
		"also measure a do-nothing receiver in this process with the same load")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false,
		"allow targets that are not loopback addresses")
	asJSON := fs.Bool("json", false, "print the report as JSON")

	if err := fs.Parse(args); err != nil {
		return cfg, false, err
	}
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, *asJSON, cfg.validate()
}
