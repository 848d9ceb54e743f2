//go:build amd64 && !purego

package tensor

import (
	"fmt"
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

// BenchmarkBatchKernel runs the batched-decode kernels on one L1-resident
// pair of groups of 8 interleaved rows of 1024 elements, for 1 token up to
// the most a call takes (and Q8_0's interleave of 8 rows in the file
// layout): the kernels' own speed, without memory traffic.
func BenchmarkBatchKernel(b *testing.B) {
	const cols = 1024
	for _, typ := range []Type{Q8_0, Q4_0, Q4_K, Q6_K} {
		bk := batchKernels[typ]
		if bk == nil {
			continue
		}
		nb := cols / typ.BlockSize()
		w := make([]byte, 2*nb*bk.blockBytes)
		for nt := 1; nt <= bk.maxTokens; nt++ {
			b.Run(fmt.Sprintf("%s/T=%d", typ, nt), func(b *testing.B) {
				act := make([]byte, nb*nt*bk.entryBytes)
				out := make([]float32, 16*nt)
				for b.Loop() {
					bk.dot16[nt](unsafe.Pointer(&w[0]), nb*bk.blockBytes, unsafe.Pointer(&act[0]), nt*bk.entryBytes, nb, &out[0], 64, 1)
				}
				b.ReportMetric(2*16*cols*float64(nt)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
	b.Run("Q8_0/interleave", func(b *testing.B) {
		bk := batchKernels[Q8_0]
		if bk == nil {
			b.Skip("no batched-decode kernels")
		}
		nb := cols / qk32
		w := make([]byte, nb*bk.blockBytes)
		src := make([]byte, 8*nb*q8_0Bytes)
		for b.Loop() {
			bk.interleave(w, src, nb*q8_0Bytes, nb)
		}
		b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}
