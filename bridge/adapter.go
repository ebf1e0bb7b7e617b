package bridge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
	"unique"

	"github.com/wican-bridge/wican-bridge/ha"
	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// errIdentity is returned when a post names another adapter than the one bound to the webhook.
var errIdentity = errors.New("device_id does not match the adapter bound to this webhook")

// maxParams caps the parameters kept per adapter, so that one adapter cannot exhaust
// memory or flood Home Assistant with entities.
const maxParams = 1000

// adapter is the live state of one webhook and of the adapter bound to it.
type adapter struct {
	mu     sync.Mutex
	hook   *store.Webhook
	node   string
	params map[string]*param

	battery    *float64
	uptime     *float64
	ecu        string
	remoteIP   string
	prevPost   time.Time
	observed   time.Duration // gap between the last two posts
	online     bool
	announced  bool // the device's diagnostic configs were sent under node
	accepted   uint64
	rejected   uint64
	dropped    uint64 // parameters over maxParams
	removed    map[string]bool
	deviceHook *webhookStats // the adapter's own webhook counters, when read
	pair       *pairInfo     // nil for adapters whose API the bridge does not know
	metaAsked  time.Time     // when the adapter's metadata was last requested
	needMeta   bool          // a post brought a parameter without metadata
	learned    bool          // the last post revealed the adapter's identity
	// announceWanted marks an adapter whose configs and states wait for the announcer;
	// announceQueued tells the caller of apply or update to hand it over.
	announceWanted bool
	announceQueued bool
	// structChanged is set when a post changed what the state file must keep soon: the
	// binding, identity, versions or metadata.
	structChanged bool
}

// param is one parameter of an adapter.
type param struct {
	id    unique.Handle[paramID]
	value payload.Value
	// entity is shared by every parameter classified the same way, which saves about 80
	// bytes per parameter.
	entity    unique.Handle[ha.Entity]
	announced bool   // the config for entity was sent since the last (re)connect
	sentAs    string // component of the last config sent, "" when none is in Home Assistant
}

// paramID is a parameter's name and its object id in Home Assistant. Adapters of one
// vehicle profile have the same parameters, so every adapter refers to one copy.
type paramID struct {
	name string
	key  string
}

func newParamID(name string) unique.Handle[paramID] {
	return unique.Make(paramID{name: name, key: ha.ParamKey(name)})
}

func (p *param) name() string { return p.id.Value().name }
func (p *param) key() string  { return p.id.Value().key }

// webhookStats are the adapter's own webhook counters, read from its API.
type webhookStats struct {
	OK, Fail  int
	LastError string
	Status    string
}

func newAdapter(hook *store.Webhook) *adapter {
	a := &adapter{hook: hook, params: make(map[string]*param), removed: make(map[string]bool)}
	for _, key := range hook.Removed {
		a.removed[key] = true
	}
	a.node = nodeID(hook)
	hook.Meta = metaTables.share(hook.Meta)
	for name, v := range hook.Values {
		val := payload.Value{Kind: v.Kind, Num: v.Num, Text: v.Text}
		id := newParamID(name)
		a.params[id.Value().name] = &param{id: id, value: val,
			entity: unique.Make(ha.Classify(name, metaFor(hook, name), val))}
	}
	// The params now contain the values, and snapshot builds the map again for each save.
	hook.Values = nil
	if !hook.LastPost.IsZero() {
		a.prevPost = hook.LastPost
		// Online until the silence limit says otherwise; CheckOnline applies it.
		a.online = true
	}
	a.ecu, a.battery, a.remoteIP = hook.ECU, hook.Battery12V, hook.RemoteIP
	if hook.Host != "" {
		a.pair = &pairInfo{state: stateManaged}
		if !hook.Managed {
			a.pair.state, a.pair.reason = stateWaiting, "checking the adapter"
		}
	}
	return a
}

// nodeID is the Home Assistant device id of the adapter: from its device_id when known,
// else from a hash of the webhook id, which never reveals the id itself.
func nodeID(hook *store.Webhook) string {
	if hook.DeviceID != "" {
		return "wican_" + ha.ObjectID(hook.DeviceID)
	}
	sum := sha256.Sum256([]byte(hook.ID))
	return "wican_webhook_" + hex.EncodeToString(sum[:4])
}

func metaFor(hook *store.Webhook, name string) *payload.Meta {
	if m, ok := hook.Meta[name]; ok {
		return &m
	}
	return nil
}

func (a *adapter) device() ha.Device {
	name := a.hook.Name
	if name == "" {
		name = "WiCAN " + a.hook.DeviceID
		if a.hook.DeviceID == "" {
			name = "WiCAN " + a.node[len("wican_webhook_"):]
		}
	}
	d := ha.Device{Node: a.node, Name: name, Model: a.hook.Hardware, Firmware: a.hook.Firmware}
	if host := a.host(); host != "" {
		d.ConfigURL = "http://" + host + "/"
	}
	return d
}

// host returns the address of the adapter's web page: the one pairing found, else the
// address its posts come from.
func (a *adapter) host() string {
	if a.hook.Host != "" {
		return a.hook.Host
	}
	return a.remoteIP
}

// diagnostics returns the adapter's diagnostics state. Call with mu held.
func (a *adapter) diagnostics() ha.Diagnostics {
	d := ha.Diagnostics{
		Battery12V: a.battery,
		Uptime:     a.uptime,
		Firmware:   a.hook.Firmware,
		Online:     ha.OnOff(a.online),
		Engine:     "offline",
	}
	if a.online && a.ecu != "offline" {
		d.Engine = "online"
	}
	if a.ecu != "" {
		ecu := ha.OnOff(a.ecu == "online")
		d.ECU = &ecu
	}
	if !a.hook.LastPost.IsZero() {
		d.LastPost = ha.Timestamp(a.hook.LastPost)
	}
	if s := a.deviceHook; s != nil {
		d.WebhookOK, d.WebhookFail, d.WebhookLastError = &s.OK, &s.Fail, &s.LastError
	}
	return d
}

// stateMessage builds the retained state of one parameter. It has QoS 0, because the
// bridge publishes every state again after a reconnect or a failed write.
func (t *topics) stateMessage(node string, p *param) publish.Message {
	var state string
	switch {
	case p.entity.Value().Component == ha.BinarySensor:
		state = ha.OnOff(p.value.Num != 0)
	case p.value.Kind == payload.Text:
		state = truncate(p.value.Text, 255)
	default:
		state = ha.FormatNumber(p.value.Num)
	}
	return publish.Message{Topic: t.State(node, p.key()), Payload: []byte(state), Retain: true}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// hookID returns the adapter's webhook id.
func (a *adapter) hookID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hook.ID
}
