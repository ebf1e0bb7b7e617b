package bridge

import "sync/atomic"

// Reasons a post is rejected, as counted in the metrics.
const (
	reasonUnknownWebhook = "unknown_webhook"
	reasonEncoding       = "unsupported_encoding"
	reasonTooLarge       = "too_large"
	reasonRead           = "read_error"
	reasonInvalid        = "invalid_json"
	reasonIdentity       = "identity_mismatch"
)

var rejectReasons = []string{reasonUnknownWebhook, reasonEncoding, reasonTooLarge, reasonRead,
	reasonInvalid, reasonIdentity}

// stats are the bridge-wide post counters.
type stats struct {
	accepted atomic.Uint64
	rejected map[string]*atomic.Uint64 // fixed keys, so reads need no lock
}

func (s *stats) init() {
	s.rejected = make(map[string]*atomic.Uint64, len(rejectReasons))
	for _, r := range rejectReasons {
		s.rejected[r] = new(atomic.Uint64)
	}
}

func (s *stats) reject(reason string) {
	s.rejected[reason].Add(1)
}
