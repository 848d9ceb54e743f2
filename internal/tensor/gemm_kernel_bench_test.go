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
		name   string
		sub    int
		stride int // bytes between a row's sub-blocks
		k      tileKernelFunc
	}{{"S32", 32, 32, gemm8x16S32}, {"S32Min", 32, 32, gemm8x16S32Min}, {"S16", 16, 16, gemm8x16S16}, {"F32", 16, 64, gemm8x16F32}} {
		b.Run(c.name, func(b *testing.B) {
			nsub := cols / c.sub
			w := make([]byte, tileRows*4*cols)
			side := make([]uint32, 3*tileRows*nsub)
			act := make([]byte, nsub*max(packedSubBytes(c.sub), 4*c.sub*tileTokens))
			out := make([]float32, tileRows*tileTokens)
			for i := 0; i < b.N; i++ {
				c.k(unsafe.Pointer(&w[0]), 4*cols, c.stride, &side[0], unsafe.Pointer(&act[0]), nsub, &out[0])
			}
			b.ReportMetric(2*tileRows*tileTokens*cols*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
