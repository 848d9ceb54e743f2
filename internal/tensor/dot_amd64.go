//go:build amd64 && !purego

package tensor

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX2 kernels take whole blocks: n elements for F32/F16 (a multiple of
// 8; the wrappers finish the tail) and nb blocks for the quantized types.
// Pointers are to the first byte of each row.

//go:noescape
func dotF16AVX2(w, a unsafe.Pointer, n int) float32

//go:noescape
func dotQ8_0AVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotQ4_0AVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotQ4_1AVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotQ5_0AVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotQ5_1AVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotQ5KAVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotBF16AVX2(w, a unsafe.Pointer, n int) float32

//go:noescape
func dotQ4KAVX2(w, a unsafe.Pointer, nb int) float32

//go:noescape
func dotQ6KAVX2(w, a unsafe.Pointer, nb int) float32

// rowsKernel is the signature of the kernels that take a block of rows:
// nrows rows of nb blocks, rowB bytes apart, one result per row at dst.
type rowsKernel func(w unsafe.Pointer, rowB int, a unsafe.Pointer, nb int, dst *float32, nrows int)

//go:noescape
func dotQ4KRowsVNNI(w unsafe.Pointer, rowB int, a unsafe.Pointer, nb int, dst *float32, nrows int)

//go:noescape
func dotQ6KRowsVNNI(w unsafe.Pointer, rowB int, a unsafe.Pointer, nb int, dst *float32, nrows int)

//go:noescape
func quantizeQ8_0AVX2(dst *byte, src *float32, nb int)

//go:noescape
func quantizeQ8KAVX2(dst *byte, src *float32, nb int)

//go:noescape
func f16ToF32F16C(dst *float32, src *uint16, n int)

//go:noescape
func f32ToF16F16C(dst *uint16, src *float32, n int)

// hasAVX2 reports whether the assembly kernels may run: AVX2 for the
// integer dot products, FMA for accumulation and F16C for the f16 scales.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

func init() {
	if !hasAVX2 {
		return
	}
	kernelSet = "avx2"
	if hasVNNI {
		kernelSet = "avx2+avx512-vnni"
	}
	f16ToF32Bulk = f16ToF32AVX
	f32ToF16Bulk = f32ToF16AVX
	kernels[F32].vecDot = dotF32F32AVX2
	dotsF32 = dotsF32Asm
	kernels[F16].vecDot = dotF16F16AVX2
	kernels[Q8_0].vecDot = dotQ8_0Q8_0AVX2
	kernels[Q8_0].vecDotRows = q8_0RowsAVX2
	kernels[Q4_0].vecDot = dotQ4_0Q8_0AVX2
	kernels[Q4_1].vecDot = blockDot(dotQ4_1AVX2, qk32)
	kernels[Q5_0].vecDot = blockDot(dotQ5_0AVX2, qk32)
	kernels[Q5_1].vecDot = blockDot(dotQ5_1AVX2, qk32)
	kernels[Q5_K].vecDot = blockDot(dotQ5KAVX2, QK_K)
	kernels[BF16].vecDot = dotBF16BF16AVX2
	kernels[Q4_K].vecDot = dotQ4KQ8KAVX2
	kernels[Q6_K].vecDot = dotQ6KQ8KAVX2
	kernels[Q8_0].quantizeActivations = quantizeQ8_0ActivationsAVX2
	kernels[Q8_K].quantizeActivations = quantizeQ8KAVX2Row
	if hasVNNI {
		kernels[Q4_K].vecDotRows = rowsVecDot(dotQ4KRowsVNNI, QK_K, q4KBytes, q8KBytes)
		kernels[Q6_K].vecDotRows = rowsVecDot(dotQ6KRowsVNNI, QK_K, q6KBytes, q8KBytes)
	}
}

// blockDot wraps a kernel over whole blocks of block elements.
func blockDot(k func(w, a unsafe.Pointer, nb int) float32, block int) vecDotFunc {
	return func(n int, w, a []byte) float32 {
		if n < block {
			return 0
		}
		return k(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), n/block)
	}
}

