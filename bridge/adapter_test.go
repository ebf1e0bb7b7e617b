package bridge

import (
	"net/http/httptest"

	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/publish"
	"github.com/wican-bridge/wican-bridge/store"
)

func newHookForTest() *store.Webhook {
	return &store.Webhook{ID: newWebhookID()}
}

func emptyPost() *payload.Post { return &payload.Post{} }

// discard is a Sender that drops every message.
type discard struct{}

func (discard) Send(...publish.Message) {}

func newEmptyState() *store.State { return &store.State{} }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
