package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// mosquitto is the soak's own broker on a loopback port, restarted on the same port
// and with the same persistence directory after an outage.
type mosquitto struct {
	path, addr, dir, logDir string
	proc                    *child
	starts                  int
}

// newMosquitto writes the broker's configuration into dir.
func newMosquitto(path, dir, logDir string) (*mosquitto, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	store := filepath.Join(dir, "mosquitto-data") + "/"
	if err := os.MkdirAll(store, 0o700); err != nil {
		return nil, fmt.Errorf("create broker persistence directory: %w", err)
	}
	// An unlimited queue per client keeps the broker from dropping messages for the
	// soak's own subscriber when the bridge republishes everything after the outage. It
	// does not change what the bridge publishes or what the broker retains.
	conf := "listener " + port + " 127.0.0.1\nallow_anonymous true\n" +
		"persistence true\npersistence_location " + store + "\nmax_queued_messages 0\n"
	if os.Geteuid() == 0 {
		// Started as root, Mosquitto switches to its own user, which cannot write the
		// soak's private temporary directory.
		conf += "user root\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "mosquitto.conf"), []byte(conf), 0o600); err != nil {
		return nil, fmt.Errorf("write mosquitto.conf: %w", err)
	}
	return &mosquitto{path: path, addr: addr, dir: dir, logDir: logDir}, nil
}

// url returns the broker's URL for MQTT clients.
func (m *mosquitto) url() string { return "tcp://" + m.addr }

// start starts the broker and waits until it accepts connections.
func (m *mosquitto) start(ctx context.Context) error {
	m.starts++
	logPath := filepath.Join(m.logDir, "mosquitto-"+strconv.Itoa(m.starts)+".log")
	args := []string{"-c", filepath.Join(m.dir, "mosquitto.conf")}
	proc, err := startChild("mosquitto", m.path, args, logPath, nil)
	if err != nil {
		return err
	}
	m.proc = proc
	if err := waitListening(ctx, m.addr, 10*time.Second); err != nil {
		return fmt.Errorf("mosquitto (log %s): %w", logPath, err)
	}
	return nil
}

// halt stops the broker with sig. After SIGKILL the retained messages that were never
// saved are lost, and SIGTERM makes Mosquitto save them first.
func (m *mosquitto) halt(sig syscall.Signal) error {
	err := m.proc.stop(sig, 10*time.Second)
	if sig == syscall.SIGKILL {
		// The exit status of a killed process is an error by design.
		return nil
	}
	return err
}