// dotBF16BF16AVX2 runs 16 elements at a time in assembly, the tail in Go.
func dotBF16BF16AVX2(n int, w, a []byte) float32 {
	body := n &^ 15
	var s float32
	if body > 0 {
		s = dotBF16AVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), body)
	}
	if body < n {
		s += dotBF16BF16(n-body, w[2*body:], a[2*body:])
	}
	return s
}

// rowsVecDot wraps a rows kernel for blocks of block elements, wb weight
// bytes and ab activation bytes, checking the slices' bounds once per call.
func rowsVecDot(k rowsKernel, block, wb, ab int) vecDotRowsFunc {
	return func(n int, w []byte, rowB int, a []byte, dst []float32) {
		nb := n / block
		if len(dst) == 0 {
			return
		}
		if nb == 0 {
			clear(dst)
			return
		}
		_ = w[(len(dst)-1)*rowB+nb*wb-1]
		_ = a[nb*ab-1]
		k(unsafe.Pointer(&w[0]), rowB, unsafe.Pointer(&a[0]), nb, &dst[0], len(dst))
	}
}

func quantizeQ8KAVX2Row(src []float32, dst []byte) {
	if len(src) < QK_K {
		return
	}
	quantizeQ8KAVX2(&dst[0], &src[0], len(src)/QK_K)
}

func quantizeQ8_0ActivationsAVX2(src []float32, dst []byte) {
	if len(src) < qk32 {
		return
	}
	quantizeQ8_0AVX2(&dst[0], &src[0], len(src)/qk32)
}

//go:noescape
func dotsF32AVX2(a, b unsafe.Pointer, n, stride, rows int, out unsafe.Pointer)

// dotsF32Asm is DotsF32's kernel where DotF32 runs dotsF32AVX2 alone (a
// whole number of 8-float vectors); it reports whether it ran.
func dotsF32Asm(out, a, b []float32, stride int) bool {
	if len(a)%8 != 0 {
		return false
	}
	dotsF32AVX2(unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), len(a), stride, len(out), unsafe.Pointer(&out[0]))
	return true
}

func dotF32F32AVX2(n int, w, a []byte) float32 {
	body := n &^ 7
	var s float32
	if body > 0 {
		dotsF32AVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), body, 0, 1, unsafe.Pointer(&s))
	}
	if body < n {
		s += dotF32F32(n-body, w[4*body:], a[4*body:])
	}
	return s
}

func dotF16F16AVX2(n int, w, a []byte) float32 {
	body := n &^ 7
	var s float32
	if body > 0 {
		s = dotF16AVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), body)
	}
	if body < n {
		s += dotF16F16(n-body, w[2*body:], a[2*body:])
	}
	return s
}

func dotQ8_0Q8_0AVX2(n int, w, a []byte) float32 {
	if n < qk32 {
		return 0
	}
	return dotQ8_0AVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), n/qk32)
}

func dotQ4_0Q8_0AVX2(n int, w, a []byte) float32 {
	if n < qk32 {
		return 0
	}
	return dotQ4_0AVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), n/qk32)
}

func dotQ4KQ8KAVX2(n int, w, a []byte) float32 {
	if n < QK_K {
		return 0
	}
	return dotQ4KAVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), n/QK_K)
}

func dotQ6KQ8KAVX2(n int, w, a []byte) float32 {
	if n < QK_K {
		return 0
	}
	return dotQ6KAVX2(unsafe.Pointer(&w[0]), unsafe.Pointer(&a[0]), n/QK_K)
}

// f16ToF32AVX converts 8 values per instruction and the tail in Go.
func f16ToF32AVX(dst []float32, src []uint16) {
	body := len(src) &^ 7
	if body > 0 {
		f16ToF32F16C(&dst[0], &src[0], body)
	}
	f16ToF32Go(dst[body:], src[body:])
}

// f32ToF16AVX rounds to nearest even (VCVTPS2PH mode 0), bit for bit as
// F32ToF16.
func f32ToF16AVX(dst []uint16, src []float32) {
	body := len(src) &^ 7
	if body > 0 {
		f32ToF16F16C(&dst[0], &src[0], body)
	}
	f32ToF16Go(dst[body:], src[body:])
}
