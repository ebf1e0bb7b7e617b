package bridge

import (
	"github.com/wican-bridge/wican-bridge/payload"
	"github.com/wican-bridge/wican-bridge/store"
)

func newHookForTest() *store.Webhook {
	return &store.Webhook{ID: newWebhookID()}
}

func emptyPost() *payload.Post { return &payload.Post{} }
