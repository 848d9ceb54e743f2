//go:build amd64 && !purego

package tensor

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func gemm8x8S32(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

//go:noescape
func gemm8x8S32Min(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

//go:noescape
func q8_0RowSide(side *uint32, w *byte, nb int)

//go:noescape
func gemm8x8S16(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

// hasVNNI reports whether the tile kernels may run: VPDPBUSD on 256-bit
// vectors (AVX512-VNNI with AVX512VL), which also gives them 32 vector
// registers. Without it prefill uses the per-row kernels.
var hasVNNI = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI

func init() {
	if !hasVNNI {
		return
	}
	tiledKernels[Q8_0] = &tiledKernel{sub: 32, kernel: gemm8x8S32, prep: prepQ8_0}
	tiledKernels[Q4_0] = &tiledKernel{sub: 32, kernel: gemm8x8S32, prep: prepQ4_0}
	tiledKernels[Q4_K] = &tiledKernel{sub: 32, hasMin: true, kernel: gemm8x8S32Min, prep: prepQ4K}
	tiledKernels[Q6_K] = &tiledKernel{sub: 16, kernel: gemm8x8S16, prep: prepQ6K}
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

// prepQ4_0 decodes the nibbles to signed q-8, so the integer block sums are
// the reference's.
func prepQ4_0(p *tilePrep, w []byte, rowB, c0, c1 int) {
	n, b0 := c1-c0, c0/qk32
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&p.quants[0]), n, qk32
	const eights = 0x7878787878787878 // n+120 then flip bit 7: n-8 as int8
	for i := 0; i < tileRows; i++ {
		row := w[i*rowB:]
		out := p.quants[i*n : (i+1)*n]
		for b := b0; b < c1/qk32; b++ {
			blk := row[b*q4_0Bytes : (b+1)*q4_0Bytes]
			o := out[(b-b0)*qk32 : (b-b0+1)*qk32]
			var sum int32
			for h := 0; h < 2; h++ {
				v := binary.LittleEndian.Uint64(blk[2+8*h:])
				lo, hi := v&lowNibbles, (v>>4)&lowNibbles
				sum += sumBytes(lo) + sumBytes(hi)
				binary.LittleEndian.PutUint64(o[8*h:], (lo+eights)^highBits)
				binary.LittleEndian.PutUint64(o[16+8*h:], (hi+eights)^highBits)
			}
			p.setSide(b-b0, i, f16At(blk, 0), 0, 128*(sum-8*qk32))
		}
	}
}

// prepQ4K decodes the nibbles (unsigned, 0..15); each 32-element sub-block
// gets dw = d*scale and mw = dmin*min.
func prepQ4K(p *tilePrep, w []byte, rowB, c0, c1 int) {
	n, b0 := c1-c0, c0/QK_K
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&p.quants[0]), n, 32
	for i := 0; i < tileRows; i++ {
		row := w[i*rowB:]
		out := p.quants[i*n : (i+1)*n]
		for b := b0; b < c1/QK_K; b++ {
			blk := row[b*q4KBytes : (b+1)*q4KBytes]
			d, dmin := f16At(blk, 0), f16At(blk, 2)
			scales := blk[q4KScales : q4KScales+12]
			for r := 0; r < 4; r++ {
				qs := blk[q4KQs+32*r : q4KQs+32*r+32]
				o := out[(b-b0)*QK_K+64*r : (b-b0)*QK_K+64*r+64]
				var sumLo, sumHi int32
				for k := 0; k < 32; k += 8 {
					v := binary.LittleEndian.Uint64(qs[k:])
					lo, hi := v&lowNibbles, (v>>4)&lowNibbles
					sumLo += int32((lo * byteOnes) >> 56)
					sumHi += int32((hi * byteOnes) >> 56)
					binary.LittleEndian.PutUint64(o[k:], lo)
					binary.LittleEndian.PutUint64(o[32+k:], hi)
				}
				sc1, m1 := scaleMinK4(2*r, scales)
				sc2, m2 := scaleMinK4(2*r+1, scales)
				p.setSide(8*(b-b0)+2*r, i, d*float32(sc1), dmin*float32(m1), 128*sumLo)
				p.setSide(8*(b-b0)+2*r+1, i, d*float32(sc2), dmin*float32(m2), 128*sumHi)
			}
		}
	}
}

// prepQ6K decodes the 6-bit quants to signed q-32; each 16-element
// sub-block gets dw = d*scale.
func prepQ6K(p *tilePrep, w []byte, rowB, c0, c1 int) {
	n, b0 := c1-c0, c0/QK_K
	p.w, p.rowStride, p.subStride = unsafe.Pointer(&p.quants[0]), n, 16
	const (
		twoBits  = 0x0303030303030303
		thirtyTw = 0x6060606060606060 // q+96 then flip bit 7: q-32 as int8
	)
	for i := 0; i < tileRows; i++ {
		row := w[i*rowB:]
		out := p.quants[i*n : (i+1)*n]
		for b := b0; b < c1/QK_K; b++ {
			blk := row[b*q6KBytes : (b+1)*q6KBytes]
			d := f16At(blk, q6KD)
			var sums [16]int32
			for h := 0; h < 2; h++ {
				ql := blk[64*h : 64*h+64]
				qh := blk[q6KQh+32*h : q6KQh+32*h+32]
				o := out[(b-b0)*QK_K+128*h : (b-b0)*QK_K+128*h+128]
				for l := 0; l < 32; l += 8 {
					l1 := binary.LittleEndian.Uint64(ql[l:])
					l2 := binary.LittleEndian.Uint64(ql[32+l:])
					hb := binary.LittleEndian.Uint64(qh[l:])
					q := [4]uint64{
						l1&lowNibbles | (hb&twoBits)<<4,
						l2&lowNibbles | ((hb>>2)&twoBits)<<4,
						(l1>>4)&lowNibbles | ((hb>>4)&twoBits)<<4,
						(l2>>4)&lowNibbles | ((hb>>6)&twoBits)<<4,
					}
					for k, v := range q {
						binary.LittleEndian.PutUint64(o[32*k+l:], (v+thirtyTw)^highBits)
						sums[8*h+2*k+l/16] += sumBytes(v) - 8*32
					}
				}
			}
			for s, sum := range sums {
				sc := int8(blk[q6KScales+s])
				p.setSide(16*(b-b0)+s, i, d*float32(sc), 0, 128*sum)
			}
		}
	}
}
