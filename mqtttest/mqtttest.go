// Package mqtttest starts MQTT brokers and subscribers for tests: a real Mosquitto on a
// free loopback port, or the embedded broker when the mosquitto binary is absent.
package mqtttest

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/wican-bridge/wican-bridge/broker"
)

// Broker is a broker started for one test.
type Broker struct {
	URL  string // tcp://127.0.0.1:port, or ssl:// for StartTLS
	Addr string
	cmd  *exec.Cmd
	conf string
	// tlsLines are the listener's TLS settings in mosquitto.conf, empty without TLS.
	tlsLines string
}

// Start starts Mosquitto on a free loopback port, stopped when the test ends. Without
// the mosquitto binary it starts the embedded broker and logs that it did. With CI set
// in the environment a missing mosquitto fails the test instead.
func Start(t testing.TB) *Broker {
	t.Helper()
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mosquitto is not installed; .ci/run installs it")
		}
		t.Log("mosquitto not found: testing against the embedded broker instead")
		return startEmbedded(t)
	}
	b := &Broker{}
	b.Addr = freeAddr(t)
	b.conf = filepath.Join(t.TempDir(), "mosquitto.conf")
	b.start(t, path)
	t.Cleanup(b.Stop)
	return b
}

func (b *Broker) start(t testing.TB, path string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(b.Addr)
	conf := fmt.Sprintf("listener %s 127.0.0.1\n%sallow_anonymous true\npersistence false\n",
		port, b.tlsLines)
	if os.Geteuid() == 0 {
		// Mosquitto started as root switches to its own user, which cannot read the
		// test's private temporary files.
		conf += "user root\n"
	}
	if err := os.WriteFile(b.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.cmd = exec.Command(path, "-c", b.conf)
	b.cmd.Stdout, b.cmd.Stderr = io.Discard, io.Discard
	// The broker dies with the test process, even when a timed-out test skips its cleanups.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	b.URL = "tcp://" + b.Addr
	if b.tlsLines != "" {
		b.URL = "ssl://" + b.Addr
	}
	waitListening(t, b.Addr)
}

// StartTLS starts Mosquitto with a TLS listener whose certificate, for 127.0.0.1, is
// signed by caFile's CA. It skips the test without the mosquitto binary.
func StartTLS(t testing.TB, caFile, certFile, keyFile string) *Broker {
	t.Helper()
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		t.Skip("the MQTT TLS test needs the mosquitto binary")
	}
	b := &Broker{Addr: freeAddr(t), conf: filepath.Join(t.TempDir(), "mosquitto.conf"),
		tlsLines: fmt.Sprintf("cafile %s\ncertfile %s\nkeyfile %s\n", caFile, certFile, keyFile)}
	b.start(t, path)
	t.Cleanup(b.Stop)
	return b
}

// Stop ends the broker process. Retained messages are lost, as after a restart of a
// broker without persistence.
func (b *Broker) Stop() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	_ = b.cmd.Wait()
	b.cmd = nil
}

// Restart starts Mosquitto again on the same port after Stop.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		t.Skip("restarting needs the mosquitto binary")
	}
	b.start(t, path)
}

func startEmbedded(t testing.TB) *Broker {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	emb, err := broker.Start("127.0.0.1:0", "", "", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emb.Close() })
	return &Broker{URL: "tcp://" + emb.Addr(), Addr: emb.Addr()}
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t testing.TB, addr string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("broker did not listen on %s within 5 s", addr)
}

// Message is one message a Subscriber received.
type Message struct {
	Topic    string
	Payload  string
	Retained bool
}

// Subscriber records every message on a filter.
type Subscriber struct {
	mu   sync.Mutex
	msgs []Message
	cli  mqtt.Client
}

var clientSeq atomic.Int64

// Subscribe connects to the broker and records messages on filter until the test ends.
func Subscribe(t testing.TB, brokerURL, filter string) *Subscriber {
	t.Helper()
	return SubscribeAs(t, brokerURL, filter, "", "")
}

// SubscribeAs is Subscribe with a user name and password.
func SubscribeAs(t testing.TB, brokerURL, filter, user, password string) *Subscriber {
	t.Helper()
	return subscribe(t, brokerURL, filter, user, password, 1)
}

// SubscribeQoS0 is Subscribe with QoS 0, the default of Home Assistant. Mosquitto then
// delivers all messages in the order it received them. With QoS 1, QoS 0 messages can
// overtake QoS 1 messages that wait for its in-flight limit (20 by default).
func SubscribeQoS0(t testing.TB, brokerURL, filter string) *Subscriber {
	t.Helper()
	return subscribe(t, brokerURL, filter, "", "", 0)
}

// subscribe connects to the broker and records messages on filter with the given QoS.
func subscribe(t testing.TB, brokerURL, filter, user, password string, qos byte) *Subscriber {
	t.Helper()
	s := &Subscriber{}
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetUsername(user).SetPassword(password).
		SetClientID("test-sub-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(clientSeq.Add(1), 10)).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe(filter, qos, func(_ mqtt.Client, m mqtt.Message) {
				s.mu.Lock()
				s.msgs = append(s.msgs, Message{m.Topic(), string(m.Payload()), m.Retained()})
				s.mu.Unlock()
			}).Wait()
		})
	s.cli = mqtt.NewClient(opts)
	if tok := s.cli.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("test subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { s.cli.Disconnect(100) })
	return s
}

// Messages returns a copy of what was received so far.
func (s *Subscriber) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Reset clears the messages received so far.
func (s *Subscriber) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = nil
}

// Latest returns the last payload seen on each topic.
func (s *Subscriber) Latest() map[string]string {
	latest := map[string]string{}
	for _, m := range s.Messages() {
		latest[m.Topic] = m.Payload
	}
	return latest
}

// WaitFor polls until cond holds for the latest payloads, failing the test after timeout.
func (s *Subscriber) WaitFor(t testing.TB, timeout time.Duration, what string,
	cond func(latest map[string]string) bool) map[string]string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		latest := s.Latest()
		if cond(latest) {
			return latest
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Publish sends one message, as Home Assistant would.
func (s *Subscriber) Publish(t testing.TB, topic, payload string, retain bool) {
	t.Helper()
	tok := s.cli.Publish(topic, 1, retain, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}
