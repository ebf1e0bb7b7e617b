// Command wican-soak runs a soak test of wican-bridge on loopback. It starts its own
// Mosquitto, simulated adapters (wican-sim) and the bridge. They run for a set time with a
// broker outage in the middle while the soak samples the bridge's memory and CPU time.
// At the end every adapter's last values are checked against the retained states on
// MQTT, and the exit status is 1 when a value is lost.
package main

import (
	"context"
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
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wican-soak:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)

	rep, err := Run(ctx, cfg, log)
	stop()
	if rep != nil {
		rep.Print(os.Stdout)
	}
	if err != nil {
		log.Error("soak run failed", "err", err)
		os.Exit(1)
	}
	if rep.Failed() {
		os.Exit(1)
	}
}

func parseFlags(args []string, output io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("wican-soak", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.Bridge, "bridge", "",
		"wican-bridge binary (default: built from this module with go build)")
	fs.StringVar(&cfg.Sim, "sim", "",
		"wican-sim binary (default: built from this module with go build)")
	fs.StringVar(&cfg.Mosquitto, "mosquitto", "",
		"mosquitto binary (default: mosquitto from PATH)")

	fs.IntVar(&cfg.Pro, "pro", 200,
		"number of simulated WiCAN Pro adapters, posting changed values only")
	fs.IntVar(&cfg.NonPro, "non-pro", 100,
		"number of simulated WiCAN-OBD adapters, posting full payloads")
	fs.DurationVar(&cfg.Interval, "interval", 10*time.Second,
		"posting interval the bridge pushes to the adapters, whole seconds from 1s to 1h")

	fs.DurationVar(&cfg.Duration, "duration", 20*time.Minute,
		"length of the run, from the bridge's start")
	fs.DurationVar(&cfg.Outage, "outage", 30*time.Second,
		"how long the broker stays down in the middle of the run, or 0 for no outage")
	fs.StringVar(&cfg.OutageSignal, "outage-signal", "kill",
		"how the broker is stopped: kill (SIGKILL, retained messages since start are lost) or"+
			" term (SIGTERM, Mosquitto saves them to its persistence file)")
	fs.DurationVar(&cfg.Sample, "sample", 30*time.Second, "time between samples of the bridge")
	fs.DurationVar(&cfg.Settle, "settle", 0,
		"wait after the adapters stop before reading MQTT (default: 2 intervals)")
	fs.DurationVar(&cfg.PairTimeout, "pair-timeout", 5*time.Minute,
		"maximum wait for every adapter to be paired, after which the run goes on")

	fs.Int64Var(&cfg.Seed, "seed", 1, "seed of the simulated device ids and drive cycles")
	fs.StringVar(&cfg.LogDir, "log-dir", "",
		"directory that keeps the logs of the bridge, simulators and broker (default: deleted)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.Settle == 0 {
		cfg.Settle = 2 * cfg.Interval
	}
	return cfg, cfg.validate()
}
