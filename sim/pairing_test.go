package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/devicecfg"
)

// These tests pair the devicecfg client with the simulator, as the bridge does.

func newClient() *devicecfg.Client {
	return devicecfg.New(nil, devicecfg.Options{Timeout: time.Second})
}

func TestClientPairsAProAndPostsArrive(t *testing.T) {
	recv := newReceiver(t, nil)
	a, api := startAdapter(t, Options{Pro: true, TimeScale: 25})
	host := strings.TrimPrefix(api, "http://")
	u := devicecfg.WebhookUpdate{URL: recv.hook(), Failover: recv.URL + "/api/webhook/backup0000",
		Interval: 1, Enabled: true}

	w, err := newClient().SetWebhook(context.Background(), host, u)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Matches(u) || w.Failover() != u.Failover {
		t.Errorf("answer %+v does not match %+v", w, u)
	}
	p := recv.waitPosts(t, 1)[0]
	if section(p.body, "status")["device_id"] != a.DeviceID() {
		t.Errorf("first post lacks the device id: %v", p.body)
	}
}

func TestClientURLsFallback(t *testing.T) {
	_, api := startAdapter(t, Options{RejectURLs: true})
	host := strings.TrimPrefix(api, "http://")
	u := devicecfg.WebhookUpdate{URL: primary, Failover: failover, Interval: 15, Enabled: true}

	w, err := newClient().SetWebhook(context.Background(), host, u)
	if err != nil {
		t.Fatal(err)
	}
	if w.URL != primary || w.URLs != nil || !w.Matches(u) {
		t.Errorf("answer %+v", w)
	}
}

func TestClientRefusesHTTPSForANonPro(t *testing.T) {
	_, api := startAdapter(t, Options{})
	host := strings.TrimPrefix(api, "http://")
	u := devicecfg.WebhookUpdate{URL: "https://bridge.example.org/api/webhook/abcdef",
		Interval: 15, Enabled: true}

	_, err := newClient().SetWebhook(context.Background(), host, u)
	if !errors.Is(err, devicecfg.ErrHTTPSUnsupported) {
		t.Errorf("err = %v, want ErrHTTPSUnsupported", err)
	}
}

func TestClientSeesUserSettingsMode(t *testing.T) {
	_, api := startAdapter(t, Options{Pro: true, ManualOverride: true,
		UserURL: "http://192.0.2.99/mine"})
	host := strings.TrimPrefix(api, "http://")
	u := devicecfg.WebhookUpdate{URL: primary, Interval: 15, Enabled: true}

	w, err := newClient().SetWebhook(context.Background(), host, u)
	if err != nil {
		t.Fatal(err)
	}
	if w.Matches(u) || !w.ManualOverride || w.URL != "http://192.0.2.99/mine" {
		t.Errorf("answer %+v, want the user's own settings", w)
	}
}

func TestClientReadsMetadataAndValues(t *testing.T) {
	a, api := startAdapter(t, Options{Pro: true})
	host := strings.TrimPrefix(api, "http://")
	c := newClient()

	meta, err := c.CarConfig(context.Background(), host)
	if err != nil || meta["0C-EngineRPM"].Class != "speed" {
		t.Fatalf("CarConfig = %v, %v", meta, err)
	}
	values, err := c.AutoPIDData(context.Background(), host)
	if err != nil || values["DOOR_FL"] == nil {
		t.Fatalf("AutoPIDData = %v, %v", values, err)
	}

	_, api2 := startAdapter(t, Options{Pro: true, Protocol: "elm327", DeviceID: a.DeviceID()})
	_, err = c.AutoPIDData(context.Background(), strings.TrimPrefix(api2, "http://"))
	if !errors.Is(err, devicecfg.ErrNoData) {
		t.Errorf("err = %v, want ErrNoData", err)
	}
}
