package kv

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/tensor"
)

// groupLen is the number of positions stored together as one group: the
// attention kernels compute 16 scores (two 8-lane vectors) per step.
const groupLen = 16

// layout describes how one block of positions is stored. A block holds, for
// every (layer, KV head), a tile: the keys of its positions as groups of
// groupLen positions, then the values, again as groups.
//
// Keys are stored transposed inside a group, dimension by dimension with
// the group's 16 positions side by side, so the scores of 16 positions are
// one vector multiply-add per dimension and no horizontal sums are needed.
// Values are stored as rows (one position's head vector), so weighted
// values accumulate 16 dimensions per multiply-add. Quantized types
// quantize each position's vector in blocks of 32 dimensions exactly as
// llama.cpp does (rowCodec.quantize), then store the block scales of a group
// together and the quants in the transposed (keys) or row (values) order:
//
//	keys  f32/f16   [hd][16] elements
//	keys  q8_0      per 32-dim block: [16] f16 scales, [32][16] int8
//	keys  q4_0      per 32-dim block: [16] f16 scales, [16][16] bytes
//	                (low nibble dim j, high nibble dim j+16, as in q4_0)
//	values f32/f16  [16][hd] elements
//	values q8_0     [hd/32][16] f16 scales, then [16][hd] int8
//	values q4_0     [hd/32][16] f16 scales, then [16][hd/2] bytes
type layout struct {
	typ       tensor.Type
	hd        int
	block     int // positions per block, a multiple of groupLen
	kvHeads   int
	layers    int
	groupK    int // bytes of one group of keys
	groupV    int // bytes of one group of values
	tileBytes int // bytes of one (layer, KV head) tile
	vOff      int // offset of the values inside a tile
}

func checkElemType(t tensor.Type, hd int) error {
	switch t {
	case tensor.F32, tensor.F16:
		return nil
	case tensor.Q8_0, tensor.Q4_0:
		if hd%32 != 0 {
			return fmt.Errorf("kv: %s cache needs a head size that is a multiple of 32, got %d", t, hd)
		}
		return nil
	}
	return fmt.Errorf("kv: cache element type %s not supported (want f32, f16, q8_0 or q4_0)", t)
}

func newLayout(s Shape, block int) (layout, error) {
	if err := checkElemType(s.ElemType, s.HeadDim); err != nil {
		return layout{}, err
	}
	if block <= 0 || block%groupLen != 0 {
		return layout{}, fmt.Errorf("kv: block size %d is not a positive multiple of %d", block, groupLen)
	}
	l := layout{typ: s.ElemType, hd: s.HeadDim, block: block, kvHeads: s.KVHeads, layers: s.Layers}
	nb := s.HeadDim / 32
	switch s.ElemType {
	case tensor.F32:
		l.groupK = s.HeadDim * groupLen * 4
		l.groupV = l.groupK
	case tensor.F16:
		l.groupK = s.HeadDim * groupLen * 2
		l.groupV = l.groupK
	case tensor.Q8_0:
		l.groupK = nb * (2*groupLen + 32*groupLen)
		l.groupV = l.groupK
	case tensor.Q4_0:
		l.groupK = nb * (2*groupLen + 16*groupLen)
		l.groupV = l.groupK
	}
	l.vOff = block / groupLen * l.groupK
	l.tileBytes = l.vOff + block/groupLen*l.groupV
	return l, nil
}

// chunkBlocks is the number of blocks of one attention chunk: a chunk is
// chunkPositions positions when the block size divides it (or one block
// when larger), so caches whose block sizes divide chunkPositions compute
// the same sums in the same order.
func (l *layout) chunkBlocks() int { return max(1, chunkPositions/l.block) }

// blockBytes is the size of one block: every layer's and KV head's tile.
func (l *layout) blockBytes() int { return l.layers * l.kvHeads * l.tileBytes }

