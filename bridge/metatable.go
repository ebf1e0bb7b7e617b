package bridge

import (
	"hash/maphash"
	"maps"
	"slices"
	"sync"

	"github.com/wican-bridge/wican-bridge/payload"
)

// maxMetaTables bounds the metadata tables kept for sharing. Adapters of one vehicle
// profile send the same metadata, so a fleet has few distinct tables. Beyond the bound
// the pool starts afresh: tables already shared stay shared, and new ones are shared
// from then on.
const maxMetaTables = 256

// metaTables shares equal metadata tables between adapters. With 30 parameters a table
// takes about 4 KB, so 10,000 adapters of one profile save about 40 MB. Shared tables
// are never changed in place: updateMeta builds a new table and shares that.
var metaTables = metaPool{tables: make(map[uint64]map[string]payload.Meta)}

type metaPool struct {
	mu     sync.Mutex
	seed   maphash.Seed
	tables map[uint64]map[string]payload.Meta
}

// share returns the pool's table equal to meta, or adds meta to the pool and returns it.
func (p *metaPool) share(meta map[string]payload.Meta) map[string]payload.Meta {
	if len(meta) == 0 {
		return meta
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seed == (maphash.Seed{}) {
		p.seed = maphash.MakeSeed()
	}
	sum := p.hash(meta)
	if shared, ok := p.tables[sum]; ok && maps.Equal(shared, meta) {
		return shared
	}
	if len(p.tables) >= maxMetaTables {
		clear(p.tables)
	}
	p.tables[sum] = meta
	return meta
}

// hash sums the table in the order of its names, so that equal tables hash alike.
func (p *metaPool) hash(meta map[string]payload.Meta) uint64 {
	var h maphash.Hash
	h.SetSeed(p.seed)
	for _, name := range slices.Sorted(maps.Keys(meta)) {
		m := meta[name]
		h.WriteString(name)
		h.WriteByte(0)
		h.WriteString(m.Class)
		h.WriteByte(0)
		h.WriteString(m.Unit)
		h.WriteByte(0)
	}
	return h.Sum64()
}
