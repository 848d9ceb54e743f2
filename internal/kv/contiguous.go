package kv

import (
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/tensor"
)

// Contiguous is a single-sequence cache with one preallocated [ctx][kvDim]
// array per layer for keys and one for values, stored as f32 or f16.
//
// With f16 storage it rounds queries and attention weights to f16 before
// the two products, as llama.cpp does when its cache is f16, so that both
// engines compute the same thing.
type Contiguous struct {
	shape      Shape
	k32, v32   [][]float32
	k16, v16   [][]uint16
	n          int
	scores     []float32
	qh, ph     []float32 // f16-rounded query / weights
	kRow, vRow []float32
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
	c.scores = make([]float32, s.Ctx)
	c.qh = make([]float32, s.HeadDim)
	c.ph = make([]float32, s.Ctx)
	c.kRow = make([]float32, s.HeadDim)
	c.vRow = make([]float32, s.HeadDim)
	return c, nil
}

func (c *Contiguous) Len() int       { return c.n }
func (c *Contiguous) Capacity() int  { return c.shape.Ctx }
func (c *Contiguous) Bytes() int64   { return c.shape.Bytes() }
func (c *Contiguous) Shape() Shape   { return c.shape }
func (c *Contiguous) Truncate(n int) { c.n = max(0, min(n, c.n)) }

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
	lo, hi := pos*d, (pos+n)*d
	if c.shape.ElemType == tensor.F32 {
		copy(c.k32[layer][lo:hi], k)
		copy(c.v32[layer][lo:hi], v)
	} else {
		tensor.F32ToF16Slice(c.k16[layer][lo:hi], k[:n*d])
		tensor.F32ToF16Slice(c.v16[layer][lo:hi], v[:n*d])
	}
	c.n = max(c.n, pos+n)
	return nil
}

// Attend implements Cache with a plain two-pass softmax per head; the
// kernels work replaces the inner loops.
func (c *Contiguous) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	if err := c.check(layer, pos, n); err != nil {
		return err
	}
	hd, nkv := c.shape.HeadDim, c.shape.KVHeads
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
	d := c.shape.KVDim()
	f16 := c.shape.ElemType == tensor.F16
	for i := 0; i < n; i++ {
		seen := pos + i + 1
		for h := 0; h < nHead; h++ {
			qv := q[(i*nHead+h)*hd : (i*nHead+h+1)*hd]
			o := out[(i*nHead+h)*hd : (i*nHead+h+1)*hd]
			kvh := h / group
			if f16 {
				for j, x := range qv {
					c.qh[j] = tensor.F16ToF32(tensor.F32ToF16(x))
				}
				qv = c.qh
			}
			maxs := float32(math.Inf(-1))
			for t := 0; t < seen; t++ {
				krow := c.row(c.k32, c.k16, layer, t*d+kvh*hd, c.kRow)
				var s float32
				for j, x := range qv {
					s += x * krow[j]
				}
				s *= scale
				c.scores[t] = s
				maxs = max(maxs, s)
			}
			var sum float64
			for t := 0; t < seen; t++ {
				e := float32(math.Exp(float64(c.scores[t] - maxs)))
				c.scores[t] = e
				sum += float64(e)
			}
			inv := float32(1 / sum)
			clear(o)
			for t := 0; t < seen; t++ {
				p := c.scores[t] * inv
				if f16 {
					p = tensor.F16ToF32(tensor.F32ToF16(p))
				}
				vrow := c.row(c.v32, c.v16, layer, t*d+kvh*hd, c.vRow)
				for j := range o {
					o[j] += p * vrow[j]
				}
			}
		}
	}
	return nil
}

// row returns headDim elements at off of a layer, converted to f32.
func (c *Contiguous) row(a32 [][]float32, a16 [][]uint16, layer, off int, buf []float32) []float32 {
	hd := c.shape.HeadDim
	if a32 != nil {
		return a32[layer][off : off+hd]
	}
	tensor.F16ToF32Slice(buf, a16[layer][off:off+hd])
	return buf
}