// tileOff is the offset of (layer, kvHead)'s tile inside a block.
func (l *layout) tileOff(layer, kvHead int) int { return (layer*l.kvHeads + kvHead) * l.tileBytes }

// posBytes is what one position costs, keys and values of every layer.
func (l *layout) posBytes() int64 {
	return int64(l.layers) * int64(l.kvHeads) * int64(l.groupK+l.groupV) / groupLen
}

// keyGroups slices key groups [g0, g1) out of a tile.
func (l *layout) keyGroups(tile []byte, g0, g1 int) []byte {
	return tile[g0*l.groupK : g1*l.groupK]
}

// valueGroups slices value groups [g0, g1) out of a tile.
func (l *layout) valueGroups(tile []byte, g0, g1 int) []byte {
	return tile[l.vOff+g0*l.groupV : l.vOff+g1*l.groupV]
}

// maxF16 is the largest finite f16 value.
const maxF16 = 65504

// rowCodec converts one position's head vector between float32 and the
// stored form. It carries the scratch of one goroutine.
type rowCodec struct {
	l    *layout
	raw  []byte    // the vector as a ggml row of l.typ
	half []uint16  // the vector as f16, converted in bulk (F16C where the CPU has it)
	sat  []float32 // the vector saturated to the f16 range
}

func (l *layout) codec() *rowCodec {
	n, _ := l.typ.RowBytes(int64(l.hd))
	return &rowCodec{l: l, raw: make([]byte, n), half: make([]uint16, l.hd), sat: make([]float32, l.hd)}
}

// quantize converts x to a ggml row of the layout's type in c.raw: q8_0
// as llama.cpp's x86 backend quantizes what it stores in a q8_0 cache
// (tensor.QuantizeActivations, vectorized), q4_0 with ggml's reference
// quantizer.
func (c *rowCodec) quantize(x []float32) {
	if c.l.typ == tensor.Q8_0 {
		tensor.QuantizeActivations(tensor.Q8_0, x, c.raw)
		return
	}
	tensor.Quantize(c.l.typ, x, c.raw)
}

// putKey stores key x at position t (0..block-1) of a tile.
func (c *rowCodec) putKey(tile []byte, t int, x []float32) {
	l := c.l
	g := tile[t/groupLen*l.groupK : (t/groupLen+1)*l.groupK]
	i := t % groupLen
	switch l.typ {
	case tensor.F32:
		for j, v := range x {
			putF32(g, j*groupLen+i, v)
		}
	case tensor.F16:
		tensor.F32ToF16Slice(c.half, x[:l.hd]) // same bits as F32ToF16, 8 at a time
		for j, h := range c.half {
			binary.LittleEndian.PutUint16(g[2*(j*groupLen+i):], h)
		}
	case tensor.Q8_0:
		c.quantize(x)
		for b := 0; b < l.hd/32; b++ {
			src := c.raw[b*34 : (b+1)*34]
			dst := g[b*(32+32*groupLen):]
			copy(dst[2*i:2*i+2], src[:2])
			for j := 0; j < 32; j++ {
				dst[32+j*groupLen+i] = src[2+j]
			}
		}
	case tensor.Q4_0:
		c.quantize(x)
		for b := 0; b < l.hd/32; b++ {
			src := c.raw[b*18 : (b+1)*18]
			dst := g[b*(32+16*groupLen):]
			copy(dst[2*i:2*i+2], src[:2])
			for j := 0; j < 16; j++ {
				dst[32+j*groupLen+i] = src[2+j]
			}
		}
	}
}

