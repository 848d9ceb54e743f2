package attention

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// quest is Quest's query-aware block selection for one layer. Positions
// are grouped in blocks of block positions; for each complete block the
// policy keeps the per-channel maximum and minimum of its keys (or, with
// mean, the block's mean key). At a decode step each query head scores
// every block and attends to its best blocks, the first sinks positions
// and the recent positions from the last complete block before the window
// on (the block being filled included), within budget positions.
//
// The bound: for a query q and a key k in the block, q·k = Σ_i q_i k_i ≤
// Σ_i max(q_i·max_i, q_i·min_i) = q⁺·max + q⁻·min (q⁺ the positive part of
// q, q⁻ the negative one), so a block's score never underestimates its
// best key. Computed as one dot product of [q⁺, q⁻] with [max, min].
// The mean score q·mean is the LongHeads/InfiniRetri-style chunk key.
//
// Blocks are chosen per KV head by default: a block's score is the
// largest of its query heads' scores (an upper bound for each of them
// when scores are bounds), so the query heads that share a KV head read
// the same blocks and attention reads only the budget. Quest's paper
// (multi-head models) chooses per query head: perHead; with grouped
// query heads the KV head's blocks are then the union of its heads'
// choices.
//
// With refine > 1 (--quest-refine), the ⌈refine·kb⌉ blocks with the best
// bounds are scored again by their best key (SpanMaxDots on the cache's
// own kernels) and the kb best of those kept: the bounds of 16-position
// blocks are loose enough that a needle's block can rank below the
// budget's cut, which costs retrieval accuracy on the default model.
//
// As in the paper, prefill (several queries at once) is dense.
type quest struct {
	c                     *maskCache
	sinks, window, budget int
	block                 int
	mean, perHead         bool
	refine                float64 // > 1: rescore ⌈refine·kb⌉ candidates exactly
	cand                  [][]int
	candSpans             [][]kv.Span
	keyBytes              int          // bytes of one stored key
	refineRead            atomic.Int64 // keys the refinement read, for the report
	exact                 [][]float32
	width                 int // values per summary row: hd (mean) or 2·hd
	// sumType is F16 for bounds over an f16 cache (exact: the maxima and
	// minima of f16 keys are f16 values; half the bytes to read per
	// step), kept in grouped (per KV head, one vector per complete block,
	// scored for four query heads at a time by the attention kernels);
	// else F32, in sum.
	sumType tensor.Type
	grouped []*kv.GroupedF16
	sum     [][]byte // per KV head, one row per complete block
	nb      int      // complete blocks summarized
	buf     []float32
	x, z    [][]float32 // per KV head: score rows, block scores
	heap    [][]int     // per KV head
	sel     [][]int     // per query head
	spans   headSpans
}

func newQuest(c *maskCache, sinks, window, budget, block int, mean, perHead bool, refine float64) *quest {
	sh := c.inner.Shape()
	w := 2 * sh.HeadDim
	if mean {
		w = sh.HeadDim
	}
	st := tensor.F32
	if sh.ElemType == tensor.F16 && !mean {
		st = tensor.F16
	}
	q := &quest{c: c, sinks: sinks, window: window, budget: budget, block: block, mean: mean, perHead: perHead, width: w,
		sumType: st, sum: make([][]byte, sh.KVHeads), x: make([][]float32, sh.KVHeads), z: make([][]float32, sh.KVHeads),
		heap: make([][]int, sh.KVHeads), refine: refine, cand: make([][]int, sh.KVHeads), candSpans: make([][]kv.Span, sh.KVHeads),
		exact: make([][]float32, sh.KVHeads)}
	if kb, err := sh.ElemType.RowBytes(int64(sh.HeadDim)); err == nil {
		q.keyBytes = int(kb)
	}
	if st == tensor.F16 {
		for range sh.KVHeads {
			g, err := kv.NewGroupedF16(w)
			if err != nil { // a head size the kernels do not take
				q.sumType, q.grouped = tensor.F32, nil
				break
			}
			q.grouped = append(q.grouped, g)
		}
	}
	return q
}

