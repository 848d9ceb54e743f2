package kv

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/longctx/longctx/internal/parallel"
)

// contiguousBlock is the block size of a Contiguous cache: the paged
// cache's default, so both compute the same sums in the same order.
const contiguousBlock = 256

// Contiguous is a single-sequence cache preallocated for ctx positions, in
// the block layout of the paged cache (see layout): f32, f16, q8_0 or
// q4_0.
type Contiguous struct {
	shape  Shape
	l      layout
	blocks [][]byte
	n      int
	att    *attention
	codecs sync.Pool
	tokens int64 // query tokens attended in layer 0, for Stats
	read   atomic.Int64
}

// contiguousBlockFor is the block size for a context of ctx positions: a
// small cache is one block of just the positions it needs.
func contiguousBlockFor(ctx int) int {
	return min(contiguousBlock, (ctx+groupLen-1)/groupLen*groupLen)
}

// NewContiguous allocates a cache of the given shape.
func NewContiguous(s Shape) (*Contiguous, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	l, err := newLayout(s, contiguousBlockFor(s.Ctx))
	if err != nil {
		return nil, err
	}
	c := &Contiguous{shape: s, l: l}
	for b := 0; b*l.block < s.Ctx; b++ {
		c.blocks = append(c.blocks, make([]byte, l.blockBytes()))
	}
	c.att = newAttention(&c.l)
	c.codecs.New = func() any { return c.l.codec() }
	return c, nil
}

func (c *Contiguous) Len() int      { return c.n }
func (c *Contiguous) Capacity() int { return c.shape.Ctx }

// RowIndependent implements RowIndependent: attention is per row.
func (c *Contiguous) RowIndependent() bool { return true }

func (c *Contiguous) Bytes() int64 { return int64(len(c.blocks)) * int64(c.l.blockBytes()) }
func (c *Contiguous) Shape() Shape { return c.shape }

// Stats implements Meter.
func (c *Contiguous) Stats() Stats {
	return Stats{Resident: c.Bytes(), Read: c.read.Load(), Tokens: c.tokens}
}

// Truncate forgets positions from n on. Their values are zeroed (see
// layout.clearValuePos).
func (c *Contiguous) Truncate(n int) {
	n = max(0, min(n, c.n))
	for t := n; t < c.n; t++ {
		blk := c.blocks[t/c.l.block]
		for i := 0; i < c.l.layers*c.l.kvHeads; i++ {
			c.l.clearValuePos(blk[i*c.l.tileBytes:(i+1)*c.l.tileBytes], t%c.l.block)
		}
	}
	c.n = n
}

func (c *Contiguous) check(layer, pos, n int) error {
	if layer < 0 || layer >= c.shape.Layers {
		return fmt.Errorf("kv: layer %d out of range", layer)
	}
	if pos < 0 || n < 0 || pos+n > c.shape.Ctx {
		return fmt.Errorf("kv: positions %d..%d exceed the cache's %d", pos, pos+n, c.shape.Ctx)
	}
	return nil
}

func (c *Contiguous) Store(layer, pos int, k, v []float32, n int) error {
	if err := c.check(layer, pos, n); err != nil {
		return err
	}
	d := c.shape.KVDim()
	if len(k) < n*d || len(v) < n*d {
		return fmt.Errorf("kv: store of %d positions needs %d floats, got %d keys, %d values", n, n*d, len(k), len(v))
	}
	if pos > c.n {
		return fmt.Errorf("kv: store at position %d leaves a gap after %d", pos, c.n)
	}
	storeRows(&c.l, &c.codecs, func(t int) []byte { return c.blocks[t/c.l.block] }, layer, pos, k, v, n)
	c.n = max(c.n, pos+n)
	return nil
}

// storeRows writes n positions of keys and values (rows of KVDim floats)
// from position pos into layer's tiles of the blocks blockOf returns,
// spread over the worker pool when there are many.
func storeRows(l *layout, codecs *sync.Pool, blockOf func(t int) []byte, layer, pos int, k, v []float32, n int) {
	hd, d := l.hd, l.kvHeads*l.hd
	job := func(lo, hi int) {
		cd := codecs.Get().(*rowCodec)
		defer codecs.Put(cd)
		for job := lo; job < hi; job++ {
			i, h := job/l.kvHeads, job%l.kvHeads
			t := pos + i
			off := l.tileOff(layer, h)
			tile := blockOf(t)[off : off+l.tileBytes]
			cd.putKey(tile, t%l.block, k[i*d+h*hd:i*d+(h+1)*hd])
			cd.putValue(tile, t%l.block, v[i*d+h*hd:i*d+(h+1)*hd])
		}
	}
	if n*d < 1<<14 {
		job(0, n*l.kvHeads)
		return
	}
	parallel.Run(n*l.kvHeads, 16, parallel.Func(job))
}

