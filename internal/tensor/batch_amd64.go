//go:build amd64 && !purego

package tensor

import (
	"encoding/binary"
	"math"
	"unsafe"
)

//go:noescape
func interleaveQ8_0X8(dst *byte, src *byte, rowB int, nb int)

//go:noescape
func dotQ8_0X16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X16T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ8_0X8T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X16T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4_0X8T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func interleaveQ4_0X8(dst *byte, src *byte, rowB int, nb int)

//go:noescape
func dotQ6KX16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ6KX16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ6KX16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ6KX16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4KX16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4KX16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4KX16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

//go:noescape
func dotQ4KX16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)

func init() {
	if !hasVNNI {
		return
	}
	batchKernels[Q8_0] = &batchKernel{
		blockBytes: 8 * q8_0Bytes, entryBytes: batchEntryBytes, prep: prepBatchQ8_0,
		dot16: [...]batchDotFunc{nil, dotQ8_0X16T1, dotQ8_0X16T2, dotQ8_0X16T3, dotQ8_0X16T4,
			dotQ8_0X16T5, dotQ8_0X16T6, dotQ8_0X16T7, dotQ8_0X16T8},
		dot8: [...]batchDotFunc{nil, dotQ8_0X8T1, dotQ8_0X8T2, dotQ8_0X8T3, dotQ8_0X8T4,
			dotQ8_0X8T5, dotQ8_0X8T6, dotQ8_0X8T7, dotQ8_0X8T8},
		interleave: interleaveQ8_0X8Go, minTokensPacked: 2, minTokensFile: 3, maxTokens: 8,
	}
	batchKernels[Q4_0] = &batchKernel{
		blockBytes: 8 * q4_0Bytes, entryBytes: batchEntryBytes, prep: prepBatchQ4_0,
		dot16: [...]batchDotFunc{nil, dotQ4_0X16T1, dotQ4_0X16T2, dotQ4_0X16T3, dotQ4_0X16T4,
			dotQ4_0X16T5, dotQ4_0X16T6, dotQ4_0X16T7, dotQ4_0X16T8},
		dot8: [...]batchDotFunc{nil, dotQ4_0X8T1, dotQ4_0X8T2, dotQ4_0X8T3, dotQ4_0X8T4,
			dotQ4_0X8T5, dotQ4_0X8T6, dotQ4_0X8T7, dotQ4_0X8T8},
		interleave: interleaveQ4_0X8Go, minTokensPacked: 2, minTokensFile: 3, maxTokens: 8,
	}
	// The K-quants' kernels take packed weights only (their interleaving
	// is Go) and 4 tokens a call, from 3 tokens: at 2 the packed one-token
	// kernel, run twice, was 1.1-1.3x faster (process CPU time, weights
	// from DRAM), at 3 they were even.
	batchKernels[Q6_K] = &batchKernel{
		blockBytes: 8 * q6KBytes, entryBytes: q6KBatchEntry, prep: prepBatchQ6K,
		dot16:     [batchMaxTokens + 1]batchDotFunc{nil, dotQ6KX16T1, dotQ6KX16T2, dotQ6KX16T3, dotQ6KX16T4},
		maxTokens: 4, minTokensPacked: 3,
	}
	batchKernels[Q4_K] = &batchKernel{
		blockBytes: q4KX8Bytes, entryBytes: q4KBatchEntry, prep: prepBatchQ4K,
		dot16:     [batchMaxTokens + 1]batchDotFunc{nil, dotQ4KX16T1, dotQ4KX16T2, dotQ4KX16T3, dotQ4KX16T4},
		maxTokens: 4, minTokensPacked: 3,
	}
}

// interleaveQ8_0X8Go is packQ8_0X8 in assembly.
func interleaveQ8_0X8Go(dst, src []byte, rowB, nb int) {
	_ = dst[nb*8*q8_0Bytes-1]
	_ = src[7*rowB+nb*q8_0Bytes-1]
	interleaveQ8_0X8(&dst[0], &src[0], rowB, nb)
}

