package kv

import (
	"fmt"
	"math"
	"sync"

	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// Contiguous is a single-sequence cache, preallocated for ctx positions,
// stored as f32 or f16.
//
// Keys are laid out per (layer, KV head) as [ctx][headDim], so the scores
// of one head are dot products over consecutive rows. Values are stored
// transposed per (layer, KV head), [headDim][ctx], so each output element
// is one long dot product over positions — the layout llama.cpp uses when
// flash attention is off. With f16 storage, queries and attention weights
// are rounded to f16 before the two products, as llama.cpp does, so both
// engines compute the same thing.
type Contiguous struct {
	shape    Shape
	k32, v32 [][]float32 // per layer: [kvHeads][ctx][hd] and [kvHeads][hd][ctx]
	k16, v16 [][]uint16
	n        int
	scratch  sync.Pool
}

// NewContiguous allocates a cache of the given shape.
func NewContiguous(s Shape) (*Contiguous, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	c := &Contiguous{shape: s}
	size := s.Ctx * s.KVDim()
	for l := 0; l < s.Layers; l++ {
		if s.ElemType == tensor.F32 {
			c.k32 = append(c.k32, make([]float32, size))
			c.v32 = append(c.v32, make([]float32, size))
		} else {
			c.k16 = append(c.k16, make([]uint16, size))
			c.v16 = append(c.v16, make([]uint16, size))
		}
	}
	return c, nil
}

func (c *Contiguous) Len() int      { return c.n }
func (c *Contiguous) Capacity() int { return c.shape.Ctx }
func (c *Contiguous) Bytes() int64  { return c.shape.Bytes() }
func (c *Contiguous) Shape() Shape  { return c.shape }

// Truncate forgets positions from n on. Their stored values are zeroed:
// attention multiplies unused value slots by zero weights, and a stale
// infinity there would turn that into NaN.
func (c *Contiguous) Truncate(n int) {
	n = max(0, min(n, c.n))
	hd, ctx := c.shape.HeadDim, c.shape.Ctx
	for l := 0; l < c.shape.Layers; l++ {
		for h := 0; h < c.shape.KVHeads; h++ {
			for j := 0; j < hd; j++ {
				off := (h*hd + j) * ctx
				if c.v32 != nil {
					clear(c.v32[l][off+n : off+c.n])
				} else {
					clear(c.v16[l][off+n : off+c.n])
				}
			}
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
	d, hd, ctx := c.shape.KVDim(), c.shape.HeadDim, c.shape.Ctx
	if len(k) < n*d || len(v) < n*d {
		return fmt.Errorf("kv: store of %d positions needs %d floats, got %d keys, %d values", n, n*d, len(k), len(v))
	}
	if pos > c.n {
		return fmt.Errorf("kv: store at position %d leaves a gap after %d", pos, c.n)
	}
	for i := 0; i < n; i++ {
		t := pos + i
		for h := 0; h < c.shape.KVHeads; h++ {
			src := k[i*d+h*hd : i*d+(h+1)*hd]
			koff := (h*ctx + t) * hd
			if c.k32 != nil {
				copy(c.k32[layer][koff:koff+hd], src)
			} else {
				tensor.F32ToF16Slice(c.k16[layer][koff:koff+hd], src)
			}
			for j, x := range v[i*d+h*hd : i*d+(h+1)*hd] {
				voff := (h*hd+j)*ctx + t
				if c.v32 != nil {
					c.v32[layer][voff] = x
				} else {
					c.v16[layer][voff] = tensor.F32ToF16(x)
				}
			}
		}
	}
	c.n = max(c.n, pos+n)
	return nil
}

// attendScratch is one worker's buffers, sized for the whole context.
type attendScratch struct {
	scores []float32
	q16    []uint16
	p16    []uint16
	spans  []Span
}

// Attend implements Cache: one job per (query token, query head), spread
// over the worker pool; scores and weighted values use the SIMD dot
// kernels.
func (c *Contiguous) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	return c.attend(layer, pos, q, n, nHead, scale, nil, out)
}

// AttendSpans implements Selective. Adjacent spans are merged first, so
// spans that cover every position run exactly the arithmetic of Attend. A
// query head that sees no position gets a zero output.
func (c *Contiguous) AttendSpans(layer, pos int, q []float32, n, nHead int, scale float32, spans [][]Span, out []float32) error {
	if len(spans) != nHead {
		return fmt.Errorf("kv: %d span lists for %d query heads", len(spans), nHead)
	}
	for h, hs := range spans {
		if err := checkSpans(hs); err != nil {
			return fmt.Errorf("kv: spans of head %d: %w", h, err)
		}
	}
	return c.attend(layer, pos, q, n, nHead, scale, spans, out)
}

// checkSpans reports whether spans are non-empty ranges, sorted and
// disjoint, at non-negative positions.
func checkSpans(spans []Span) error {
	prev := 0
	for i, s := range spans {
		if s.From < prev || s.To < s.From {
			return fmt.Errorf("span %d [%d, %d) is empty, unsorted or overlaps", i, s.From, s.To)
		}
		prev = s.To
	}
	return nil
}

// clipSpans appends to dst the spans clipped to [0, seen), with touching
// spans merged into one and empty ones dropped.
func clipSpans(dst, spans []Span, seen int) []Span {
	for _, s := range spans {
		s.To = min(s.To, seen)
		if s.From >= s.To {
			continue
		}
		if k := len(dst) - 1; k >= 0 && dst[k].To == s.From {
			dst[k].To = s.To
			continue
		}
		dst = append(dst, s)
	}
	return dst
}

// attend computes attention for every query head over spans[h] (all
// positions when spans is nil).
func (c *Contiguous) attend(layer, pos int, q []float32, n, nHead int, scale float32, spans [][]Span, out []float32) error {
	if err := c.check(layer, pos, n); err != nil {
		return err
	}
	hd, nkv, ctx := c.shape.HeadDim, c.shape.KVHeads, c.shape.Ctx
	if nHead%nkv != 0 {
		return fmt.Errorf("kv: %d query heads do not group over %d KV heads", nHead, nkv)
	}
	if len(q) < n*nHead*hd || len(out) < n*nHead*hd {
		return fmt.Errorf("kv: attend of %d queries needs %d floats", n, n*nHead*hd)
	}
	if pos+n > c.n {
		return fmt.Errorf("kv: attending position %d but only %d are stored", pos+n-1, c.n)
	}
	group := nHead / nkv
	f16 := c.shape.ElemType == tensor.F16
	// Work per job grows with the positions it sees; small grains keep the
	// threads balanced.
	parallel.Run(n*nHead, 1, parallel.Func(func(lo, hi int) {
		s, _ := c.scratch.Get().(*attendScratch)
		if s == nil {
			s = &attendScratch{scores: make([]float32, ctx), q16: make([]uint16, hd), p16: make([]uint16, ctx)}
		}
		defer c.scratch.Put(s)
		for job := lo; job < hi; job++ {
			i, h := job/nHead, job%nHead
			seen := pos + i + 1
			kvh := h / group
			qv := q[job*hd : (job+1)*hd]
			o := out[job*hd : (job+1)*hd]
			all := [1]Span{{0, seen}}
			sp := all[:]
			if spans != nil {
				s.spans = clipSpans(s.spans[:0], spans[h], seen)
				sp = s.spans
			}
			cnt := 0
			for _, r := range sp {
				cnt += r.To - r.From
			}
			if cnt == 0 {
				clear(o)
				continue
			}
			scores := s.scores[:cnt]
			maxs := float32(math.Inf(-1))
			if f16 {
				tensor.F32ToF16Slice(s.q16, qv)
				keys := c.k16[layer][kvh*ctx*hd:]
				t := 0
				for _, r := range sp {
					for p := r.From; p < r.To; p++ {
						scores[t] = tensor.DotF16(s.q16, keys[p*hd:(p+1)*hd]) * scale
						maxs = max(maxs, scores[t])
						t++
					}
				}
			} else {
				keys := c.k32[layer][kvh*ctx*hd:]
				t := 0
				for _, r := range sp {
					for p := r.From; p < r.To; p++ {
						scores[t] = tensor.DotF32(qv, keys[p*hd:(p+1)*hd]) * scale
						maxs = max(maxs, scores[t])
						t++
					}
				}
			}
			var sum float64
			for t, x := range scores {
				e := float32(math.Exp(float64(x - maxs)))
				scores[t] = e
				sum += float64(e)
			}
			inv := float32(1 / sum)
			for t := range scores {
				scores[t] *= inv
			}
			if f16 {
				p16 := s.p16[:cnt]
				tensor.F32ToF16Slice(p16, scores)
				vals := c.v16[layer][kvh*hd*ctx:]
				for j := range o {
					var acc float32
					t := 0
					for _, r := range sp {
						acc += tensor.DotF16(p16[t:t+r.To-r.From], vals[j*ctx+r.From:j*ctx+r.To])
						t += r.To - r.From
					}
					o[j] = acc
				}
			} else {
				vals := c.v32[layer][kvh*hd*ctx:]
				for j := range o {
					var acc float32
					t := 0
					for _, r := range sp {
						acc += tensor.DotF32(scores[t:t+r.To-r.From], vals[j*ctx+r.From:j*ctx+r.To])
						t += r.To - r.From
					}
					o[j] = acc
				}
			}
		}
	}))
	return nil
}

// ReadKeys implements Selective.
func (c *Contiguous) ReadKeys(layer, kvHead, from, to int, dst []float32) error {
	hd, ctx := c.shape.HeadDim, c.shape.Ctx
	if err := c.checkRead(layer, kvHead, from, to, dst); err != nil {
		return err
	}
	off := (kvHead*ctx + from) * hd
	if c.k32 != nil {
		copy(dst, c.k32[layer][off:off+(to-from)*hd])
		return nil
	}
	return tensor.F16ToF32Slice(dst[:(to-from)*hd], c.k16[layer][off:off+(to-from)*hd])
}

// ReadValues implements Selective.
func (c *Contiguous) ReadValues(layer, kvHead, from, to int, dst []float32) error {
	hd, ctx := c.shape.HeadDim, c.shape.Ctx
	if err := c.checkRead(layer, kvHead, from, to, dst); err != nil {
		return err
	}
	for j := 0; j < hd; j++ {
		off := (kvHead*hd+j)*ctx + from
		for t := 0; t < to-from; t++ {
			if c.v32 != nil {
				dst[t*hd+j] = c.v32[layer][off+t]
			} else {
				dst[t*hd+j] = tensor.F16ToF32(c.v16[layer][off+t])
			}
		}
	}
	return nil
}

func (c *Contiguous) checkRead(layer, kvHead, from, to int, dst []float32) error {
	if layer < 0 || layer >= c.shape.Layers {
		return fmt.Errorf("kv: layer %d out of range", layer)
	}
	if kvHead < 0 || kvHead >= c.shape.KVHeads {
		return fmt.Errorf("kv: KV head %d out of range", kvHead)
	}
	if from < 0 || to < from || to > c.n {
		return fmt.Errorf("kv: read of positions [%d, %d) but %d are stored", from, to, c.n)
	}
	if len(dst) < (to-from)*c.shape.HeadDim {
		return fmt.Errorf("kv: read of %d positions needs %d floats, got %d", to-from, (to-from)*c.shape.HeadDim, len(dst))
	}
	return nil
}
