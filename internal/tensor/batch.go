package tensor

import (
	"sync"
	"unsafe"
)

// Batched decode: where the CPU has kernels for a weight type
// (batchKernels, filled by architecture files), MatMul with several
// activation rows (from 2-3 tokens; with packed weights at any batch size,
// prefill included, where they measured faster than the tiles) multiplies
// the rows interleaved 8 at a time, as Pack lays them out, with up to
// maxTokens tokens per kernel call: each weight vector is loaded (and
// decoded) once for all those tokens, and every vector lane holds one
// weight row, so no lane is idle whatever the batch size. Packed weights
// are read in place; weights in the file layout are interleaved 8 rows at
// a time into a per-worker buffer first (once per MatMul, however many
// tokens), for the types with an interleave in assembly.
const batchMaxTokens = 8

// batchDotFunc multiplies ngroups groups of 8 interleaved rows (groupB
// bytes apart, nb blocks each), or ngroups pairs of such groups, with T
// tokens' prepared activations (act: the first token's entry of block 0;
// blocks actStride bytes apart), token t's 8 (16) results per group (pair)
// at dst + t*dstStride bytes, 32 (64) bytes further per group (pair).
type batchDotFunc func(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride, nb int, dst *float32, dstStride, ngroups int)

// batchKernel is what batched decode needs for one weight type.
type batchKernel struct {
	blockBytes int // one block column of 8 interleaved rows
	entryBytes int // one token's prepared activations for one block
	// prep writes the entries of token t (of ntok) from its quantized
	// activation row a (nb blocks): entry (b*ntok+t)*entryBytes of dst.
	prep func(dst, a []byte, nb, t, ntok int)
	// dot16[T] is the kernel for T tokens, 1 <= T <= maxTokens, on pairs
	// of groups, dot8[T] on single groups (nil: an odd last group takes
	// the packed one-token kernel, token by token; then interleave must be
	// nil too).
	dot16, dot8 [batchMaxTokens + 1]batchDotFunc
	maxTokens   int // at most batchMaxTokens
	// interleave writes 8 rows (rowB bytes apart, nb blocks) in the
	// interleaved layout, for weights that were not packed (nil: only
	// packed weights take the batched kernels).
	interleave func(dst, src []byte, rowB, nb int)
	// minTokensPacked and minTokensFile are the smallest batches that
	// take the batched kernels, with packed weights and with weights in
	// the file layout (interleaved on the fly), measured: below them the
	// packed or per-row one-token kernels are as fast or faster.
	minTokensPacked, minTokensFile int
}

// batchKernels is indexed by weight type; nil where there is none.
var batchKernels [maxType]*batchKernel

// useBatch reports whether a MatMul of ntok tokens with rows weight rows
// of cols elements takes the batched-decode path: packed weights from
// minTokensPacked tokens on, weights in the file layout from
// minTokensFile up to where the prefill tiles take over. With tiling off
// it is taken only for packed weights, where it gives bit for bit what
// each token gives alone through the packed mat-vec kernel.
func useBatch(bk *batchKernel, tk *tiledKernel, ntok, rows, cols int, packed bool) bool {
	switch {
	case bk == nil || rows < 8 || cols == 0:
		return false
	case packed:
		return ntok >= bk.minTokensPacked
	case bk.interleave == nil || tilingOff.Load() || ntok < bk.minTokensFile:
		return false
	}
	return tk == nil || ntok < tk.minTokens
}

// batchChunkBytes bounds the interleaved groups that all the tokens'
// kernel calls go through in turn, so that after the first call they come
// from L1 (or L2 for one long group).
const batchChunkBytes = 24 << 10

// interleavePool holds the per-worker buffers for weights interleaved on
// the fly.
var interleavePool = sync.Pool{New: func() any { return new([]byte) }}

// multiplyBatch computes weight rows [lo, hi) (lo a multiple of 8) with
// the batched-decode kernels, the rows after the last whole group of 8
// with the per-row kernels.
func (j *matMulJob) multiplyBatch(lo, hi int) {
	bk := j.batch
	rows, ntok := j.rows, j.ntok
	nb := j.cols / j.actType.BlockSize()
	groupB := nb * bk.blockBytes
	g0, g1 := lo/8, min(hi, rows&^7)/8
	step := max(2, batchChunkBytes/groupB&^1)
	_ = j.packed[nb*ntok*bk.entryBytes-1]
	var buf *[]byte
	if j.packed8 == nil && g1 > g0 {
		buf = interleavePool.Get().(*[]byte)
		*buf = resize(*buf, min(step, g1-g0)*groupB)
	}
	for s0 := g0; s0 < g1; s0 += step {
		s1 := min(s0+step, g1)
		var w unsafe.Pointer
		if p := j.packed8; p != nil {
			_ = p.groups[s1*groupB-1]
			w = unsafe.Pointer(&p.groups[s0*groupB])
		} else {
			_ = j.w[(s1*8-1)*j.rowB+j.rowB-1]
			for g := s0; g < s1; g++ {
				bk.interleave((*buf)[(g-s0)*groupB:(g-s0+1)*groupB], j.w[g*8*j.rowB:], j.rowB, nb)
			}
			w = unsafe.Pointer(&(*buf)[0])
		}
		_ = j.dst[(ntok-1)*rows+s1*8-1]
		pairs := (s1 - s0) / 2
		for t0 := 0; t0 < ntok; t0 += bk.maxTokens {
			nt := min(bk.maxTokens, ntok-t0)
			a := unsafe.Pointer(&j.packed[t0*bk.entryBytes])
			if pairs > 0 {
				bk.dot16[nt](w, groupB, a, ntok*bk.entryBytes, nb, &j.dst[t0*rows+s0*8], 4*rows, pairs)
			}
			if s0+2*pairs < s1 && bk.dot8[nt] != nil {
				bk.dot8[nt](unsafe.Add(w, 2*pairs*groupB), groupB, a, ntok*bk.entryBytes, nb, &j.dst[t0*rows+(s0+2*pairs)*8], 4*rows, 1)
			}
		}
		if g := s0 + 2*pairs; g < s1 && bk.dot8[1] == nil {
			// Only packed weights come here: their one-token kernel.
			k := j.packed8.kernel
			for t := 0; t < ntok; t++ {
				k.dot(unsafe.Add(w, 2*pairs*groupB), groupB, unsafe.Pointer(&j.act[t*j.actB]), nb, &j.dst[t*rows+g*8], 1)
			}
		}
	}
	if buf != nil {
		interleavePool.Put(buf)
	}
	if r := max(lo, g1*8); r < hi {
		j.multiplyRows(r, hi)
	}
}