// keys implements tileReader.
func (c *Contiguous) keys(layer, kvHead, b, g0, g1 int, _ []byte) ([]byte, error) {
	return c.l.keyGroups(c.blocks[b][c.l.tileOff(layer, kvHead):], g0, g1), nil
}

// values implements tileReader.
func (c *Contiguous) values(layer, kvHead, b, g0, g1 int, _ []byte) ([]byte, error) {
	return c.l.valueGroups(c.blocks[b][c.l.tileOff(layer, kvHead):], g0, g1), nil
}

// warm implements tileReader.
func (c *Contiguous) warm(layer, kvHead, b, g0, g1 int, values bool) {
	tile := c.blocks[b][c.l.tileOff(layer, kvHead):]
	if values {
		prefetch(c.l.valueGroups(tile, g0, g1))
	} else {
		prefetch(c.l.keyGroups(tile, g0, g1))
	}
}

// Attend implements Cache with the blockwise attention of attention.run.
func (c *Contiguous) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	return c.attend(&attendArgs{layer: layer, pos: pos, n: n, nHead: nHead, q: q, out: out, scale: scale})
}

// AttendSpans implements Selective: the same computation as Attend with
// every position outside a head's spans masked, and blocks no head of a
// KV head needs never read. A query head that sees no position gets a
// zero output.
func (c *Contiguous) AttendSpans(layer, pos int, q []float32, n, nHead int, scale float32, spans [][]Span, out []float32) error {
	if err := checkSpanLists(spans, nHead); err != nil {
		return err
	}
	return c.attend(&attendArgs{layer: layer, pos: pos, n: n, nHead: nHead, q: q, out: out, scale: scale, spans: spans})
}

func (c *Contiguous) attend(a *attendArgs) error {
	if err := checkAttend(&c.l, a.layer, a.pos, a.n, a.nHead, c.n, a.q, a.out); err != nil {
		return err
	}
	if a.layer == 0 {
		c.tokens += int64(a.n)
	}
	read, err := c.att.run(c, a)
	c.read.Add(read)
	return err
}

// checkSpanLists validates AttendSpans' spans: one list per query head,
// each sorted and disjoint at non-negative positions.
func checkSpanLists(spans [][]Span, nHead int) error {
	if len(spans) != nHead {
		return fmt.Errorf("kv: %d span lists for %d query heads", len(spans), nHead)
	}
	for h, hs := range spans {
		prev := 0
		for i, s := range hs {
			if s.From < prev || s.To < s.From {
				return fmt.Errorf("kv: spans of head %d: span %d [%d, %d) is empty, unsorted or overlaps", h, i, s.From, s.To)
			}
			prev = s.To
		}
	}
	return nil
}

// ReadKeys implements Selective.
func (c *Contiguous) ReadKeys(layer, kvHead, from, to int, dst []float32) error {
	return c.readRows(layer, kvHead, from, to, dst, (*rowCodec).key)
}

// ReadValues implements Selective.
func (c *Contiguous) ReadValues(layer, kvHead, from, to int, dst []float32) error {
	return c.readRows(layer, kvHead, from, to, dst, (*rowCodec).value)
}

func (c *Contiguous) readRows(layer, kvHead, from, to int, dst []float32, get func(*rowCodec, []byte, int, []float32)) error {
	if err := checkRead(&c.l, layer, kvHead, from, to, c.n, dst); err != nil {
		return err
	}
	cd := c.codecs.Get().(*rowCodec)
	defer c.codecs.Put(cd)
	hd := c.l.hd
	for t := from; t < to; t++ {
		off := c.l.tileOff(layer, kvHead)
		get(cd, c.blocks[t/c.l.block][off:off+c.l.tileBytes], t%c.l.block, dst[(t-from)*hd:(t-from+1)*hd])
	}
	return nil
}

func checkRead(l *layout, layer, kvHead, from, to, stored int, dst []float32) error {
	if layer < 0 || layer >= l.layers {
		return fmt.Errorf("kv: layer %d out of range", layer)
	}
	if kvHead < 0 || kvHead >= l.kvHeads {
		return fmt.Errorf("kv: KV head %d out of range", kvHead)
	}
	if from < 0 || to < from || to > stored {
		return fmt.Errorf("kv: read of positions [%d, %d) but %d are stored", from, to, stored)
	}
	if len(dst) < (to-from)*l.hd {
		return fmt.Errorf("kv: read of %d positions needs %d floats, got %d", to-from, (to-from)*l.hd, len(dst))
	}
	return nil
}
