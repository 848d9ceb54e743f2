//go:build amd64 && !purego

package train

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// gemm4x16AVX2 adds a 4x16 tile of a·b to c (strides in floats); see gemm.
//
//go:noescape
func gemm4x16AVX2(k int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		gemmKernel = "avx2fma"
		gemmTile = func(k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int) {
			gemm4x16AVX2(k, unsafe.Pointer(&a[0]), ars, acs, unsafe.Pointer(&b[0]), ldb, unsafe.Pointer(&c[0]), ldc)
		}
	}
}
