package discovery

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"
)

func testAdapter(key, service, addr string, port int) Adapter {
	return Adapter{
		Key:      key,
		DeviceID: key,
		HostName: "wican_" + key + ".local",
		Addrs:    []netip.Addr{netip.MustParseAddr(addr)},
		Port:     port,
		Service:  service,
	}
}

func TestTrackEvents(t *testing.T) {
	const id = "a1b2c3d4e5f6"
	tests := []struct {
		name      string
		sightings []Adapter
		want      []EventKind
	}{
		{
			name:      "first sighting",
			sightings: []Adapter{testAdapter(id, ServiceWiCAN, "192.0.2.10", 80)},
			want:      []EventKind{Found},
		},
		{
			name: "same address again",
			sightings: []Adapter{
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
			},
			want: []EventKind{Found},
		},
		{
			name: "new address",
			sightings: []Adapter{
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
				testAdapter(id, ServiceWiCAN, "192.0.2.11", 80),
				testAdapter(id, ServiceWiCAN, "192.0.2.11", 80),
			},
			want: []EventKind{Found, AddressChanged},
		},
		{
			name: "new port",
			sightings: []Adapter{
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 8080),
			},
			want: []EventKind{Found, AddressChanged},
		},
		{
			name: "http entry ignored after wican entry",
			sightings: []Adapter{
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
				testAdapter(id, ServiceHTTP, "192.0.2.10", 8080),
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
			},
			want: []EventKind{Found},
		},
		{
			name: "firmware upgrade keeps adapter",
			sightings: []Adapter{
				testAdapter(id, ServiceHTTP, "192.0.2.10", 80),
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
				testAdapter(id, ServiceHTTP, "192.0.2.10", 81),
			},
			want: []EventKind{Found},
		},
		{
			name: "two adapters",
			sightings: []Adapter{
				testAdapter(id, ServiceWiCAN, "192.0.2.10", 80),
				testAdapter("0a0b0c0d0e0f", ServiceHTTP, "192.0.2.10", 80),
			},
			want: []EventKind{Found, Found},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBrowser(Options{})
			b.seen = make(map[string]Adapter)
			events := make(chan Event, len(tt.sightings))

			for _, a := range tt.sightings {
				b.track(t.Context(), a, events)
			}
			close(events)

			var got []EventKind
			for e := range events {
				got = append(got, e.Kind)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events = %v, want %v", got, tt.want)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("event %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestTrackGivesUpWhenContextEnds(t *testing.T) {
	b := NewBrowser(Options{})
	b.seen = make(map[string]Adapter)
	a := testAdapter("a1b2c3d4e5f6", ServiceWiCAN, "192.0.2.10", 80)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	done := make(chan struct{})
	go func() {
		b.track(ctx, a, make(chan Event)) // nobody receives
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("track still blocked on a full channel after the context ended")
	}

	// The event was never received, so the next sighting must report the adapter again.
	events := make(chan Event, 1)
	b.track(t.Context(), a, events)
	select {
	case e := <-events:
		if e.Kind != Found {
			t.Errorf("Kind = %v, want %v", e.Kind, Found)
		}
	default:
		t.Error("adapter whose event was never received is not reported again")
	}
}

func TestTrackLogsFoundAndMoved(t *testing.T) {
	handler := newRecordHandler()
	b := NewBrowser(Options{Logger: slog.New(handler)})
	b.seen = make(map[string]Adapter)

	b.track(t.Context(), testAdapter("a1b2c3d4e5f6", ServiceWiCAN, "192.0.2.10", 80), nil)
	b.track(t.Context(), testAdapter("a1b2c3d4e5f6", ServiceWiCAN, "192.0.2.11", 80), nil)

	records := handler.all()
	if len(records) != 2 {
		t.Fatalf("logged %d records, want 2: %+v", len(records), records)
	}
	wantAddrs := []string{"192.0.2.10:80", "192.0.2.11:80"}
	for i, rec := range records {
		if rec.level != slog.LevelInfo {
			t.Errorf("record %d level = %v, want Info", i, rec.level)
		}
		if rec.attrs["device"] != "a1b2c3d4e5f6" {
			t.Errorf("record %d device = %q, want the device id", i, rec.attrs["device"])
		}
		if rec.attrs["host"] != "wican_a1b2c3d4e5f6.local" {
			t.Errorf("record %d host = %q, want the host name", i, rec.attrs["host"])
		}
		if rec.attrs["addr"] != wantAddrs[i] {
			t.Errorf("record %d addr = %q, want %q", i, rec.attrs["addr"], wantAddrs[i])
		}
	}
	if records[1].attrs["old_addr"] != "192.0.2.10:80" {
		t.Errorf("old_addr = %q, want the previous address", records[1].attrs["old_addr"])
	}
}