// key reads the key at position t of a tile into x.
func (c *rowCodec) key(tile []byte, t int, x []float32) {
	l := c.l
	g := tile[t/groupLen*l.groupK : (t/groupLen+1)*l.groupK]
	i := t % groupLen
	switch l.typ {
	case tensor.F32:
		for j := range x[:l.hd] {
			x[j] = getF32(g, j*groupLen+i)
		}
	case tensor.F16:
		for j := range x[:l.hd] {
			x[j] = tensor.F16ToF32(binary.LittleEndian.Uint16(g[2*(j*groupLen+i):]))
		}
	case tensor.Q8_0:
		for b := 0; b < l.hd/32; b++ {
			src := g[b*(32+32*groupLen):]
			d := tensor.F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
			for j := 0; j < 32; j++ {
				x[b*32+j] = d * float32(int8(src[32+j*groupLen+i]))
			}
		}
	case tensor.Q4_0:
		for b := 0; b < l.hd/32; b++ {
			src := g[b*(32+16*groupLen):]
			d := tensor.F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
			for j := 0; j < 16; j++ {
				q := src[32+j*groupLen+i]
				x[b*32+j] = d * float32(int(q&15)-8)
				x[b*32+16+j] = d * float32(int(q>>4)-8)
			}
		}
	}
}

// putValue stores value x at position t of a tile.
func (c *rowCodec) putValue(tile []byte, t int, x []float32) {
	l := c.l
	g := tile[l.vOff+t/groupLen*l.groupV : l.vOff+(t/groupLen+1)*l.groupV]
	i := t % groupLen
	switch l.typ {
	case tensor.F32:
		for j, v := range x {
			putF32(g, i*l.hd+j, v)
		}
	case tensor.F16:
		for j, v := range x {
			// Saturated, not rounded to infinity: a value pass multiplies
			// every value of a 16-position group by its weight, and an
			// infinite value at a position a query cannot see (a forked
			// sequence's, past its fork) would turn 0 x Inf into NaN.
			c.sat[j] = min(max(v, -maxF16), maxF16)
		}
		tensor.F32ToF16Slice(c.half, c.sat)
		row := g[2*i*l.hd : 2*(i+1)*l.hd]
		for j, h := range c.half {
			binary.LittleEndian.PutUint16(row[2*j:], h)
		}
	case tensor.Q8_0, tensor.Q4_0:
		c.quantize(x)
		c.putValueRaw(g, i)
	}
}

// putValueRaw stores the ggml row in c.raw as value i of group g.
func (c *rowCodec) putValueRaw(g []byte, i int) {
	l := c.l
	nb := l.hd / 32
	bs, qs := 34, 32 // q8_0 block bytes and quant bytes
	if l.typ == tensor.Q4_0 {
		bs, qs = 18, 16
	}
	for b := 0; b < nb; b++ {
		src := c.raw[b*bs : (b+1)*bs]
		copy(g[2*(b*groupLen+i):], src[:2])
		copy(g[2*nb*groupLen+i*nb*qs+b*qs:], src[2:])
	}
}

// valueRaw reads value i of group g into c.raw as a ggml row.
func (c *rowCodec) valueRaw(g []byte, i int) {
	l := c.l
	nb := l.hd / 32
	bs, qs := 34, 32
	if l.typ == tensor.Q4_0 {
		bs, qs = 18, 16
	}
	for b := 0; b < nb; b++ {
		dst := c.raw[b*bs : (b+1)*bs]
		copy(dst[:2], g[2*(b*groupLen+i):])
		copy(dst[2:], g[2*nb*groupLen+i*nb*qs+b*qs:][:qs])
	}
}

// value reads the value at position t of a tile into x.
func (c *rowCodec) value(tile []byte, t int, x []float32) {
	l := c.l
	g := tile[l.vOff+t/groupLen*l.groupV : l.vOff+(t/groupLen+1)*l.groupV]
	i := t % groupLen
	switch l.typ {
	case tensor.F32:
		for j := range x[:l.hd] {
			x[j] = getF32(g, i*l.hd+j)
		}
	case tensor.F16:
		for j := range x[:l.hd] {
			x[j] = tensor.F16ToF32(binary.LittleEndian.Uint16(g[2*(i*l.hd+j):]))
		}
	case tensor.Q8_0, tensor.Q4_0:
		c.valueRaw(g, i)
		tensor.Dequantize(l.typ, c.raw, x[:l.hd])
	}
}

