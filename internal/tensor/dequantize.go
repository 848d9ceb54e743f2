package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Dequantize converts len(dst) elements of type t, stored in src, to float32.
// src must hold exactly RowBytes(len(dst)) bytes. The values are those of
// ggml's dequantize_row_* (the same float operations in the same order).
func Dequantize(t Type, src []byte, dst []float32) error {
	k := kernelsFor(t)
	if k == nil || k.dequantize == nil {
		return fmt.Errorf("Dequantize: type %s is not supported", t)
	}
	if err := checkRow("Dequantize", t, len(dst), len(src)); err != nil {
		return err
	}
	k.dequantize(src, dst)
	return nil
}

// checkRow validates that n elements of t fill exactly nbytes bytes.
func checkRow(op string, t Type, n, nbytes int) error {
	want, err := t.RowBytes(int64(n))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if int64(nbytes) != want {
		return fmt.Errorf("%s: %d elements of %s take %d bytes, got %d", op, n, t, want, nbytes)
	}
	return nil
}

// The dequantize* functions below convert whole blocks: len(dst) is a multiple
// of the block size and src holds exactly those blocks (checked by callers).
// Products that ggml adds to something are rounded explicitly (float32(a*b))
// so that Go never fuses them into an FMA and the results stay bit-exact.

func dequantizeF32(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func dequantizeF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = f16Table[binary.LittleEndian.Uint16(src[2*i:])]
	}
}

func dequantizeBF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func dequantizeQ4_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qk32; b++ {
		blk := src[b*q4_0Bytes : (b+1)*q4_0Bytes]
		y := dst[b*qk32 : (b+1)*qk32]
		d := f16At(blk, 0)
		qs := blk[2:18]
		for j, q := range qs {
			y[j] = float32(int(q&0xf)-8) * d
			y[j+16] = float32(int(q>>4)-8) * d
		}
	}
}

func dequantizeQ4_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qk32; b++ {
		blk := src[b*q4_1Bytes : (b+1)*q4_1Bytes]
		y := dst[b*qk32 : (b+1)*qk32]
		d, m := f16At(blk, 0), f16At(blk, 2)
		qs := blk[4:20]
		for j, q := range qs {
			y[j] = float32(float32(q&0xf)*d) + m
			y[j+16] = float32(float32(q>>4)*d) + m
		}
	}
}

func dequantizeQ5_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qk32; b++ {
		blk := src[b*q5_0Bytes : (b+1)*q5_0Bytes]
		y := dst[b*qk32 : (b+1)*qk32]
		d := f16At(blk, 0)
		qh := binary.LittleEndian.Uint32(blk[2:])
		qs := blk[6:22]
		for j, q := range qs {
			h0 := byte(qh>>j) & 1 << 4
			h1 := byte(qh>>(j+16)) & 1 << 4
			y[j] = float32(int(q&0xf|h0)-16) * d
			y[j+16] = float32(int(q>>4|h1)-16) * d
		}
	}
}

func dequantizeQ5_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qk32; b++ {
		blk := src[b*q5_1Bytes : (b+1)*q5_1Bytes]
		y := dst[b*qk32 : (b+1)*qk32]
		d, m := f16At(blk, 0), f16At(blk, 2)
		qh := binary.LittleEndian.Uint32(blk[4:])
		qs := blk[8:24]
		for j, q := range qs {
			h0 := byte(qh>>j) & 1 << 4
			h1 := byte(qh>>(j+16)) & 1 << 4
			y[j] = float32(float32(q&0xf|h0)*d) + m
			y[j+16] = float32(float32(q>>4|h1)*d) + m
		}
	}
}

func dequantizeQ8_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qk32; b++ {
		blk := src[b*q8_0Bytes : (b+1)*q8_0Bytes]
		y := dst[b*qk32 : (b+1)*qk32]
		d := f16At(blk, 0)
		for j, q := range blk[2:34] {
			y[j] = float32(int8(q)) * d
		}
	}
}

func dequantizeQ8_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/qk32; b++ {
		blk := src[b*q8_1Bytes : (b+1)*q8_1Bytes]
		y := dst[b*qk32 : (b+1)*qk32]
		d := f16At(blk, 0)
		for j, q := range blk[4:36] {
			y[j] = float32(int8(q)) * d
		}
	}
}

func dequantizeQ2K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*q2KBytes : (b+1)*q2KBytes]
		y := dst[b*QK_K : (b+1)*QK_K]
		d, dmin := f16At(blk, q2KD), f16At(blk, q2KD+2)
		scales := blk[:16]
		// Each 32-byte run of qs holds four 32-element groups (2 bits each,
		// group g in bits 2g..2g+1); every 16 elements have their own scale.
		for half := 0; half < 2; half++ {
			qs := blk[q2KQs+32*half : q2KQs+32*half+32]
			for g := 0; g < 4; g++ {
				shift := uint(2 * g)
				for s := 0; s < 2; s++ {
					sc := scales[8*half+2*g+s]
					dl, ml := d*float32(sc&0xf), float32(dmin*float32(sc>>4))
					out := y[128*half+32*g+16*s:]
					for l := 0; l < 16; l++ {
						out[l] = float32(dl*float32((qs[16*s+l]>>shift)&3)) - ml
					}
				}
			}
		}
	}
}

