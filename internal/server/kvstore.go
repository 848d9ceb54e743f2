package server

import (
	"fmt"
	"slices"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/plan"
	"github.com/longctx/longctx/internal/tensor"
)

// kvStore owns the sequences' KV memory: one paged pool per element type
// and a prefix cache of finished sequences, all counted in whole blocks
// against one byte budget (the plan package's memory model).
//
// Prefix cache: a finished (or abandoned) sequence's cache stays in the
// pool as an entry holding the tokens it was computed from. A new request
// forks the entry sharing the longest prefix of its prompt (copy on write:
// the shared blocks are not copied, and only the last partial one is
// copied when the new sequence writes to it) and starts prefill after it.
// Entries are evicted least recently used first when a request needs room.
//
// Accounting: every physical block is charged to exactly one holder. A
// running sequence forked at m positions is charged its blocks past the
// ⌊m/B⌋ full blocks it shares with its entry; an entry made from a forked
// sequence is charged likewise past what it shares with its parent. An
// entry with running users or child entries is pinned (evicting it would
// not free the blocks they share), so only leaves are evicted.
type kvStore struct {
	model   *model.Model
	ctx     int         // most positions of one sequence
	block   int         // positions per block
	budget  int64       // bytes of blocks all holders may be charged
	elem    tensor.Type // the default element type, whose pool stays open
	pools   map[tensor.Type]*kv.Pool
	plans   map[tensor.Type]plan.Plan
	running int64               // bytes charged to running sequences
	live    map[tensor.Type]int // running sequences per element type
	cached  int64               // bytes charged to entries
	entries []*prefixEntry
	tick    uint64
	// maxEntries bounds the entries (each lookup scans them all).
	maxEntries int
}

// prefixEntry is a cached sequence.
type prefixEntry struct {
	variant  string
	elem     tensor.Type
	tokens   []int32 // what seq holds, position by position
	seq      *kv.Seq
	parent   *prefixEntry // the entry seq was forked from, or nil
	shared   int          // positions forked from parent
	bytes    int64        // blocks charged to this entry
	children int          // entries forked from this one
	users    int          // running sequences forked from this one
	used     uint64       // store tick of the last use
}

// lease is a running sequence's share of the store.
type lease struct {
	elem    tensor.Type
	variant string // "" when the sequence is not cacheable
	seq     *kv.Seq
	from    *prefixEntry // pinned while the sequence runs
	shared  int          // positions reused from from
	charge  int64
}

func newKVStore(m *model.Model, ctx, block int, budget int64, elem tensor.Type) *kvStore {
	return &kvStore{model: m, ctx: ctx, block: block, budget: budget, elem: elem, maxEntries: 256,
		pools: map[tensor.Type]*kv.Pool{}, plans: map[tensor.Type]plan.Plan{}, live: map[tensor.Type]int{}}
}

// plan is the memory model of elem's pool.
func (st *kvStore) plan(elem tensor.Type) (plan.Plan, error) {
	if p, ok := st.plans[elem]; ok {
		return p, nil
	}
	p, err := plan.New(plan.FromModel(st.model), elem, st.block, 0)
	if err != nil {
		return plan.Plan{}, err
	}
	st.plans[elem] = p
	return p, nil
}

func (st *kvStore) pool(elem tensor.Type) (*kv.Pool, error) {
	if p := st.pools[elem]; p != nil {
		return p, nil
	}
	c := st.model.Config
	p, err := kv.NewPool(kv.Shape{Layers: c.Layers, Ctx: st.ctx, KVHeads: c.KVHeads, HeadDim: c.HeadDim, ElemType: elem},
		kv.PoolOptions{BlockSize: st.block, Shifter: st.model})
	if err != nil {
		return nil, err
	}
	st.pools[elem] = p
	return p, nil
}

// match finds the entry of variant sharing the longest prefix with
// prompt, at most len(prompt)-1 positions (the last prompt token is
// always run, for its logits).
func (st *kvStore) match(variant string, prompt []int32) (*prefixEntry, int) {
	var best *prefixEntry
	bestN := 0
	for _, e := range st.entries {
		if e.variant != variant {
			continue
		}
		n := commonPrefix(e.tokens, prompt[:len(prompt)-1])
		if n > bestN {
			best, bestN = e, n
		}
	}
	return best, bestN
}

func commonPrefix(a, b []int32) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// acquire makes room for a sequence of need positions and starts it,
// forked from the entry of variant sharing the longest prefix of prompt
// when reuse is set. An empty variant neither reuses nor is cached. It
// returns false when the sequence does not fit now (nothing is changed
// then).
func (st *kvStore) acquire(elem tensor.Type, variant string, reuse bool, prompt []int32, need int) (*lease, bool, error) {
	p, err := st.plan(elem)
	if err != nil {
		return nil, false, err
	}
	var from *prefixEntry
	shared := 0
	if variant != "" && reuse {
		from, shared = st.match(variant, prompt)
	}
	charge := (p.SeqBlocks(need) - int64(shared/st.block)) * p.BlockBytes()
	if from != nil {
		from.users++ // pinned: not evicted to make room for its own user
	}
	if !st.makeRoom(charge) {
		if from == nil {
			return nil, false, nil
		}
		// The pinned prefix (and its ancestors) may be what leaves no
		// room: start afresh rather than wait for a room that only
		// evicting it could make.
		from.users--
		from, shared = nil, 0
		charge = p.SeqBlocks(need) * p.BlockBytes()
		if !st.makeRoom(charge) {
			return nil, false, nil
		}
	}
	pool, err := st.pool(elem)
	if err != nil {
		if from != nil {
			from.users--
		}
		return nil, false, err
	}
	l := &lease{elem: elem, variant: variant, from: from, shared: shared, charge: charge}
	if from != nil {
		st.tick++
		from.used = st.tick
		if l.seq, err = from.seq.Fork(shared); err != nil {
			from.users--
			return nil, false, err
		}
	} else {
		l.seq = pool.NewSeq()
	}
	st.running += charge
	st.live[elem]++
	return l, true, nil
}

