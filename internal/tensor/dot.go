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