func dequantizeQ3K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*q3KBytes : (b+1)*q3KBytes]
		y := dst[b*QK_K : (b+1)*QK_K]
		d := f16At(blk, q3KD)
		hm := blk[:32]
		sc := scalesQ3K(blk[q3KScales : q3KScales+12])
		// Like Q2_K for the low 2 bits; element i of group g (0..7) has its
		// high bit in bit g of hmask[i%32], and a clear bit means "minus 4".
		for half := 0; half < 2; half++ {
			qs := blk[q3KQs+32*half : q3KQs+32*half+32]
			for g := 0; g < 4; g++ {
				shift := uint(2 * g)
				mask := byte(1) << (4*half + g)
				for s := 0; s < 2; s++ {
					dl := d * float32(sc[8*half+2*g+s])
					out := y[128*half+32*g+16*s:]
					for l := 0; l < 16; l++ {
						q := int((qs[16*s+l] >> shift) & 3)
						if hm[16*s+l]&mask == 0 {
							q -= 4
						}
						out[l] = dl * float32(q)
					}
				}
			}
		}
	}
}

func dequantizeQ4K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*q4KBytes : (b+1)*q4KBytes]
		y := dst[b*QK_K : (b+1)*QK_K]
		d, dmin := f16At(blk, 0), f16At(blk, 2)
		scales := blk[q4KScales : q4KScales+12]
		// Four 32-byte runs of qs; run r holds sub-block 2r in its low nibbles
		// and sub-block 2r+1 in its high nibbles.
		for r := 0; r < 4; r++ {
			qs := blk[q4KQs+32*r : q4KQs+32*r+32]
			sc1, m1 := scaleMinK4(2*r, scales)
			sc2, m2 := scaleMinK4(2*r+1, scales)
			d1, min1 := d*float32(sc1), float32(dmin*float32(m1))
			d2, min2 := d*float32(sc2), float32(dmin*float32(m2))
			lo, hi := y[64*r:64*r+32], y[64*r+32:64*r+64]
			for l, q := range qs {
				lo[l] = float32(d1*float32(q&0xf)) - min1
				hi[l] = float32(d2*float32(q>>4)) - min2
			}
		}
	}
}

func dequantizeQ5K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*q5KBytes : (b+1)*q5KBytes]
		y := dst[b*QK_K : (b+1)*QK_K]
		d, dmin := f16At(blk, 0), f16At(blk, 2)
		scales := blk[q5KScales : q5KScales+12]
		qh := blk[q5KQh : q5KQh+32]
		// As Q4_K, plus a 5th bit: bit 2r of qh[l] for the low nibble of run
		// r, bit 2r+1 for the high nibble.
		for r := 0; r < 4; r++ {
			qs := blk[q5KQs+32*r : q5KQs+32*r+32]
			sc1, m1 := scaleMinK4(2*r, scales)
			sc2, m2 := scaleMinK4(2*r+1, scales)
			d1, min1 := d*float32(sc1), float32(dmin*float32(m1))
			d2, min2 := d*float32(sc2), float32(dmin*float32(m2))
			lo, hi := y[64*r:64*r+32], y[64*r+32:64*r+64]
			for l, q := range qs {
				h := qh[l] >> (2 * r)
				lo[l] = float32(d1*float32(q&0xf|(h&1)<<4)) - min1
				hi[l] = float32(d2*float32(q>>4|(h&2)<<3)) - min2
			}
		}
	}
}

func dequantizeQ6K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*q6KBytes : (b+1)*q6KBytes]
		y := dst[b*QK_K : (b+1)*QK_K]
		d := f16At(blk, q6KD)
		// Two halves of 128 elements; in half h, ql[64h+l] holds elements l
		// (low nibble) and l+64 (high), ql[64h+32+l] elements l+32 and l+96,
		// and qh[32h+l] their top 2 bits at shifts 0, 2, 4, 6 for l, l+32,
		// l+64, l+96. Each 16 elements have an int8 scale.
		for h := 0; h < 2; h++ {
			ql := blk[64*h : 64*h+64]
			qh := blk[q6KQh+32*h : q6KQh+32*h+32]
			sc := blk[q6KScales+8*h : q6KScales+8*h+8]
			out := y[128*h : 128*h+128]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int(ql[l]&0xf|(qh[l]&3)<<4) - 32
				q2 := int(ql[l+32]&0xf|((qh[l]>>2)&3)<<4) - 32
				q3 := int(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
				q4 := int(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
				out[l] = d * float32(int8(sc[is])) * float32(q1)
				out[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				out[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				out[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}

func dequantizeQ8K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK_K; b++ {
		blk := src[b*q8KBytes : (b+1)*q8KBytes]
		y := dst[b*QK_K : (b+1)*QK_K]
		d := f32At(blk, 0)
		for j, q := range blk[q8KQs : q8KQs+QK_K] {
			y[j] = d * float32(int8(q))
		}
	}
}
