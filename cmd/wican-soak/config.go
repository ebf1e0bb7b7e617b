package main

import (
	"errors"
	"fmt"
	"time"
)

// Config describes one soak run.
type Config struct {
	Bridge    string // wican-bridge binary, built from the module when empty
	Sim       string // wican-sim binary, built from the module when empty
	Mosquitto string // mosquitto binary, looked up in PATH when empty

	Pro    int // WiCAN Pro adapters, posting changed values only
	NonPro int // WiCAN-OBD adapters, posting full payloads

	Interval     time.Duration // posting interval pushed to the adapters
	Duration     time.Duration // length of the run, from the bridge's start
	Outage       time.Duration // broker downtime in the middle, or 0 for none
	OutageSignal string        // "kill" or "term"
	Sample       time.Duration // time between samples of the bridge
	Settle       time.Duration // wait after the adapters stop, before MQTT is read
	PairTimeout  time.Duration // maximum wait for every adapter to be paired

	Seed   int64  // seed of the device ids and drive cycles
	LogDir string // keeps the child processes' logs when set
}

// Adapters returns the number of simulated adapters.
func (c Config) Adapters() int { return c.Pro + c.NonPro }

func (c Config) validate() error {
	switch {
	case c.Pro < 0 || c.NonPro < 0:
		return errors.New("--pro and --non-pro must not be negative")
	case c.Adapters() == 0:
		return errors.New("--pro plus --non-pro must be at least 1")
	case c.Interval < time.Second || c.Interval > time.Hour || c.Interval%time.Second != 0:
		return fmt.Errorf("invalid --interval %s: expected whole seconds from 1s to 1h,"+
			" because the bridge's --interval is in seconds", c.Interval)
	case c.Duration <= 0:
		return errors.New("--duration must be positive")
	case c.Outage < 0 || (c.Outage > 0 && c.Outage >= c.Duration/2):
		return fmt.Errorf("invalid --outage %s: expected 0 or less than half of --duration",
			c.Outage)
	case c.OutageSignal != "kill" && c.OutageSignal != "term":
		return fmt.Errorf("invalid --outage-signal %q: expected kill or term", c.OutageSignal)
	case c.Sample <= 0:
		return errors.New("--sample must be positive")
	case c.Settle < 0 || c.PairTimeout <= 0:
		return errors.New("--settle must not be negative and --pair-timeout must be positive")
	}
	return nil
}
