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
		interleave: interleaveQ8_0X8Go, minTokensFile: 3,
	}
	batchKernels[Q4_0] = &batchKernel{
		blockBytes: 8 * q4_0Bytes, entryBytes: batchEntryBytes, prep: prepBatchQ4_0,
		dot16: [...]batchDotFunc{nil, dotQ4_0X16T1, dotQ4_0X16T2, dotQ4_0X16T3, dotQ4_0X16T4,
			dotQ4_0X16T5, dotQ4_0X16T6, dotQ4_0X16T7, dotQ4_0X16T8},
		dot8: [...]batchDotFunc{nil, dotQ4_0X8T1, dotQ4_0X8T2, dotQ4_0X8T3, dotQ4_0X8T4,
			dotQ4_0X8T5, dotQ4_0X8T6, dotQ4_0X8T7, dotQ4_0X8T8},
		interleave: interleaveQ4_0X8Go, minTokensFile: 3,
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
