package discovery

import (
	"context"
	"fmt"
)

// EventKind is the kind of change that an Event reports.
type EventKind int

// Event kinds.
const (
	// Found is sent the first time Browser.Run receives an adapter's Key.
	Found EventKind = iota + 1
	// AddressChanged is sent when an adapter's first address or port differs from the
	// one last sent.
	AddressChanged
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case Found:
		return "found"
	case AddressChanged:
		return "address changed"
	default:
		return fmt.Sprintf("EventKind(%d)", int(k))
	}
}

// Event reports an adapter that was found or moved.
type Event struct {
	Adapter Adapter
	Kind    EventKind
}

// track compares a with the adapter last sent under the same Key, logs what changed
// and sends the event. When ctx ends before the receiver takes the event, track returns
// without recording a.
func (b *Browser) track(ctx context.Context, a Adapter, events chan<- Event) {
	previous, known := b.seen[a.Key]

	// An adapter that announces both service types is reported by its ServiceWiCAN
	// entry, so differing ports in the two announcements cause no event every round.
	if known && previous.Service == ServiceWiCAN && a.Service == ServiceHTTP {
		return
	}
	if known && previous.HostPort() == a.HostPort() {
		b.seen[a.Key] = a // keep the latest TXT record
		return
	}

	kind := Found
	if known {
		kind = AddressChanged
		b.log.Info("WiCAN adapter address changed", "device", a.Key, "host", a.HostName,
			"addr", a.HostPort(), "old_addr", previous.HostPort())
	} else {
		b.log.Info("WiCAN adapter found", "device", a.Key, "host", a.HostName,
			"addr", a.HostPort(), "service", a.Service)
	}

	if events != nil {
		select {
		case events <- Event{Adapter: a, Kind: kind}:
		case <-ctx.Done():
			return
		}
	}
	b.seen[a.Key] = a
}
