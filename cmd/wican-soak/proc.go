package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// child is a process the soak started. Its stderr, and its stdout unless lines is set,
// go to a log file.
type child struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when the process has exited
	err  error         // the exit status, valid after done
}

// startChild starts path with args. With lines set, every line of the child's stdout is
// sent to lines. Lines that find the channel full are dropped, so its buffer must fit
// every line the caller needs.
func startChild(name, path string, args []string, logPath string,
	lines chan<- string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log of %s: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stderr = logFile
	// The child is killed when the soak dies without cleaning up, as after SIGKILL.
	// NOTE: Linux sends the signal when the thread that started the child exits. Go ends
	// threads only for goroutines that exit locked to one, which this program never does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout io.ReadCloser
	if lines == nil {
		cmd.Stdout = logFile
	} else if stdout, err = cmd.StdoutPipe(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("stdout of %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, path, err)
	}

	c := &child{name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		if stdout != nil {
			forwardLines(stdout, lines)
		}
		c.err = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	return c, nil
}

// forwardLines sends each line of r to lines until r ends, dropping lines that find no room.
func forwardLines(r io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		default:
		}
	}
}

// pid returns the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends sig and waits up to grace for the process to end, then kills it. It
// returns the exit status, or an error when the process had to be killed.
func (c *child) stop(sig syscall.Signal, grace time.Duration) error {
	if c == nil {
		return nil
	}
	if !c.exited() {
		_ = c.cmd.Process.Signal(sig)
	}
	select {
	case <-c.done:
		return c.err
	case <-time.After(grace):
	}
	_ = c.cmd.Process.Kill()
	<-c.done
	return fmt.Errorf("%s did not exit within %s of %s and was killed", c.name, grace, sig)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// waitListening waits until addr accepts TCP connections.
func waitListening(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %s: %w", addr, timeout, err)
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// sleep waits for d and reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// modulePath is the import path of this repository's module.
const modulePath = "github.com/wican-bridge/wican-bridge"

// buildBinaries builds the binaries the configuration does not name into dir.
func buildBinaries(ctx context.Context, cfg *Config, dir string, log *slog.Logger) error {
	builds := []struct {
		path *string
		name string
	}{{&cfg.Bridge, "wican-bridge"}, {&cfg.Sim, "wican-sim"}}
	for _, b := range builds {
		if *b.path != "" {
			continue
		}
		out := filepath.Join(dir, b.name)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, modulePath+"/cmd/"+b.name)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s (run inside the repository, or pass --%s): %w\n%s",
				b.name, b.name[len("wican-"):], err, msg)
		}
		log.Info("built", "binary", out)
		*b.path = out
	}
	if cfg.Mosquitto != "" {
		return nil
	}
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		return errors.New("mosquitto not found in PATH: install Debian's mosquitto package or" +
			" pass --mosquitto")
	}
	cfg.Mosquitto = path
	return nil
}
