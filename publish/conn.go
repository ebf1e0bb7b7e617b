package publish

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// maxPendingWrite bounds the bytes that bufferedConn gathers before Write waits for
// the connection.
const maxPendingWrite = 1 << 20

// closeFlushTimeout bounds how long Close waits for gathered bytes, such as paho's
// DISCONNECT, to reach the connection.
const closeFlushTimeout = time.Second

// bufferedConn is the broker connection with buffered reads and gathered writes.
// paho (v1.5.1) reads each packet's header one byte at a time and writes each packet
// with its own call, so three reads and a write for every QoS 1 message would each
// be a system call. Here reads come from a buffer, and a writer goroutine sends what
// has gathered while its previous write was in the kernel, so a busy client writes
// many packets at once and an idle one writes each packet at once.
type bufferedConn struct {
	net.Conn
	reader *bufio.Reader

	mu      sync.Mutex
	cond    *sync.Cond // signalled when pending is taken or err is set
	pending []byte
	err     error // the first write error; later writes return it
	closing bool
	wake    chan struct{}
	done    chan struct{} // closed when the writer goroutine ends
}

func newBufferedConn(conn net.Conn) *bufferedConn {
	c := &bufferedConn{
		Conn:   conn,
		reader: bufio.NewReaderSize(conn, 32<<10),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	c.cond = sync.NewCond(&c.mu)
	go c.writeLoop()
	return c
}

func (c *bufferedConn) Read(p []byte) (int, error) {
	return c.reader.Read(p)
}

// Write gathers p for the writer goroutine. It returns an error once a write to the
// connection has failed, and waits while more than maxPendingWrite bytes are pending.
func (c *bufferedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && !c.closing && len(c.pending) > maxPendingWrite {
		c.cond.Wait()
	}
	if c.err != nil {
		return 0, c.err
	}
	if c.closing {
		return 0, net.ErrClosed
	}
	c.pending = append(c.pending, p...)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// writeLoop writes pending bytes until Close, then once more, and ends.
func (c *bufferedConn) writeLoop() {
	defer close(c.done)
	var spare []byte
	for {
		<-c.wake
		c.mu.Lock()
		batch := c.pending
		c.pending = spare[:0]
		closing := c.closing
		c.cond.Broadcast()
		c.mu.Unlock()

		if len(batch) > 0 {
			if _, err := c.Conn.Write(batch); err != nil {
				c.mu.Lock()
				c.err = fmt.Errorf("write to broker: %w", err)
				c.cond.Broadcast()
				c.mu.Unlock()
				// paho (v1.5.1) learns of a lost connection from a failed read, but it
				// ignores the error of a read on a closed connection. An expired read
				// deadline gives it an error that it reports, and paho then closes the
				// connection itself.
				c.Conn.SetReadDeadline(time.Now())
				return
			}
		}
		if closing {
			return
		}
		// A batch that grew large once is not kept, so an idle connection holds little.
		if cap(batch) <= 64<<10 {
			spare = batch
		} else {
			spare = nil
		}
	}
}

// Close writes what is pending, within closeFlushTimeout, and closes the connection.
func (c *bufferedConn) Close() error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closing = true
	c.cond.Broadcast()
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}

	c.Conn.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
	select {
	case <-c.done:
	case <-time.After(closeFlushTimeout):
	}
	return c.Conn.Close()
}

// openConnection dials the broker for paho and wraps the connection in a
// bufferedConn. It handles the schemes that dial TCP, with or without TLS, and ignores
// proxy settings in the environment.
func openConnection(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	dialer := &net.Dialer{Timeout: o.ConnectTimeout}
	var conn net.Conn
	var err error
	switch uri.Scheme {
	case "tcp", "mqtt":
		conn, err = dialer.Dial("tcp", uri.Host)
	case "ssl", "tls", "mqtts":
		conn, err = tls.DialWithDialer(dialer, "tcp", uri.Host, o.TLSConfig)
	default:
		return nil, errors.New("scheme " + uri.Scheme + " is not dialled by the buffered connection")
	}
	if err != nil {
		return nil, err
	}
	return newBufferedConn(conn), nil
}

// UseBufferedConnection makes a paho client connect through a bufferedConn when every
// broker added to o so far is one that openConnection dials. Brokers of other schemes,
// such as ws:// and wss://, keep paho's own connection.
func UseBufferedConnection(o *mqtt.ClientOptions) *mqtt.ClientOptions {
	for _, u := range o.Servers {
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts":
		default:
			return o
		}
	}
	return o.SetCustomOpenConnectionFn(openConnection)
}
