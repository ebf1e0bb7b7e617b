package publish

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// loopbackPair returns a bufferedConn dialled to a loopback listener and the
// listener's side of the connection.
func loopbackPair(t *testing.T) (*bufferedConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- conn
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { peer.Close() })
	return newBufferedConn(raw), peer
}

func TestBufferedConnKeepsOrder(t *testing.T) {
	conn, peer := loopbackPair(t)
	var want bytes.Buffer
	for i := range 20000 {
		packet := fmt.Appendf(nil, "packet %d;", i)
		want.Write(packet)
		if _, err := conn.Write(packet); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(peer)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("peer received %d bytes that differ from the %d written", len(got), want.Len())
	}
}

func TestBufferedConnReadsInBytes(t *testing.T) {
	conn, peer := loopbackPair(t)
	defer conn.Close()
	// Four PUBACKs in one segment, read the way paho reads them: a byte, a byte, then
	// the rest.
	if _, err := peer.Write([]byte{0x40, 2, 0, 1, 0x40, 2, 0, 2, 0x40, 2, 0, 3, 0x40, 2, 0, 4}); err != nil {
		t.Fatal(err)
	}
	for id := byte(1); id <= 4; id++ {
		header := make([]byte, 2)
		if _, err := io.ReadFull(conn, header[:1]); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, header[1:]); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, header[1])
		if _, err := io.ReadFull(conn, body); err != nil {
			t.Fatal(err)
		}
		if header[0] != 0x40 || body[1] != id {
			t.Errorf("packet %d: header % x body % x", id, header, body)
		}
	}
}

func TestBufferedConnReportsWriteFailure(t *testing.T) {
	conn, peer := loopbackPair(t)
	defer conn.Close()
	peer.(*net.TCPConn).SetLinger(0) // closing resets the connection
	peer.Close()

	deadline := time.Now().Add(5 * time.Second)
	var err error
	for err == nil && time.Now().Before(deadline) {
		_, err = conn.Write(make([]byte, 64<<10))
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a reset connection kept succeeding")
	}
	if errors.Is(err, net.ErrClosed) {
		t.Errorf("error %v, want the write failure", err)
	}
}

func TestBufferedConnWriteAfterClose(t *testing.T) {
	conn, _ := loopbackPair(t)
	conn.Close()
	if _, err := conn.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after close: %v, want net.ErrClosed", err)
	}
}

func TestUseBufferedConnectionSchemes(t *testing.T) {
	for broker, want := range map[string]bool{
		"tcp://127.0.0.1:1883": true, "ssl://broker.lan:8883": true, "mqtts://broker.lan": true,
		"ws://127.0.0.1:9001": false, "wss://broker.lan/mqtt": false,
	} {
		opts := UseBufferedConnection(mqtt.NewClientOptions().AddBroker(broker))
		if got := opts.CustomOpenConnectionFn != nil; got != want {
			t.Errorf("%s: buffered connection %v, want %v", broker, got, want)
		}
	}
}

// After a failed write, paho's pending read must fail with an error it reports, not the
// "use of closed network connection" that paho v1.5.1 ignores.
func TestBufferedConnWriteFailureEndsRead(t *testing.T) {
	conn, _ := loopbackPair(t)
	defer conn.Close()
	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		readErr <- err
	}()
	conn.Conn.SetWriteDeadline(time.Now()) // the next write to the socket fails
	if _, err := conn.Write([]byte("publish")); err != nil {
		t.Fatalf("first write: %v, want it gathered without error", err)
	}
	select {
	case err := <-readErr:
		if err == nil || errors.Is(err, net.ErrClosed) {
			t.Errorf("read after a failed write returned %v, want an error paho reports", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read still blocked 5 s after the write failed")
	}
	if _, err := conn.Write([]byte("next")); err == nil {
		t.Error("write after a failed write succeeded, want the failure")
	}
}