// copyKeyPos copies one position's key between tiles without decoding.
func (l *layout) copyKeyPos(dst []byte, to int, src []byte, from int) {
	gd := dst[to/groupLen*l.groupK : (to/groupLen+1)*l.groupK]
	gs := src[from/groupLen*l.groupK : (from/groupLen+1)*l.groupK]
	i, k := to%groupLen, from%groupLen
	switch l.typ {
	case tensor.F32, tensor.F16:
		es := 4
		if l.typ == tensor.F16 {
			es = 2
		}
		for j := 0; j < l.hd; j++ {
			copy(gd[es*(j*groupLen+i):es*(j*groupLen+i+1)], gs[es*(j*groupLen+k):])
		}
	case tensor.Q8_0, tensor.Q4_0:
		rows := 32
		if l.typ == tensor.Q4_0 {
			rows = 16
		}
		bb := 32 + rows*groupLen
		for b := 0; b < l.hd/32; b++ {
			d, s := gd[b*bb:], gs[b*bb:]
			copy(d[2*i:2*i+2], s[2*k:])
			for j := 0; j < rows; j++ {
				d[32+j*groupLen+i] = s[32+j*groupLen+k]
			}
		}
	}
}

// copyValuePos copies one position's value between tiles without decoding.
func (l *layout) copyValuePos(dst []byte, to int, src []byte, from int) {
	l.copyValuePosFrom(dst, to, src, l.vOff, from)
}

// copyValuePosFrom is copyValuePos from a tile whose values start at
// srcVOff (a tile of another block size).
func (l *layout) copyValuePosFrom(dst []byte, to int, src []byte, srcVOff, from int) {
	gd := dst[l.vOff+to/groupLen*l.groupV : l.vOff+(to/groupLen+1)*l.groupV]
	gs := src[srcVOff+from/groupLen*l.groupV : srcVOff+(from/groupLen+1)*l.groupV]
	i, k := to%groupLen, from%groupLen
	switch l.typ {
	case tensor.F32, tensor.F16:
		rb := l.hd * 4
		if l.typ == tensor.F16 {
			rb = l.hd * 2
		}
		copy(gd[i*rb:(i+1)*rb], gs[k*rb:])
	case tensor.Q8_0, tensor.Q4_0:
		nb := l.hd / 32
		qs := 32
		if l.typ == tensor.Q4_0 {
			qs = 16
		}
		for b := 0; b < nb; b++ {
			copy(gd[2*(b*groupLen+i):2*(b*groupLen+i)+2], gs[2*(b*groupLen+k):])
		}
		rb := nb * qs
		copy(gd[2*nb*groupLen+i*rb:2*nb*groupLen+(i+1)*rb], gs[2*nb*groupLen+k*rb:])
	}
}

// clearValuePos zeroes one position's value. Attention multiplies the
// unused positions of a group by zero weights; a stale infinity or NaN
// there would poison the sum.
func (l *layout) clearValuePos(tile []byte, t int) {
	g := tile[l.vOff+t/groupLen*l.groupV : l.vOff+(t/groupLen+1)*l.groupV]
	i := t % groupLen
	switch l.typ {
	case tensor.F32, tensor.F16:
		rb := l.groupV / groupLen
		clear(g[i*rb : (i+1)*rb])
	case tensor.Q8_0, tensor.Q4_0:
		nb := l.hd / 32
		for b := 0; b < nb; b++ {
			clear(g[2*(b*groupLen+i) : 2*(b*groupLen+i)+2])
		}
		rb := (l.groupV - 2*nb*groupLen) / groupLen
		clear(g[2*nb*groupLen+i*rb : 2*nb*groupLen+(i+1)*rb])
	}
}

func putF32(b []byte, i int, v float32) {
	binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
}

func getF32(b []byte, i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
}
