package broker

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func connect(addr, user, password string) error {
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("broker-test-" + user).
		SetUsername(user).SetPassword(password).SetConnectTimeout(2 * time.Second)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	tok.WaitTimeout(3 * time.Second)
	if tok.Error() == nil {
		c.Disconnect(50)
	}
	return tok.Error()
}

func TestLoginRequiredWhenUserSet(t *testing.T) {
	b, err := Start("127.0.0.1:0", "ha", "secret", quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := connect(b.Addr(), "", ""); err == nil {
		t.Error("an anonymous client connected to a broker that requires a login")
	}
	if err := connect(b.Addr(), "ha", "wrong"); err == nil {
		t.Error("a client with a wrong password connected")
	}
	if err := connect(b.Addr(), "ha", "secret"); err != nil {
		t.Errorf("the right login was refused: %v", err)
	}
}

func TestAnonymousWithoutUser(t *testing.T) {
	b, err := Start("127.0.0.1:0", "", "", quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := connect(b.Addr(), "", ""); err != nil {
		t.Errorf("anonymous client refused: %v", err)
	}
}

func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(ln.Addr().String(), "", "", quietLog())
	if !errors.Is(err, ErrAddrInUse) {
		t.Errorf("Start on a taken port: %v, want ErrAddrInUse", err)
	}
}
