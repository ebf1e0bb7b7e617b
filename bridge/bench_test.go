package bridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

// benchParams is the number of parameters in a benchmark post, as a WiCAN Pro with a
// full car profile sends.
const benchParams = 30

// discardSender counts the messages it is given and drops them.
type discardSender struct{ msgs atomic.Int64 }

func (s *discardSender) Send(msgs ...publish.Message) { s.msgs.Add(int64(len(msgs))) }

// postTemplate is a full Pro body whose device id, uptime and parameter values sit in
// fixed-width slots, so a benchmark can make every post unique without building JSON.
type postTemplate struct {
	body     []byte
	deviceID int   // offset of the 12-character device id
	uptime   int   // offset of the uptime, "HHHHH:MM:SS"
	values   []int // offsets of the value slots, by parameter index
}

const (
	valueWidth  = 12
	uptimeSlot  = "00000:00:00"
	deviceIDLen = 12
)

// benchParamNames returns the numeric parameter names of pro-full.json, then cell
// temperatures up to benchParams.
func benchParamNames() []string {
	names := []string{"SOC", "HV_V", "HV_A", "AUX_V", "0C-EngineRPM", "0D-VehicleSpeed",
		"05-EngineCoolantTemp", "TYRE_P_FL", "ODOMETER", "KWH_CHARGED"}
	for i := len(names); i < benchParams; i++ {
		names = append(names, fmt.Sprintf("CELL_T_%02d", i+1))
	}
	return names
}

// newPostTemplate builds the template from the status section of pro-full.json and
// benchParams parameters with metadata.
func newPostTemplate(tb testing.TB) *postTemplate {
	tb.Helper()
	var fixtureBody struct {
		Status map[string]json.RawMessage `json:"status"`
	}
	data, err := os.ReadFile("../testdata/pro-full.json")
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, &fixtureBody); err != nil {
		tb.Fatal(err)
	}
	status := fixtureBody.Status
	status["device_id"] = mustJSON("DEVICEIDSLOT")
	status["uptime"] = mustJSON(uptimeSlot)

	var buf bytes.Buffer
	buf.WriteString(`{"config":{`)
	names := benchParamNames()
	for i, name := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `%q:{"class":"temperature","unit":"degC"}`, name)
	}
	buf.WriteString(`},"status":`)
	buf.Write(mustJSON(status))
	buf.WriteString(`,"autopid_data":{`)
	t := &postTemplate{}
	for i, name := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "%q:", name)
		t.values = append(t.values, buf.Len())
		buf.Write(bytes.Repeat([]byte{' '}, valueWidth-1))
		buf.WriteByte('0')
	}
	buf.WriteString("}}")
	t.body = buf.Bytes()
	t.deviceID = bytes.Index(t.body, []byte("DEVICEIDSLOT"))
	t.uptime = bytes.Index(t.body, []byte(uptimeSlot))
	for i := range names {
		t.setValue(i, int64(1000+i))
	}
	return t
}

func (t *postTemplate) setDeviceID(id string) {
	copy(t.body[t.deviceID:t.deviceID+deviceIDLen], id)
}

// setValue writes v right-aligned into slot i. The spaces before it are JSON whitespace.
func (t *postTemplate) setValue(i int, v int64) {
	slot := t.body[t.values[i] : t.values[i]+valueWidth]
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], v, 10)
	for j := range slot {
		slot[j] = ' '
	}
	copy(slot[valueWidth-len(s):], s)
}

func (t *postTemplate) setUptime(seconds int) {
	slot := t.body[t.uptime : t.uptime+len(uptimeSlot)]
	hours, minutes, secs := seconds/3600%100000, seconds/60%60, seconds%60
	fields := []struct{ at, width, value int }{{0, 5, hours}, {6, 2, minutes}, {9, 2, secs}}
	for _, f := range fields {
		v := f.value
		for j := f.at + f.width - 1; j >= f.at; j-- {
			slot[j] = byte('0' + v%10)
			v /= 10
		}
	}
}

func benchDeviceID(i int) string { return fmt.Sprintf("%012x", 0xbe0000000000+i) }

// decode returns the template's current body as a decoded post.
func (t *postTemplate) decode(tb testing.TB) *payload.Post {
	tb.Helper()
	p, err := payload.Decode(t.body)
	if err != nil {
		tb.Fatal(err)
	}
	if len(p.Params) != benchParams {
		tb.Fatalf("template decoded to %d params, want %d", len(p.Params), benchParams)
	}
	return p
}

// boundAdapter returns an adapter that already merged the template's first post.
func boundAdapter(tb testing.TB, tmpl *postTemplate) *adapter {
	tb.Helper()
	tmpl.setDeviceID(benchDeviceID(0))
	a := newAdapter(newHookForTest())
	tt := &topics{testTopics}
	if _, err := a.apply(tt, tmpl.decode(tb), time.Now(), "127.0.0.1", nil); err != nil {
		tb.Fatal(err)
	}
	// The announcer would send the first announcement; the benchmarks measure later posts.
	a.mu.Lock()
	a.republishLocked(tt, nil)
	a.announceWanted, a.announceQueued = false, false
	a.mu.Unlock()
	return a
}

