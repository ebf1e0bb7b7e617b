package bridge

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wican-bridge/wican-bridge/payload"
)

// MaxBody is the largest webhook body accepted. A full WiCAN Pro post is about 4 KiB.
const MaxBody = 256 << 10

type errorBody struct {
	Error string `json:"error"`
}

var okBody = []byte(`{"status":"ok"}` + "\n")

// handleWebhook receives one adapter post. It responds 200 as soon as the post is merged;
// publishing to MQTT happens afterwards, so a slow broker never delays the adapter.
// Error responses are short and name no webhook id, because the adapter shows them to its
// user.
func (b *Bridge) handleWebhook(c echo.Context) error {
	id := c.Param("id")
	a := b.lookup(id)
	if a == nil {
		b.stats.reject(reasonUnknownWebhook)
		if ok, held := b.unknownLog.allow(time.Now()); ok {
			b.log.Warn("post to an unknown webhook: the sender's URL is wrong or its webhook "+
				"was removed", "webhook", redact(id), "remote", remoteIP(c.Request()),
				"similar_since_last", held)
		}
		return c.JSON(http.StatusNotFound, errorBody{"unknown webhook: create one in the bridge and copy its URL"})
	}
	req := c.Request()
	if enc := req.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		return b.rejectPost(c, a, http.StatusUnsupportedMediaType, reasonEncoding,
			"content encoding "+quoteShort(enc)+" is not supported: send plain JSON")
	}

	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	body, err := readBody(buf, http.MaxBytesReader(c.Response(), req.Body, MaxBody), req.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return b.rejectPost(c, a, http.StatusRequestEntityTooLarge, reasonTooLarge,
				"body is larger than 256 KiB")
		}
		return b.rejectPost(c, a, http.StatusBadRequest, reasonRead, "body could not be read")
	}
	post, err := payload.Decode(body)
	if err != nil {
		return b.rejectPost(c, a, http.StatusBadRequest, reasonInvalid, err.Error())
	}

	a.mu.Lock()
	msgs, err := a.applyLocked(b.topics, post, time.Now(), remoteIP(req), nil)
	if err == nil {
		b.send(msgs...)
	}
	a.mu.Unlock()
	if err != nil {
		b.stats.reject(reasonIdentity)
		b.log.Warn("post rejected: device_id differs from the bound adapter",
			"device", post.DeviceID, "bound", a.label(), "webhook", redact(id))
		return c.JSON(http.StatusForbidden, errorBody{err.Error()})
	}
	b.afterPost(a, post)
	return c.JSONBlob(http.StatusOK, okBody)
}

// bodyBuffers pools the buffers of request bodies. A post is decoded into values of its own
// (payload.Decode copies every string it keeps), so its buffer can serve the next post.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody bounds the buffers kept in bodyBuffers, so that one large post does not
// hold memory afterwards.
const maxPooledBody = 64 << 10

func putBodyBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		buf.Reset()
		bodyBuffers.Put(buf)
	}
}

// readBody reads r into buf, growing it once to the announced length where io.ReadAll
// would grow it step by step. Beyond maxPooledBody the buffer grows as data arrives, so
// that a false Content-Length costs nothing.
func readBody(buf *bytes.Buffer, r io.Reader, length int64) ([]byte, error) {
	if length > 0 {
		buf.Grow(int(min(length, maxPooledBody)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (b *Bridge) afterPost(a *adapter, post *payload.Post) {
	b.handOver(a)
	a.mu.Lock()
	needMeta, learned, structChanged := a.needMeta, a.learned, a.structChanged
	a.needMeta, a.learned, a.structChanged = false, false, false
	a.mu.Unlock()
	if learned {
		b.retireDuplicate(a)
	}
	if needMeta && b.pairer != nil {
		b.pairer.requestMeta(a)
	}
	b.stats.accepted.Add(1)
	b.valuesDirty.Store(true)
	if structChanged {
		b.structureDirty.Store(true)
	}
	if len(post.Params) == 0 && len(post.Meta) == 0 && !post.HasBattery && !post.HasUptime &&
		post.DeviceID == "" && post.ECU == "" {
		if ok, held := b.emptyLog.allow(time.Now()); ok {
			b.log.Warn("post carried no status, autopid_data or data section the bridge reads",
				"device", a.label(), "similar_since_last", held)
		}
	}
	if post.Skipped > 0 {
		b.log.Warn("post had values that are not numbers, strings or booleans; they were skipped",
			"device", a.label(), "skipped", post.Skipped)
	}
}

func (b *Bridge) rejectPost(c echo.Context, a *adapter, status int, reason, msg string) error {
	b.stats.reject(reason)
	a.mu.Lock()
	a.rejected++
	a.mu.Unlock()
	b.log.Warn("post rejected", "device", a.label(), "status", status, "reason", msg)
	return c.JSON(status, errorBody{msg})
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

func quoteShort(s string) string {
	if len(s) > 20 {
		s = s[:20]
	}
	return strconv.Quote(s)
}
