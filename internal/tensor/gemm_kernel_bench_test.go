//go:build amd64 && !purego

package tensor

import (
	"testing"
	"unsafe"
)

// BenchmarkTileKernel runs one tile kernel call on L1-resident data: the
// kernel's own speed, without packing, preparation or memory traffic.
func BenchmarkTileKernel(b *testing.B) {
	if !hasVNNI {
		b.Skip("no AVX512-VNNI")
	}
	const cols = 1024
	for _, c := range []struct {
		name string
		sub  int
		k    tileKernelFunc
	}{{"S32", 32, gemm8x8S32}, {"S32Min", 32, gemm8x8S32Min}, {"S16", 16, gemm8x8S16}} {
		b.Run(c.name, func(b *testing.B) {
			nsub := cols / c.sub
			w := make([]byte, tileRows*cols)
			side := make([]uint32, 3*tileRows*nsub)
			act := make([]byte, nsub*packedSubBytes(c.sub))
			out := make([]float32, tileRows*tileTokens)
			for i := 0; i < b.N; i++ {
				c.k(unsafe.Pointer(&w[0]), cols, c.sub, &side[0], unsafe.Pointer(&act[0]), nsub, &out[0])
			}
			b.ReportMetric(2*tileRows*tileTokens*cols*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
