//go:build amd64 && !purego

package tensor

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func gemm8x16S32(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

//go:noescape
func gemm8x16S32Min(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

//go:noescape
func q8_0RowSide(side *uint32, w *byte, nb int)

//go:noescape
func q4KRowUnpack(quants *byte, side *uint32, w *byte, nb int)

//go:noescape
func q6KRowUnpack(quants *byte, side *uint32, w *byte, nb int)

//go:noescape
func gemm8x16F32(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

//go:noescape
func storeTileT(dst *float32, rowStride int, out *float32, nt int)

//go:noescape
func gemm8x16S16(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

// hasVNNI reports whether the tile kernels may run: VPDPBUSD on 256-bit
// vectors (AVX512-VNNI with AVX512VL), which also gives them 32 vector
// registers. Without it prefill uses the per-row kernels.
var hasVNNI = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

func init() {
	if !hasVNNI {
		return
	}
	// minTokens from BenchmarkPrefill-style runs at 2048×2048: the float
	// kernel (a quarter of the integer kernels' multiply rate) wins from 8
	// tokens, the K-quants (which decode their weights) from 10 (Q4_K) and
	// 11 (Q6_K) (process CPU time, 2048×2048 and 8192×2048, weights from
	// DRAM: at 8 tokens the per-row kernels took 0.82-0.86x the tiles'
	// time, at 10 0.95-1.03x, at 12 1.03-1.18x). Q8_0 and Q4_0 have
	// batched-decode kernels (batch.go), which packed weights take at every
	// batch size (they measured faster than the tiles everywhere) and
	// weights in the file layout, interleaved on the fly, below the tiles'
	// minTokens: Q8_0 from 12 tokens, where its full 16-token tiles
	// overtake them (wall time, weights from DRAM: the batched kernels
	// 1.19-1.28x faster at 8 tokens, 0.87-0.90x at 16); Q4_0, whose tiles
	// prepare their weights in Go, has none (the batched kernels took
	// 0.23-0.85x their time from 2 to 1024 tokens). Packed K-quants take
	// their batched kernels too (0.77-0.92x the tiles' time from 64 to 512
	// tokens, process CPU time): the tiles serve the file layout only.
	quant := func(sub, minTokens int, hasMin bool, k tileKernelFunc, prep func(*tilePrep, []byte, int, int, int)) *tiledKernel {
		return &tiledKernel{sub: sub, subBytes: packedSubBytes(sub), minTokens: minTokens, hasMin: hasMin,
			kernel: k, pack: packActs, store: storeTileT, prep: prep}
	}
	tiledKernels[Q8_0] = quant(32, 12, false, gemm8x16S32, prepQ8_0)
	tiledKernels[Q4_K] = quant(32, 10, true, gemm8x16S32Min, prepQ4K)
	tiledKernels[Q6_K] = quant(16, 11, false, gemm8x16S16, prepQ6K)
	float := func(prep func(*tilePrep, []byte, int, int, int)) *tiledKernel {
		return &tiledKernel{sub: 16, subBytes: 16 * tileTokens * 4, minTokens: 8,
			kernel: gemm8x16F32, pack: packActsF32, store: storeTileT, prep: prep}
	}
	tiledKernels[F32] = float(prepF32)
	tiledKernels[F16] = float(prepF16)
}

// prepQ8_0 reads the quants in place (after each block's f16 scale).
func prepQ8_0(p *tilePrep, w []byte, rowB, c0, c1 int) {
	b0 := c0 / qk32
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&w[b0*q8_0Bytes+2]), rowB, q8_0Bytes
	nb := c1/qk32 - b0
	_ = p.side[3*tileRows*nb-1]
	_ = w[(tileRows-1)*rowB+(b0+nb)*q8_0Bytes-1]
	for i := 0; i < tileRows; i++ {
		q8_0RowSide(&p.side[i], &w[i*rowB+b0*q8_0Bytes], nb)
	}
}

// prepQ4K unpacks the nibbles (unsigned, 0..15) and their sums in
// assembly; each 32-element sub-block gets dw = d*scale and mw = dmin*min.
func prepQ4K(p *tilePrep, w []byte, rowB, c0, c1 int) {
	n, b0, nb := c1-c0, c0/QK_K, (c1-c0)/QK_K
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&p.quants[0]), n, 32
	_ = p.side[3*tileRows*8*nb-1]
	_ = w[(tileRows-1)*rowB+(b0+nb)*q4KBytes-1]
	for i := 0; i < tileRows; i++ {
		row := w[i*rowB:]
		q4KRowUnpack(&p.quants[i*n], &p.side[i], &row[b0*q4KBytes], nb)
		for b := 0; b < nb; b++ {
			blk := row[(b0+b)*q4KBytes : (b0+b+1)*q4KBytes]
			d, dmin := f16At(blk, 0), f16At(blk, 2)
			scales := blk[q4KScales : q4KScales+12]
			for j := 0; j < 8; j++ {
				sc, m := scaleMinK4(j, scales)
				p.setScales(8*b+j, i, d*float32(sc), dmin*float32(m))
			}
		}
	}
}

// prepQ6K unpacks the 6-bit quants to signed q-32 and their sums in
// assembly; each 16-element sub-block gets dw = d*scale.
func prepQ6K(p *tilePrep, w []byte, rowB, c0, c1 int) {
	n, b0, nb := c1-c0, c0/QK_K, (c1-c0)/QK_K
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&p.quants[0]), n, 16
	_ = p.side[3*tileRows*16*nb-1]
	_ = w[(tileRows-1)*rowB+(b0+nb)*q6KBytes-1]
	for i := 0; i < tileRows; i++ {
		row := w[i*rowB:]
		q6KRowUnpack(&p.quants[i*n], &p.side[i], &row[b0*q6KBytes], nb)
		for b := 0; b < nb; b++ {
			blk := row[(b0+b)*q6KBytes : (b0+b+1)*q6KBytes]
			d := f16At(blk, q6KD)
			for s, sc := range blk[q6KScales : q6KScales+16] {
				p.setScales(16*b+s, i, d*float32(int8(sc)), 0)
			}
		}
	}
}

// prepF32 reads the weights in place.
func prepF32(p *tilePrep, w []byte, rowB, c0, c1 int) {
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&w[4*c0]), rowB, 64
}

// prepF16 widens the weights to float32 (exactly) with F16C.
func prepF16(p *tilePrep, w []byte, rowB, c0, c1 int) {
	n := c1 - c0
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&p.quants[0]), 4*n, 64
	dst := unsafe.Slice((*float32)(unsafe.Pointer(&p.quants[0])), tileRows*n)
	for i := 0; i < tileRows; i++ {
		src := unsafe.Slice((*uint16)(unsafe.Pointer(&w[i*rowB+2*c0])), n)
		f16ToF32AVX(dst[i*n:(i+1)*n], src)
	}
}
