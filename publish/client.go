package publish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Options configures a Client.
type Options struct {
	Broker   string // tcp://host:port or ssl://host:port
	Username string
	Password string
	CAFile   string // PEM file of CAs trusted for ssl:// brokers; the system pool when empty
	ClientID string
	// StatusTopic receives "online" on every connect and "offline" as the retained last will.
	StatusTopic string
	// OnConnect runs after every connect and reconnect, once subscriptions are in place.
	// The owner publishes its current state again here, because QoS 0 messages on their
	// way when the connection dropped are lost without an error.
	OnConnect func()
	// OnFailure runs when published messages were not acknowledged or, with QoS 0, not
	// written. The client drops their values, because with several batches in flight a
	// retried message could overwrite a newer one, and the owner resends its current
	// state instead. Removals (empty payloads) are retried, because a resend cannot
	// restore them.
	OnFailure func()
	Logger    *slog.Logger
}

// Handler receives a message from a subscription.
type Handler func(topic string, payload []byte)

// Client publishes through a queue that keeps only the latest message per topic, so
// Send never blocks on the broker and memory stays bounded while the broker is away.
type Client struct {
	opts      Options
	log       *slog.Logger
	cli       mqtt.Client
	q         *queue
	connected chan struct{}
	subsMu    sync.Mutex
	subs      map[string]Handler
	sent      atomic.Uint64
	latency   *Histogram
}

// statusQoS is the quality of service of the status topic and the last will. Other
// messages carry their own in Message.QoS.
const statusQoS = 1

// subscribeQoS is the quality of service of subscriptions. With a clean session QoS 1
// protects nothing across a reconnect, and TCP delivers every message on a live one.
// QoS 0 saves an acknowledgement for each retained message sent on subscribing, which
// for 10,000 adapters of 30 parameters are 390,000 discovery configs.
const subscribeQoS = 0

// New creates a client. Nothing connects before Run.
func New(opts Options) (*Client, error) {
	c := &Client{
		opts:      opts,
		log:       opts.Logger,
		q:         newQueue(),
		connected: make(chan struct{}, 1),
		subs:      make(map[string]Handler),
		latency:   newHistogram(),
	}
	mo := mqtt.NewClientOptions().
		AddBroker(opts.Broker).
		SetClientID(opts.ClientID).
		SetUsername(opts.Username).
		SetPassword(opts.Password).
		SetCleanSession(true).
		SetOrderMatters(true).
		SetStore(newCopyingStore()).
		SetAutoReconnect(true).
		SetConnectTimeout(10*time.Second).
		SetMaxReconnectInterval(30*time.Second).
		SetKeepAlive(30*time.Second).
		SetWill(opts.StatusTopic, "offline", statusQoS, true).
		SetOnConnectHandler(func(mqtt.Client) { c.onConnect() }).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			c.log.Warn("MQTT connection lost, reconnecting", "broker", opts.Broker, "err", err)
		})
	if opts.CAFile != "" {
		cfg, err := tlsConfig(opts.CAFile)
		if err != nil {
			return nil, err
		}
		mo.SetTLSConfig(cfg)
	}
	UseBufferedConnection(mo)
	c.cli = mqtt.NewClient(mo)
	return c, nil
}

func tlsConfig(caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read MQTT CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("MQTT CA file %s holds no PEM certificate", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// Subscribe registers a handler, subscribed on every connect. Call it before Run.
// Handlers run one at a time in arrival order and block all further messages while they
// run, so they must return quickly and must not wait for a publish.
func (c *Client) Subscribe(filter string, h Handler) {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	c.subs[filter] = h
}

// Send queues messages for publishing. It never blocks on the broker.
func (c *Client) Send(msgs ...Message) {
	c.q.push(msgs...)
}

// Connected reports whether the connection to the broker is up.
func (c *Client) Connected() bool {
	return c.cli.IsConnectionOpen()
}

// Pending returns the number of messages waiting to be published.
func (c *Client) Pending() int { return c.q.len() }

// Latency returns the histogram of publish latencies.
func (c *Client) Latency() *Histogram { return c.latency }

// Published returns how many messages the broker has acknowledged (QoS 1) or paho has
// written to the connection (QoS 0).
func (c *Client) Published() uint64 { return c.sent.Load() }

func (c *Client) onConnect() {
	c.log.Info("MQTT connected", "broker", c.opts.Broker)
	c.subsMu.Lock()
	for filter, h := range c.subs {
		h := h
		c.cli.Subscribe(filter, subscribeQoS, func(_ mqtt.Client, m mqtt.Message) {
			h(m.Topic(), m.Payload())
		})
	}
	c.subsMu.Unlock()
	c.cli.Publish(c.opts.StatusTopic, statusQoS, true, "online")
	if c.opts.OnConnect != nil {
		c.opts.OnConnect()
	}
	select {
	case c.connected <- struct{}{}:
	default:
	}
}

// Run connects and publishes queued messages until ctx ends. Then it marks the bridge
// offline and disconnects. It returns an error only when the client cannot start at all.
//
// Batches are pipelined: the next batch goes out while earlier ones wait for their
// acknowledgements, about maxInFlight batches of at most maxBatch messages (the channel
// holds maxInFlight, and the acknowledging loop and Run hold one more each). Mosquitto
// delays its acknowledgements by default (Nagle's algorithm), and waiting for each batch
// would add that delay to every post.
func (c *Client) Run(ctx context.Context) error {
	go c.connect(ctx)
	acks := make(chan inFlight, maxInFlight)
	ackDone := make(chan struct{})
	go func() {
		c.ackLoop(ctx, acks)
		close(ackDone)
	}()
	defer func() {
		close(acks)
		<-ackDone
		c.shutdown()
	}()

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.q.ready:
		case <-c.connected:
		}
		if !c.cli.IsConnectionOpen() {
			continue
		}
		batch := c.q.take(nil, maxBatch)
		if len(batch) == 0 {
			continue
		}
		if c.q.len() > 0 {
			c.q.signal()
		}
		tokens := make([]mqtt.Token, len(batch))
		for i, m := range batch {
			tokens[i] = c.cli.Publish(m.Topic, m.qos(), m.Retain, m.Payload)
		}
		select {
		case acks <- inFlight{batch, tokens}:
		case <-ctx.Done():
			return nil
		}
	}
}

