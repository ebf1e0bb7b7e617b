package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"
)

// outage stops the broker, starts it again on the same port after cfg.Outage and
// measures how long the retained states take to come back.
func (s *soak) outage(ctx context.Context) error {
	expected := s.watcher.stateTopics()
	sig := syscall.SIGKILL
	if s.cfg.OutageSignal == "term" {
		sig = syscall.SIGTERM
	}
	if err := s.broker.halt(sig); err != nil {
		return fmt.Errorf("stop the broker for the outage: %w", err)
	}
	s.log.Info("broker stopped for the outage", "signal", sig.String(), "for", s.cfg.Outage)
	if !sleep(ctx, s.cfg.Outage) {
		return ctx.Err()
	}
	if err := s.broker.start(ctx); err != nil {
		return fmt.Errorf("restart the broker after the outage: %w", err)
	}
	up := time.Now()
	s.rep.Outage = &outageResult{Signal: s.cfg.OutageSignal, Length: s.cfg.Outage,
		Topics: len(expected), RestartedAt: up.Sub(s.started)}
	s.log.Info("broker restarted", "state_topics_expected", len(expected))

	if took, ok := s.waitReconnect(ctx); ok {
		s.rep.Outage.BridgeReconnectedIn = took
		s.log.Info("bridge reconnected to the broker", "after", took)
	}
	took, missing, ok := s.watcher.waitSeen(ctx, expected, up)
	s.rep.Outage.Recovered, s.rep.Outage.RecoveredIn, s.rep.Outage.Missing = ok, took, missing
	if ok {
		s.log.Info("every state back on MQTT after the outage", "after", took)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return nil
}

// waitReconnect polls the bridge's /metrics until its MQTT connection is up and returns
// the time since the broker's restart. The polls are 100 ms apart.
func (s *soak) waitReconnect(ctx context.Context) (time.Duration, bool) {
	up := time.Now()
	for {
		m, err := s.sampler.metrics(ctx)
		if err == nil && m.connected {
			return time.Since(up), true
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return 0, false
		}
	}
}