// makeRoom evicts unpinned entries, least recently used first, until
// charge more bytes fit the budget; it evicts nothing when even evicting
// every unpinned entry would not be enough.
func (st *kvStore) makeRoom(charge int64) bool {
	if st.running+st.cached+charge <= st.budget {
		return true
	}
	// Entries in use and their ancestors stay; evicting leaves one after
	// another frees all the others.
	pinned := map[*prefixEntry]bool{}
	for _, e := range st.entries {
		if e.users > 0 {
			for a := e; a != nil && !pinned[a]; a = a.parent {
				pinned[a] = true
			}
		}
	}
	var evictable int64
	for _, e := range st.entries {
		if !pinned[e] {
			evictable += e.bytes
		}
	}
	if st.running+st.cached-evictable+charge > st.budget {
		return false
	}
	for st.running+st.cached+charge > st.budget {
		victim := -1
		for i, e := range st.entries {
			if e.users == 0 && e.children == 0 && (victim < 0 || e.used < st.entries[victim].used) {
				victim = i
			}
		}
		if victim < 0 {
			return false
		}
		st.evict(victim)
	}
	return true
}

func (st *kvStore) evict(i int) {
	e := st.entries[i]
	st.entries = slices.Delete(st.entries, i, i+1)
	e.seq.Free()
	st.cached -= e.bytes
	if e.parent != nil {
		e.parent.children--
	}
	st.closeIdlePool(e.elem)
}

// release ends a running sequence that held tokens (its cache's positions,
// in order). With keep set (the cache is sound) and a cacheable variant,
// the sequence becomes a prefix entry; otherwise its blocks are freed.
func (st *kvStore) release(l *lease, tokens []int32, keep bool) {
	st.running -= l.charge
	st.live[l.elem]--
	if l.from != nil {
		l.from.users--
	}
	n := len(tokens)
	if !keep || l.variant == "" || n <= l.shared || n != l.seq.Len() || st.covered(l.variant, tokens) {
		l.seq.Free()
		st.closeIdlePool(l.elem)
		return
	}
	p := st.plans[l.elem]
	e := &prefixEntry{variant: l.variant, elem: l.elem, tokens: slices.Clone(tokens), seq: l.seq,
		parent: l.from, shared: l.shared, bytes: (p.SeqBlocks(n) - int64(l.shared/st.block)) * p.BlockBytes()}
	if par := e.parent; par != nil {
		par.children++
		if par.users == 0 && par.children == 1 && e.shared == len(par.tokens) {
			st.absorb(e, par)
		}
	}
	st.tick++
	e.used = st.tick
	st.entries = append(st.entries, e)
	st.cached += e.bytes
	st.trimEntries()
}

// covered reports whether an entry of variant already holds tokens (as
// its whole content or a prefix of it).
func (st *kvStore) covered(variant string, tokens []int32) bool {
	for _, e := range st.entries {
		if e.variant == variant && len(e.tokens) >= len(tokens) && commonPrefix(e.tokens, tokens) == len(tokens) {
			return true
		}
	}
	return false
}

// absorb replaces parent, which e extends and which nothing else uses,
// by e: parent's blocks that e shares become e's, the rest are freed.
func (st *kvStore) absorb(e, par *prefixEntry) {
	p := st.plans[e.elem]
	i := slices.Index(st.entries, par)
	st.entries = slices.Delete(st.entries, i, i+1)
	par.seq.Free()
	st.cached -= par.bytes
	e.bytes += int64(e.shared/st.block-par.shared/st.block) * p.BlockBytes()
	e.parent, e.shared = par.parent, par.shared
	// par's parent loses par and gains e: its child count is unchanged.
}

// trimEntries evicts least recently used leaves until the entry count is
// back within bounds.
func (st *kvStore) trimEntries() {
	for len(st.entries) > st.maxEntries {
		victim := -1
		for i, e := range st.entries {
			if e.users == 0 && e.children == 0 && (victim < 0 || e.used < st.entries[victim].used) {
				victim = i
			}
		}
		if victim < 0 {
			return
		}
		st.evict(victim)
	}
}

// closeIdlePool drops elem's pool when nothing holds its blocks, so the
// buffers it keeps for reuse go back to the system: only the default
// type's pool stays warm when requests switch KV types.
func (st *kvStore) closeIdlePool(elem tensor.Type) {
	if elem == st.elem || st.live[elem] > 0 {
		return
	}
	for _, e := range st.entries {
		if e.elem == elem {
			return
		}
	}
	if p := st.pools[elem]; p != nil {
		p.Close()
		delete(st.pools, elem)
	}
}

// seqCharge is what a sequence of need positions of elem is charged
// without any sharing; a request over the whole budget can never run.
func (st *kvStore) seqCharge(elem tensor.Type, need int) (int64, error) {
	p, err := st.plan(elem)
	if err != nil {
		return 0, fmt.Errorf("KV type %s: %w", elem, err)
	}
	return p.SeqKVBytes(need), nil
}

// close frees every pool.
func (st *kvStore) close() {
	for _, p := range st.pools {
		p.Close()
	}
	st.pools, st.entries = map[tensor.Type]*kv.Pool{}, nil
	st.running, st.cached = 0, 0
}
