package payload

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// maxCachedConfig is the longest config section that cachedMeta keeps. A Pro's section
// with 100 parameters takes about 5 KB, and larger sections are decoded every time, so
// that the cache stays under about 4 MB.
const maxCachedConfig = 16 << 10

// maxCachedConfigs bounds the config sections that cachedMeta keeps. Adapters of one
// vehicle profile send the same section in every full post, so a fleet has few. When
// the cache is full it starts afresh.
const maxCachedConfigs = 256

// configCache maps the raw text of a config section to its decoded metadata.
var configCache = metaCache{seed: maphash.MakeSeed(), entries: make(map[uint64]cachedConfig)}

type metaCache struct {
	mu      sync.RWMutex
	seed    maphash.Seed
	entries map[uint64]cachedConfig
}

type cachedConfig struct {
	raw  []byte
	meta map[string]Meta
}

// cachedMeta reads the config section at pos. A section whose text was decoded before
// returns the same map, so the metadata of a usual full post costs a hash and a
// comparison instead of about 90 allocations. Callers must not modify Post.Meta.
func (s *scanner) cachedMeta() (map[string]Meta, bool) {
	start := s.pos
	if _, ok := s.skipValue(0); !ok {
		return nil, false
	}
	raw := s.data[start:s.pos]
	sum := maphash.Bytes(configCache.seed, raw)

	configCache.mu.RLock()
	entry, ok := configCache.entries[sum]
	configCache.mu.RUnlock()
	if ok && bytes.Equal(entry.raw, raw) {
		return entry.meta, true
	}

	section := scanner{data: raw}
	meta, ok := section.meta()
	if !ok || len(raw) > maxCachedConfig {
		return meta, ok
	}
	configCache.mu.Lock()
	if len(configCache.entries) >= maxCachedConfigs {
		clear(configCache.entries)
	}
	configCache.entries[sum] = cachedConfig{raw: bytes.Clone(raw), meta: meta}
	configCache.mu.Unlock()
	return meta, true
}