func (q *quest) forget(n int) {
	if nb := n / q.block; nb < q.nb {
		q.nb = nb
		for g := range q.sum {
			if q.grouped != nil {
				q.grouped[g].Truncate(nb)
			} else {
				q.sum[g] = q.sum[g][:nb*q.rowBytes()]
			}
		}
	}
}

func (q *quest) bytes() int64 {
	var b int64
	for _, s := range q.sum {
		b += int64(cap(s))
	}
	for _, g := range q.grouped {
		b += g.Bytes()
	}
	return b
}

func (q *quest) kept(_, stored int) int { return stored }

// sync summarizes every complete block stored.
func (q *quest) sync(c *call) error {
	inner := c.inner
	hd := inner.Shape().HeadDim
	to := inner.Len() / q.block
	for ; q.nb < to; q.nb++ {
		from := q.nb * q.block
		q.buf = grow(q.buf, q.block*hd)
		for g := range q.sum {
			if err := inner.ReadKeys(c.layer, g, from, from+q.block, q.buf); err != nil {
				return err
			}
			row := summarize(make([]float32, q.width), q.buf, q.block, hd, q.mean)
			if q.grouped != nil {
				// Exact: the maxima and minima of f16 keys are f16 keys.
				q.grouped[g].Append(row)
			} else {
				q.sum[g] = append(q.sum[g], f32Bytes(row)...)
			}
		}
	}
	return nil
}

// rowBytes is the size of one block's summary.
func (q *quest) rowBytes() int {
	if q.sumType == tensor.F16 {
		return 2 * q.width
	}
	return 4 * q.width
}

// summarize writes the summary row of a block of n keys (rows of hd):
// the mean key, or the per-channel maxima then minima.
func summarize(dst, keys []float32, n, hd int, mean bool) []float32 {
	if mean {
		for i := range hd {
			s := 0.0
			for t := range n {
				s += float64(keys[t*hd+i])
			}
			dst[i] = float32(s / float64(n))
		}
		return dst
	}
	for i := range hd {
		hi, lo := float32(math.Inf(-1)), float32(math.Inf(1))
		for t := range n {
			hi, lo = max(hi, keys[t*hd+i]), min(lo, keys[t*hd+i])
		}
		dst[i], dst[hd+i] = hi, lo
	}
	return dst
}

// chooseBlocks scores candidate blocks [b0, b1) for KV head g and keeps
// the best kb for each of its query heads.
func (q *quest) chooseBlocks(c *call, g, group, hd, b0, b1, kb int) error {
	nb := b1 - b0
	q.x[g] = grow(q.x[g], group*q.width)
	q.z[g] = grow(q.z[g], group*nb)
	x, zs := q.x[g], q.z[g]
	for i := range group {
		h := g*group + i
		q.scoreRow(x[i*q.width:(i+1)*q.width], c.q[h*hd:(h+1)*hd])
	}
	if q.grouped != nil {
		for r := 0; r < group; r += 4 {
			if err := q.grouped[g].Dots(x[r*q.width:], min(4, group-r), b0, b1, zs[r*nb:], nb); err != nil {
				return err
			}
		}
	} else {
		rb := q.rowBytes()
		if err := tensor.MatMul(zs, q.sum[g][b0*rb:b1*rb], q.sumType, nb, q.width, x, group); err != nil {
			return err
		}
	}
	if !q.perHead {
		// The KV head's score of a block: the best of its heads'.
		z := zs[:nb]
		for i := 1; i < group; i++ {
			for b, v := range zs[i*nb : (i+1)*nb] {
				z[b] = max(z[b], v)
			}
		}
		s, err := q.best(c, g, g*group, group, hd, b0, z, kb)
		if err != nil {
			return err
		}
		slices.Sort(s)
		for i := 1; i < group; i++ {
			q.sel[g*group+i] = append(q.sel[g*group+i][:0], s...)
		}
		q.sel[g*group] = s
		return nil
	}
	for i := range group {
		h := g*group + i
		s, err := q.best(c, g, h, 1, hd, b0, zs[i*nb:(i+1)*nb], kb)
		if err != nil {
			return err
		}
		slices.Sort(s)
		q.sel[h] = s
	}
	return nil
}