// interleaveQ4_0X8Go is packQ4_0X8 in assembly.
func interleaveQ4_0X8Go(dst, src []byte, rowB, nb int) {
	_ = dst[nb*8*q4_0Bytes-1]
	_ = src[7*rowB+nb*q4_0Bytes-1]
	interleaveQ4_0X8(&dst[0], &src[0], rowB, nb)
}

// batchEntryBytes is one token's prepared Q8_0 activation block: its 32
// quants, the weights' offset times the sum of the quants as int32, and
// its scale as float32.
const batchEntryBytes = 40

// prepBatchQ8_0 prepares token t's Q8_0 activation row a for Q8_0 weights,
// stored plus 128 in the interleaved layout.
func prepBatchQ8_0(dst, a []byte, nb, t, ntok int) { prepBatch(dst, a, nb, t, ntok, -128) }

// prepBatchQ4_0 prepares token t's Q8_0 activation row a for Q4_0
// weights, whose nibbles are the quants plus 8.
func prepBatchQ4_0(dst, a []byte, nb, t, ntok int) { prepBatch(dst, a, nb, t, ntok, -8) }

// prepBatch writes the batch entries of token t (of ntok) from its Q8_0
// activation row a, with mul*sum(quants) as the correction.
func prepBatch(dst, a []byte, nb, t, ntok int, mul int32) {
	for b := 0; b < nb; b++ {
		blk := a[b*q8_0Bytes : (b+1)*q8_0Bytes]
		e := dst[(b*ntok+t)*batchEntryBytes : (b*ntok+t+1)*batchEntryBytes]
		var sum int32
		for k := 0; k < 4; k++ {
			v := binary.LittleEndian.Uint64(blk[2+8*k:])
			binary.LittleEndian.PutUint64(e[8*k:], v)
			sum += sumBytes(v ^ highBits) // the quants plus 128, as unsigned bytes
		}
		binary.LittleEndian.PutUint32(e[32:], uint32(mul*(sum-128*qk32)))
		binary.LittleEndian.PutUint32(e[36:], math.Float32bits(f16At(blk, 0)))
	}
}

// q6KBatchEntry is one token's prepared Q8_K super-block for Q6_K
// weights: its 256 quants, -32*bsum for each 16-element sub-block (int32;
// the 6-bit quants are q+32) and its scale (float32).
const q6KBatchEntry = 256 + 4*16 + 4

// prepBatchQ6K writes the batch entries of token t (of ntok) from its Q8_K
// activation row a.
func prepBatchQ6K(dst, a []byte, nb, t, ntok int) {
	for b := 0; b < nb; b++ {
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		e := dst[(b*ntok+t)*q6KBatchEntry : (b*ntok+t+1)*q6KBatchEntry]
		copy(e[:QK_K], y[q8KQs:q8KQs+QK_K])
		for s := 0; s < 16; s++ {
			bsum := int32(int16(binary.LittleEndian.Uint16(y[q8KBsums+2*s:])))
			binary.LittleEndian.PutUint32(e[QK_K+4*s:], uint32(-32*bsum))
		}
		copy(e[QK_K+64:], y[0:4])
	}
}

// q4KBatchEntry is one token's prepared Q8_K super-block for Q4_K
// weights: its 256 quants, the sums of its 8 sub-blocks of 32 quants
// (int16, paired as the mins are) and its scale (float32).
const q4KBatchEntry = 256 + 2*8 + 4

// prepBatchQ4K writes the batch entries of token t (of ntok) from its Q8_K
// activation row a.
func prepBatchQ4K(dst, a []byte, nb, t, ntok int) {
	for b := 0; b < nb; b++ {
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		e := dst[(b*ntok+t)*q4KBatchEntry : (b*ntok+t+1)*q4KBatchEntry]
		copy(e[:QK_K], y[q8KQs:q8KQs+QK_K])
		for s := 0; s < 8; s++ {
			sum := int16(binary.LittleEndian.Uint16(y[q8KBsums+4*s:])) + int16(binary.LittleEndian.Uint16(y[q8KBsums+4*s+2:]))
			binary.LittleEndian.PutUint16(e[QK_K+2*s:], uint16(sum))
		}
		copy(e[QK_K+16:], y[0:4])
	}
}
