package tensor

import "unsafe"

// DotF32 returns the dot product of a and b[:len(a)] with the fastest f32
// kernel the CPU has. It is for inner loops that have already checked
// their lengths (attention over a KV cache): b must be at least as long as a.
func DotF32(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return kernels[F32].vecDot(len(a), unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 4*len(a)), unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), 4*len(b)))
}

// DotF16 is DotF32 for two rows of f16 bit patterns, products summed in f32.
func DotF16(a, b []uint16) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return kernels[F16].vecDot(len(a), unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 2*len(a)), unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), 2*len(b)))
}

// dotsF32 runs DotsF32 in one kernel call where the CPU has one that
// matches DotF32 bit for bit, and reports whether it did.
var dotsF32 = func(out, a, b []float32, stride int) bool { return false }

// DotsF32 sets out[j] to DotF32(a, b[j·stride:]) for every j < len(out):
// one vector against many rows, bit for bit the same results without a
// call per row. b must hold (len(out)-1)·stride + len(a) floats.
func DotsF32(out, a, b []float32, stride int) {
	if len(out) == 0 {
		return
	}
	if len(a) == 0 {
		clear(out) // DotF32 of nothing
		return
	}
	_ = b[(len(out)-1)*stride+len(a)-1]
	if dotsF32(out, a, b, stride) {
		return
	}
	for j := range out {
		out[j] = DotF32(a, b[j*stride:])
	}
}
