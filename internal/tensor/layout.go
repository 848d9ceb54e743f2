package tensor

import (
	"encoding/binary"
	"math"
)

// Byte layouts of the quantized blocks (ggml-common.h). All multi-byte fields
// are little-endian; f16 fields are IEEE binary16.
//
//	Q4_0  d:f16 | qs[16]: element j in the low nibble of qs[j], j+16 in the high one; value (q-8)*d
//	Q4_1  d:f16 m:f16 | qs[16] as Q4_0; value q*d + m
//	Q5_0  d:f16 | qh:u32 (bit j = 5th bit of element j) | qs[16] as Q4_0; value (q-16)*d
//	Q5_1  d:f16 m:f16 | qh:u32 | qs[16]; value q*d + m
//	Q8_0  d:f16 | qs[32] int8; value q*d
//	Q8_1  d:f16 s:f16 (= d*sum(qs)) | qs[32] int8; value q*d
//	Q2_K  scales[16] (low nibble scale, high nibble min) | qs[64] | d:f16 dmin:f16
//	Q3_K  hmask[32] | qs[64] | scales[12] (16 6-bit signed scales, +32) | d:f16
//	Q4_K  d:f16 dmin:f16 | scales[12] (8 6-bit scales and 8 6-bit mins) | qs[128]
//	Q5_K  d:f16 dmin:f16 | scales[12] | qh[32] | qs[128]
//	Q6_K  ql[128] | qh[64] | scales[16] int8 | d:f16
//	Q8_K  d:f32 | qs[256] int8 | bsums[16] int16 (sums of 16 consecutive qs)
const (
	qk32 = 32 // elements per block of the 32-element types

	q4_0Bytes = 18
	q4_1Bytes = 20
	q5_0Bytes = 22
	q5_1Bytes = 24
	q8_0Bytes = 34
	q8_1Bytes = 36

	q2KBytes = 84
	q3KBytes = 110
	q4KBytes = 144
	q5KBytes = 176
	q6KBytes = 210
	q8KBytes = 292

	// Offsets inside the K-quant super-blocks.
	q2KQs     = 16
	q2KD      = 80
	q3KQs     = 32
	q3KScales = 96
	q3KD      = 108
	q4KScales = 4
	q4KQs     = 16
	q5KScales = 4
	q5KQh     = 16
	q5KQs     = 48
	q6KQh     = 128
	q6KScales = 192
	q6KD      = 208
	q8KQs     = 4
	q8KBsums  = 260
)

// f16At reads the f16 at b[off:] as float32.
func f16At(b []byte, off int) float32 {
	return f16Table[binary.LittleEndian.Uint16(b[off:])]
}

func putF16(b []byte, off int, f float32) {
	binary.LittleEndian.PutUint16(b[off:], F32ToF16(f))
}

func f32At(b []byte, off int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
}

func putF32(b []byte, off int, f float32) {
	binary.LittleEndian.PutUint32(b[off:], math.Float32bits(f))
}

// scaleMinK4 unpacks the j-th (0..7) 6-bit scale and min of a Q4_K/Q5_K
// super-block from its 12 scale bytes: entries 0-3 sit in the low 6 bits of
// bytes 0-3 (scales) and 4-7 (mins); entries 4-7 take their low 4 bits from the
// nibbles of bytes 8-11 and their top 2 bits from the spare top bits of bytes
// 0-3 (scales) and 4-7 (mins).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// putScaleMinK4 is the inverse of scaleMinK4 for one entry; q must start
// zeroed for entries 4-7, whose top bits are or-ed in.
func putScaleMinK4(j int, q []byte, sc, m uint8) {
	if j < 4 {
		q[j] = sc
		q[j+4] = m
		return
	}
	q[j+4] = sc&0xf | (m&0xf)<<4
	q[j-4] |= (sc >> 4) << 6
	q[j] |= (m >> 4) << 6
}

// scalesQ3K unpacks the 16 signed 6-bit scales of a Q3_K super-block: the low
// 4 bits of scale j are nibble j%8 of bytes 0-7 (low nibble for j < 8), and the
// top 2 bits are bits 2*(j/4) of byte 8 + j%4. They are stored offset by 32.
func scalesQ3K(q []byte) [16]int8 {
	var s [16]int8
	for j := 0; j < 16; j++ {
		var lo uint8
		if j < 8 {
			lo = q[j] & 0xf
		} else {
			lo = q[j-8] >> 4
		}
		hi := (q[8+j%4] >> (2 * (j / 4))) & 3
		s[j] = int8(lo|hi<<4) - 32
	}
	return s
}