// BenchmarkApply merges a full 30-parameter post into an adapter that has all the
// values already, with k of them changed in every post.
func BenchmarkApply(b *testing.B) {
	for _, k := range []int{0, 1, 5, 30} {
		b.Run("changed="+strconv.Itoa(k), func(b *testing.B) {
			tmpl := newPostTemplate(b)
			a := boundAdapter(b, tmpl)
			post := tmpl.decode(b)
			tt := &topics{testTopics}
			var msgs []publish.Message
			total, seq := 0, 0
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				seq++
				for i := range k {
					post.Params[i].Value.Num = float64(seq*benchParams + i)
				}
				post.Uptime = float64(seq)
				var err error
				msgs, err = a.apply(tt, post, now, "127.0.0.1", msgs[:0])
				if err != nil {
					b.Fatal(err)
				}
				total += len(msgs)
			}
			b.ReportMetric(float64(total)/float64(b.N), "msgs/op")
		})
	}
}

// BenchmarkApplyChangedOnly merges a changed-only post of five values without identity.
func BenchmarkApplyChangedOnly(b *testing.B) {
	tmpl := newPostTemplate(b)
	a := boundAdapter(b, tmpl)
	full := tmpl.decode(b)
	post := &payload.Post{Params: full.Params[:5], HasUptime: true, HasBattery: true, Battery: 12.5}
	tt := &topics{testTopics}
	var msgs []publish.Message
	total, seq := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		seq++
		for i := range post.Params {
			post.Params[i].Value.Num = float64(seq*benchParams + i)
		}
		post.Uptime = float64(seq)
		var err error
		msgs, err = a.apply(tt, post, time.Now(), "127.0.0.1", msgs[:0])
		if err != nil {
			b.Fatal(err)
		}
		total += len(msgs)
	}
	b.ReportMetric(float64(total)/float64(b.N), "msgs/op")
}

// BenchmarkMessages builds the MQTT messages of one adapter: a state, the diagnostics
// object, and every discovery config and state as after a reconnect.
func BenchmarkMessages(b *testing.B) {
	tmpl := newPostTemplate(b)
	a := boundAdapter(b, tmpl)
	tt := &topics{testTopics}
	prm := a.params["SOC"]
	b.Run("state", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = tt.stateMessage(a.node, prm)
		}
	})
	b.Run("diagnostics", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = tt.DiagnosticsMessage(a.node, a.diagnostics())
		}
	})
	b.Run("republish", func(b *testing.B) {
		var msgs []publish.Message
		b.ReportAllocs()
		for b.Loop() {
			a.mu.Lock()
			msgs = a.republishLocked(tt, msgs[:0])
			a.mu.Unlock()
		}
		b.ReportMetric(float64(len(msgs)), "msgs/op")
	})
}

// webhookBench is a bridge with bound adapters and its webhook handler, without a
// network, a broker or background work.
type webhookBench struct {
	b       *Bridge
	handler http.Handler
	out     *discardSender
	tmpl    *postTemplate
	ids     []string
}

func newWebhookBench(tb testing.TB, adapters int) *webhookBench {
	tb.Helper()
	out := &discardSender{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	br := New(Options{Topics: testTopics, PublicURL: "http://127.0.0.1:8780",
		DataDir: tb.TempDir(), Logger: log}, &store.State{}, out)
	w := &webhookBench{b: br, handler: br.WebhookHandler(), out: out, tmpl: newPostTemplate(tb)}
	for i := range adapters {
		id := br.CreateWebhook("").ID
		w.ids = append(w.ids, id)
		w.tmpl.setDeviceID(benchDeviceID(i))
		if status := w.post(id); status != http.StatusOK {
			tb.Fatalf("first post to adapter %d: status %d, want 200", i, status)
		}
	}
	// Announce every adapter as the announcer would, so that later posts publish states.
	for a := br.announcer.pop(); a != nil; a = br.announcer.pop() {
		br.announce(a)
	}
	out.msgs.Store(0)
	return w
}

func (w *webhookBench) post(id string) int {
	req := httptest.NewRequest(http.MethodPost, "/api/webhook/"+id, bytes.NewReader(w.tmpl.body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, req)
	return rec.Code
}

// run posts to the adapters in turn. Every post carries new values in the first k
// slots and the first post's values in the others, so each adapter receives exactly k
// changed values per post.
func (w *webhookBench) run(b *testing.B, k int) {
	seq := 0
	b.ReportAllocs()
	b.SetBytes(int64(len(w.tmpl.body)))
	for b.Loop() {
		seq++
		i := seq % len(w.ids)
		w.tmpl.setDeviceID(benchDeviceID(i))
		for j := range k {
			w.tmpl.setValue(j, int64(seq*benchParams+j))
		}
		w.tmpl.setUptime(seq)
		if status := w.post(w.ids[i]); status != http.StatusOK {
			b.Fatalf("post: status %d, want 200", status)
		}
	}
	b.ReportMetric(float64(w.out.msgs.Load())/float64(b.N), "msgs/op")
}

// BenchmarkWebhookHandler runs the whole handler, HTTP routing to messages handed to
// the Sender, for full Pro posts with k changed values.
func BenchmarkWebhookHandler(b *testing.B) {
	for _, k := range []int{0, 1, 5, 30} {
		b.Run("changed="+strconv.Itoa(k), func(b *testing.B) {
			newWebhookBench(b, 10).run(b, k)
		})
	}
}

// BenchmarkWebhookHandlerAdapters shows the per-post cost with many registered
// adapters, each bound and holding 30 values, posting in turn with 5 changed values.
func BenchmarkWebhookHandlerAdapters(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run("adapters="+strconv.Itoa(n), func(b *testing.B) {
			newWebhookBench(b, n).run(b, 5)
		})
	}
}

// BenchmarkSave writes the state file, as the background saver does at most once a
// second after a post that carried identity or metadata.
func BenchmarkSave(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run("adapters="+strconv.Itoa(n), func(b *testing.B) {
			w := newWebhookBench(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := w.b.Save(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
