package tensor

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/longctx/longctx/internal/hugemem"
)

// Packed is a weight matrix prepared for repeated multiplication: besides
// the rows in their file layout it may hold a copy with the rows
// interleaved 8 at a time, which the decode kernels of some types read
// faster (each vector lane then belongs to one row, so the block scales
// are applied to 8 rows at once and no horizontal sums are needed).
// MatMulPacked uses the copy for small batches and the file layout for the
// prefill tiles, so both must stay valid and unchanged while the Packed is
// in use.
type Packed struct {
	typ        Type
	rows, cols int
	data       []byte // the rows in the file layout

	groups []byte          // rows/8 groups of 8 interleaved rows, or nil
	groupB int             // bytes per group
	mem    *hugemem.Buffer // holds groups when they were allocated here
	kernel *packedKernel
}

// packedKernel is a row-interleaved layout and its mat-vec kernel.
type packedKernel struct {
	// blockBytes is the size of one block column of 8 packed rows.
	blockBytes int
	// pack writes 8 rows (rowB bytes apart, nb blocks each) in the layout.
	pack func(dst, src []byte, rowB, nb int)
	// dot multiplies ngroups groups (groupB bytes apart, nb blocks each)
	// with the activation row a: 8 results per group at dst.
	dot func(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int)
}

// packedKernels is indexed by weight type; nil where weights are not packed.
var packedKernels [maxType]*packedKernel

// Pack checks the shape of a weight matrix (as MatMul does) and returns it
// ready for MatMulPacked, with an interleaved copy of its rows where this
// CPU has kernels for one (the copy costs about the matrix's size in
// memory). data is kept, not copied.
func Pack(t Type, rows, cols int, data []byte) (*Packed, error) {
	return PackMore(nil, t, rows, cols, data)
}

// PackMore is Pack for a matrix that grows by appended rows (a cache of
// keys): data holds all rows, the first prev.Rows() of them unchanged
// since prev (a Packed of the same type and width, or nil) was made, and
// only the groups of 8 completed since are interleaved; prev's groups are
// reused, so prev must not be used afterwards.
func PackMore(prev *Packed, t Type, rows, cols int, data []byte) (*Packed, error) {
	if !HasVecDot(t) {
		return nil, fmt.Errorf("Pack: weight type %s has no dot product", t)
	}
	if rows < 0 || cols < 0 {
		return nil, fmt.Errorf("Pack: negative shape rows=%d cols=%d", rows, cols)
	}
	rb, err := t.RowBytes(int64(cols))
	if err != nil {
		return nil, fmt.Errorf("Pack: %w", err)
	}
	if want, ok := mulFits(int64(rows), rb); !ok || int64(len(data)) != want {
		return nil, fmt.Errorf("Pack: %d rows of %d %s elements take %d*%d bytes, got %d", rows, cols, t, rows, rb, len(data))
	}
	p := &Packed{typ: t, rows: rows, cols: cols, data: data}
	k := packedKernels[t]
	if k == nil || rows < 8 || cols == 0 {
		return p, nil
	}
	nb := cols / t.BlockSize()
	p.kernel, p.groupB = k, nb*k.blockBytes
	keep := 0
	n := rows / 8 * p.groupB
	if prev != nil && prev.groups != nil && prev.typ == t && prev.cols == cols && prev.rows <= rows {
		keep = prev.rows / 8
		p.groups = slices.Grow(prev.groups[:keep*p.groupB], n-keep*p.groupB)[:n]
		if unsafe.SliceData(p.groups) == unsafe.SliceData(prev.groups) {
			p.mem = prev.mem // still prev's memory (not reallocated by Grow)
		}
	} else {
		// Decode streams these bytes once per token: huge pages for big
		// matrices (see package hugemem).
		p.mem = hugemem.New(n)
		p.groups = p.mem.Bytes()
	}
	for g := keep; g < rows/8; g++ {
		k.pack(p.groups[g*p.groupB:(g+1)*p.groupB], data[g*8*int(rb):], int(rb), nb)
	}
	return p, nil
}

// Rows is the number of rows of p.
func (p *Packed) Rows() int { return p.rows }

// Prefix is p's first rows rows (0 <= rows <= p.Rows()), sharing its
// storage.
func (p *Packed) Prefix(rows int) *Packed {
	q := *p
	q.rows = rows
	rb := len(p.data) / max(1, p.rows)
	q.data = p.data[:rows*rb]
	if q.groups != nil {
		if rows < 8 {
			q.groups, q.kernel = nil, nil
		} else {
			q.groups = p.groups[:rows/8*p.groupB]
		}
	}
	return &q
}

// MatMulPacked is MatMul with the weights p.
func MatMulPacked(dst []float32, p *Packed, x []float32, ntok int) error {
	return matMul(dst, p.data, p.typ, p.rows, p.cols, x, ntok, p)
}

// Interleaved reports whether p holds interleaved rows (whether this CPU
// has packed kernels for its type and it has at least 8 rows).
func (p *Packed) Interleaved() bool { return p.groups != nil }

// packedBlockBytes bounds the interleaved weights multiplied with one
// activation row after another when MatMulPacked has several.
const packedBlockBytes = 128 << 10

// multiplyPacked computes weight rows [lo, hi) (lo a multiple of 8) from
// the interleaved groups, the rows after the last whole group with the
// per-row kernels.
func (j *matMulJob) multiplyPacked(lo, hi int) {
	p := j.packed8
	k := p.kernel
	nb := j.cols / p.typ.BlockSize()
	g0, g1 := lo/8, min(hi, p.rows&^7)/8
	// One activation row takes all the groups in one call; several take
	// blocks of groups that stay in L2 while each row goes past them.
	step := g1 - g0
	if j.ntok > 1 {
		step = max(1, packedBlockBytes/p.groupB)
	}
	for s0 := g0; s0 < g1; s0 += step {
		s1 := min(s0+step, g1)
		_ = p.groups[s1*p.groupB-1]
		for t := 0; t < j.ntok; t++ {
			a := j.act[t*j.actB : (t+1)*j.actB]
			out := j.dst[t*j.rows+s0*8 : t*j.rows+s1*8]
			k.dot(unsafe.Pointer(&p.groups[s0*p.groupB]), p.groupB, unsafe.Pointer(&a[0]), nb, &out[0], s1-s0)
		}
	}
	if r := max(lo, g1*8); r < hi {
		j.multiplyRows(r, hi)
	}
}
