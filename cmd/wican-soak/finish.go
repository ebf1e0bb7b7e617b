package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// finish ends the run. It reads every adapter's values, stops the simulators, lets the
// last posts reach MQTT, compares the retained states and stops the bridge.
func (s *soak) finish(ctx context.Context) error {
	s.takeSample(ctx, "end of run")

	// The adapters' own values are read first and give the parameter names to check.
	// They are not the expected values: every GET /autopid_data samples the simulated
	// car again, so moving values differ from the last post.
	final, unread := readAutoPIDData(ctx, s.adapters)
	s.rep.UnreadAdapters = len(unread)
	for id, err := range unread {
		s.log.Warn("adapter values not read", "device", id, "err", err)
	}
	s.stopSims()
	if !s.posts.waitIdle(ctx, 35*time.Second) {
		s.log.Warn("posts still being forwarded 35 s after the simulators stopped")
	}
	s.log.Info("simulators stopped, waiting for the last posts to reach MQTT", "settle", s.cfg.Settle)
	if !sleep(ctx, s.cfg.Settle) {
		return ctx.Err()
	}
	s.takeSample(ctx, "settled")

	retained, err := retainedSnapshot(ctx, s.broker.url(), 2*time.Second)
	if err != nil {
		return err
	}
	s.rep.Check = check(s.adapters, s.ledger, final, retained)
	s.rep.Complete = true

	if err := s.bridge.stop(syscall.SIGTERM, 15*time.Second); err != nil {
		s.rep.BridgeExit = err.Error()
	} else {
		s.rep.BridgeExit = "exit status 0"
	}
	s.rep.BridgeLog = scanLog(filepath.Join(s.logDir, "bridge.log"))
	return nil
}

// collectCounts copies the proxies' counters into the report.
func (s *soak) collectCounts() {
	if s.posts != nil {
		s.rep.ProxyStatuses = s.posts.statusCounts()
		s.rep.ProxyFailed = s.posts.failed.Load()
	}
	if s.apis != nil {
		s.rep.APIRequests = s.apis.requestCounts()
	}
	s.ledger.mu.Lock()
	s.rep.UnmappedPosts = s.ledger.unmapped
	s.ledger.mu.Unlock()
}

// stopSims ends every simulator process with SIGTERM, in parallel.
func (s *soak) stopSims() {
	var wg sync.WaitGroup
	for _, g := range s.sims {
		wg.Go(func() {
			if err := g.proc.stop(syscall.SIGTERM, 10*time.Second); err != nil {
				s.log.Warn("simulator did not stop cleanly", "name", g.proc.name, "err", err)
			}
		})
	}
	wg.Wait()
}

// stopAll stops everything the run started, the bridge first and the broker last. It
// is safe to call when setUp failed halfway.
func (s *soak) stopAll() {
	if s.bridge != nil {
		if err := s.bridge.stop(syscall.SIGTERM, 15*time.Second); err != nil && s.rep.BridgeExit == "" {
			s.log.Warn("bridge did not stop cleanly", "err", err)
		}
	}
	s.stopSims()
	if s.postSrv != nil {
		_ = s.postSrv.Close()
	}
	if s.apis != nil {
		s.apis.close()
	}
	if s.watcher != nil {
		s.watcher.close()
	}
	if s.broker != nil && s.broker.proc != nil {
		if err := s.broker.halt(syscall.SIGTERM); err != nil {
			s.log.Warn("broker did not stop cleanly", "err", err)
		}
	}
}

// logSummary counts the warnings and errors in a log of slog's text format.
type logSummary struct {
	Warnings, Errors int
	Messages         map[string]int // "LEVEL message" to count
}

var (
	levelField = regexp.MustCompile(`\blevel=(WARN|ERROR)\b`)
	msgField   = regexp.MustCompile(`\bmsg=("(?:[^"\\]|\\.)*"|\S+)`)
)

// scanLog summarises the warnings and errors in the log at path. A missing log gives an
// empty summary.
func scanLog(path string) logSummary {
	sum := logSummary{Messages: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return sum
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		level := levelField.FindStringSubmatch(sc.Text())
		if level == nil {
			continue
		}
		if level[1] == "WARN" {
			sum.Warnings++
		} else {
			sum.Errors++
		}
		msg := ""
		if m := msgField.FindStringSubmatch(sc.Text()); m != nil {
			msg = m[1]
		}
		sum.Messages[fmt.Sprintf("%s %s", level[1], msg)]++
	}
	return sum
}
