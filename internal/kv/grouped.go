package kv

import (
	"fmt"
	"unsafe"

	"github.com/longctx/longctx/internal/tensor"
)

// GroupedF16 is a growing list of vectors stored as f16 in the layout of
// an f16 cache's keys: groups of 16 vectors, dimension by dimension. The
// dot products of up to four query rows with every vector then run on the
// attention score kernels, 16 vectors per multiply-add, each vector read
// once for all the rows. Quest keeps its per-block key bounds in one.
type GroupedF16 struct {
	width int
	n     int
	data  []uint16 // whole groups; a partial last group is zero-filled
	k     kernelSet
	q     []float32 // quad rows, padded
	out   []float32 // quad × groups scores
}

// NewGroupedF16 returns an empty list of vectors of width elements (a
// positive multiple of 16).
func NewGroupedF16(width int) (*GroupedF16, error) {
	if width <= 0 || width%16 != 0 {
		return nil, fmt.Errorf("kv: grouped vectors of width %d (want a positive multiple of 16)", width)
	}
	return &GroupedF16{width: width, k: kernelsFor(tensor.F16, width)}, nil
}

// Len is the number of vectors held.
func (g *GroupedF16) Len() int { return g.n }

// Bytes is the memory the vectors take.
func (g *GroupedF16) Bytes() int64 { return 2 * int64(cap(g.data)) }

// Append adds v (width elements), rounded to f16.
func (g *GroupedF16) Append(v []float32) {
	w := g.width
	if g.n%groupLen == 0 {
		g.data = append(g.data, make([]uint16, w*groupLen)...)
	}
	grp := g.data[g.n/groupLen*w*groupLen:]
	i := g.n % groupLen
	for d, x := range v[:w] {
		grp[d*groupLen+i] = tensor.F32ToF16(x)
	}
	g.n++
}

// Truncate keeps the first n vectors (n <= Len()).
func (g *GroupedF16) Truncate(n int) {
	if n >= g.n {
		return
	}
	w := g.width
	ng := (n + groupLen - 1) / groupLen
	g.data = g.data[:ng*w*groupLen]
	if i := n % groupLen; i != 0 {
		grp := g.data[(ng-1)*w*groupLen:]
		for d := 0; d < w; d++ {
			clear(grp[d*groupLen+i : (d+1)*groupLen])
		}
	}
	g.n = n
}

// Dots writes, for each of the rows query rows q (rows × width floats, at
// most 4), its dot products with vectors [from, to): dst[r*stride+i-from]
// is q_r · v_i.
func (g *GroupedF16) Dots(q []float32, rows, from, to int, dst []float32, stride int) error {
	w := g.width
	if rows < 1 || rows > quad || len(q) < rows*w || from < 0 || to > g.n || from > to || stride < to-from || len(dst) < (rows-1)*stride+to-from {
		return fmt.Errorf("kv: dots of %d rows with vectors %d..%d of %d", rows, from, to, g.n)
	}
	if from == to {
		return nil
	}
	g0, g1 := from/groupLen, (to+groupLen-1)/groupLen
	os := (g1 - g0) * groupLen
	if cap(g.q) < quad*w {
		g.q = make([]float32, quad*w)
	}
	qq := g.q[:quad*w]
	copy(qq, q[:rows*w])
	clear(qq[rows*w:])
	if cap(g.out) < quad*os {
		g.out = make([]float32, quad*os)
	}
	out := g.out[:quad*os]
	k := g.data[g0*w*groupLen : g1*w*groupLen]
	g.k.scores(qq, u16Bytes(k), g1-g0, w, out, os, 1)
	for r := 0; r < rows; r++ {
		copy(dst[r*stride:r*stride+to-from], out[r*os+from-g0*groupLen:])
	}
	return nil
}

func u16Bytes(s []uint16) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 2*len(s))
}

// Vector appends vector i (i < Len()) to dst.
func (g *GroupedF16) Vector(dst []float32, i int) []float32 {
	w := g.width
	grp := g.data[i/groupLen*w*groupLen:]
	for d := 0; d < w; d++ {
		dst = append(dst, tensor.F16ToF32(grp[d*groupLen+i%groupLen]))
	}
	return dst
}