// best returns the kb blocks with the best scores z for query heads [h0,
// h0+nh) of KV head g, in q.sel[h0]'s storage.
func (q *quest) best(c *call, g, h0, nh, hd, b0 int, z []float32, kb int) ([]int, error) {
	if q.refine > 1 && kb > 0 {
		return q.refineBlocks(c, g, h0, nh, hd, b0, z, kb)
	}
	return topK(q.sel[h0][:0], &q.heap[g], z, max(kb, 0)), nil
}

// refineBlocks keeps the kb best of the ⌈refine·kb⌉ blocks with the best
// bounds z: a block's exact score is its best key's q·k for any of the
// query heads [h0, h0+nh) of KV head g. The bound never underestimates
// that score, so this is Quest's choice corrected where the bounds are
// loose; it reads that many blocks of keys more per step.
func (q *quest) refineBlocks(c *call, g, h0, nh, hd, b0 int, z []float32, kb int) ([]int, error) {
	cand := topK(q.cand[g][:0], &q.heap[g], z, int(math.Ceil(q.refine*float64(kb))))
	slices.Sort(cand)
	q.cand[g] = cand
	sp := q.candSpans[g][:0]
	for _, b := range cand {
		sp = append(sp, kv.Span{From: (b0 + b) * q.block, To: (b0 + b + 1) * q.block})
	}
	q.candSpans[g] = sp
	exact := grow(q.exact[g], len(cand))
	q.exact[g] = exact
	if err := c.inner.SpanMaxDots(c.layer, g, sp, c.q[h0*hd:(h0+nh)*hd], nh, exact); err != nil {
		return nil, err
	}
	q.refineRead.Add(int64(len(cand) * q.block * q.keyBytes))
	s := topK(q.sel[h0][:0], &q.heap[g], exact, kb)
	for i, j := range s {
		s[i] = cand[j]
	}
	return s, nil
}

// scoreRow writes the row the block summaries are multiplied with for
// query head vector qh: qh itself (mean) or [q⁺, q⁻] (bound).
func (q *quest) scoreRow(dst, qh []float32) {
	if q.mean {
		copy(dst, qh)
		return
	}
	hd := len(qh)
	for i, x := range qh {
		dst[i], dst[hd+i] = max(x, 0), min(x, 0)
	}
}

func (q *quest) attend(c *call) error {
	if c.n > 1 {
		return c.dense()
	}
	T := c.pos + 1
	b0 := q.sinks / q.block
	b1 := max(q.sinks, T-q.window) / q.block // blocks [b0, b1) are candidates
	local := b1 * q.block                    // [local, T) always attended
	kb := (q.budget - q.sinks - (T - local)) / q.block
	if b1-b0 <= kb {
		return c.dense()
	}
	if err := q.sync(c); err != nil {
		return err
	}
	info := &c.c.info
	group, hd, nb := info.Heads/info.KVHeads, info.HeadDim, b1-b0
	if len(q.sel) != c.nHead {
		q.sel = make([][]int, c.nHead)
	}
	// KV heads score their blocks in parallel: at 16K positions the
	// summaries are megabytes per layer.
	var mu sync.Mutex
	var firstErr error
	parallel.Run(info.KVHeads, 1, parallel.Func(func(lo, hi int) {
		for g := lo; g < hi; g++ {
			if err := q.chooseBlocks(c, g, group, hd, b0, b1, kb); err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
			}
		}
	}))
	if firstErr != nil {
		return firstErr
	}
	c.c.selectRead += int64(nb*q.rowBytes()*info.KVHeads) + q.refineRead.Swap(0)
	c.st.selections++
	c.st.blocks += float64(max(kb, 0))
	spans := q.spans.reset(c.nHead)
	for h := range spans {
		if !q.perHead && h%group > 0 {
			// The KV head's query heads chose together: one list.
			spans[h] = spans[h-h%group]
			continue
		}
		spans[h] = addSpan(spans[h], 0, q.sinks)
		for _, b := range q.sel[h] {
			spans[h] = addSpan(spans[h], (b0+b)*q.block, (b0+b+1)*q.block)
		}
		spans[h] = addSpan(spans[h], local, T)
	}
	return c.sparse(spans)
}