// Limits of the publishing pipeline. They bound the paho tokens and payloads in flight.
const (
	maxBatch     = 1024
	maxInFlight  = 4
	maxKeptBatch = 4096 // the largest queue buffers kept for reuse after a backlog
)

// inFlight is a published batch waiting for its acknowledgements.
type inFlight struct {
	batch  []Message
	tokens []mqtt.Token
}

// ackLoop waits for each batch's acknowledgements in order. paho completes the token of a
// QoS 0 message once it has written the message to the connection. Failed messages go
// back to the queue, unless a newer message for their topic arrived meanwhile.
func (c *Client) ackLoop(ctx context.Context, acks <-chan inFlight) {
	for f := range acks {
		var failed []Message
		var firstErr error
		for i, tok := range f.tokens {
			if err := waitToken(ctx, tok); err != nil {
				failed = append(failed, f.batch[i])
				firstErr = cmpOr(firstErr, err)
				continue
			}
			c.sent.Add(1)
			c.latency.observe(time.Since(f.batch[i].queued))
		}
		if len(failed) == 0 || ctx.Err() != nil {
			continue
		}
		c.log.Warn("MQTT publish failed; resending the current state", "count", len(failed),
			"err", firstErr)
		removals := failed[:0]
		for _, m := range failed {
			if len(m.Payload) == 0 {
				removals = append(removals, m)
			}
		}
		c.q.requeue(removals)
		if c.opts.OnFailure != nil {
			c.opts.OnFailure()
		}
		// Wait for a reconnect or more messages rather than spin on a dead connection.
		time.Sleep(200 * time.Millisecond)
		c.q.signal()
	}
}

// connect makes the first connection, retrying with backoff until it succeeds or ctx
// ends. Later drops are paho's to reconnect. Each failure is logged with its reason,
// since a wrong address, login or certificate is for the user to fix.
func (c *Client) connect(ctx context.Context) {
	delay := time.Second
	for attempt := 1; ; attempt++ {
		tok := c.cli.Connect()
		select {
		case <-tok.Done():
		case <-ctx.Done():
			return
		}
		if tok.Error() == nil {
			return
		}
		if attempt <= 3 || attempt%10 == 0 {
			c.log.Error("MQTT connect failed, retrying", "broker", c.opts.Broker,
				"attempt", attempt, "err", tok.Error())
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		delay = min(2*delay, 30*time.Second)
	}
}

var errTimeout = errors.New("no acknowledgement within 10 s")

func waitToken(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	default:
	}
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
		return errTimeout
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (c *Client) shutdown() {
	if c.cli.IsConnectionOpen() {
		tok := c.cli.Publish(c.opts.StatusTopic, statusQoS, true, "offline")
		tok.WaitTimeout(2 * time.Second)
	}
	c.cli.Disconnect(500)
	c.log.Info("MQTT disconnected", "broker", c.opts.Broker)
}

// Flush publishes what is still queued, waiting at most until ctx ends. It is meant for
// shutdown, before Run's context is cancelled.
func (c *Client) Flush(ctx context.Context) {
	if !c.cli.IsConnectionOpen() {
		return
	}
	batch := c.q.take(nil, c.q.len())
	for _, m := range batch {
		tok := c.cli.Publish(m.Topic, m.qos(), m.Retain, m.Payload)
		if waitToken(ctx, tok) != nil {
			return
		}
	}
}
