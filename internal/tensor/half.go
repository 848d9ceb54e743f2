package tensor

import (
	"fmt"
	"math"
)

// F16ToF32 converts an IEEE 754 binary16 value to float32. The conversion is
// exact, as with the F16C instruction VCVTPH2PS; like that instruction it
// returns a signalling NaN as a quiet one (payload kept).
func F16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0x1f: // inf or NaN
		if mant == 0 {
			return math.Float32frombits(sign | 0x7f800000)
		}
		return math.Float32frombits(sign | 0x7fc00000 | mant<<13)
	case 0: // zero or subnormal (mant * 2^-24)
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		e := uint32(127 - 14) // biased exponent once the leading bit reaches position 10
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// F32ToF16 converts a float32 to binary16 with round-to-nearest-even, bit for
// bit as F16C's VCVTPS2PH with rounding mode 0 (what llama.cpp's x86 CPU
// backend uses): subnormal results are kept, values from 65520 up become inf,
// and a NaN stays NaN with the quiet bit set and its payload truncated.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant == 0 {
			return sign | 0x7c00
		}
		return sign | 0x7e00 | uint16(mant>>13)
	}
	e := exp - 127 // unbiased exponent
	if e >= -14 {
		if e > 15 {
			return sign | 0x7c00
		}
		// Normal f16: keep the top 10 mantissa bits and round on the other 13.
		// A carry out of the mantissa correctly bumps the exponent, up to inf.
		h := uint32(e+15)<<10 | mant>>13
		rem := mant & 0x1fff
		if rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	if exp == 0 {
		return sign // f32 subnormals are far below half the smallest f16 subnormal
	}
	// Subnormal f16: value = m * 2^(e-23) in units of 2^-24 is m >> -(e+1).
	m := mant | 0x800000
	shift := uint32(-(e + 1))
	if shift > 24 {
		return sign
	}
	h := m >> shift
	rem := m & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || rem == half && h&1 == 1 {
		h++
	}
	return sign | uint16(h)
}

// BF16ToF32 converts a bfloat16 value to float32 (exact: bf16 is the top half
// of a float32).
func BF16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// F32ToBF16 converts a float32 to bfloat16 as ggml_compute_fp32_to_bf16 does:
// round to nearest even, subnormals kept, a NaN made quiet (payload
// truncated).
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// F16ToF32Slice converts src to dst element by element; the lengths must match.
func F16ToF32Slice(dst []float32, src []uint16) error {
	if len(dst) != len(src) {
		return fmt.Errorf("F16ToF32Slice: dst has %d elements, src %d", len(dst), len(src))
	}
	f16ToF32Bulk(dst, src)
	return nil
}

// f16ToF32Bulk and f32ToF16Bulk convert slices of equal length; the amd64
// file replaces them with F16C versions that give the same bits.
var (
	f16ToF32Bulk = f16ToF32Go
	f32ToF16Bulk = f32ToF16Go
)

func f16ToF32Go(dst []float32, src []uint16) {
	for i, h := range src {
		dst[i] = f16Table[h]
	}
}

func f32ToF16Go(dst []uint16, src []float32) {
	for i, f := range src {
		dst[i] = F32ToF16(f)
	}
}

// F32ToF16Slice converts src to dst element by element; the lengths must match.
func F32ToF16Slice(dst []uint16, src []float32) error {
	if len(dst) != len(src) {
		return fmt.Errorf("F32ToF16Slice: dst has %d elements, src %d", len(dst), len(src))
	}
	f32ToF16Bulk(dst, src)
	return nil
}

// BF16ToF32Slice converts src to dst element by element; the lengths must match.
func BF16ToF32Slice(dst []float32, src []uint16) error {
	if len(dst) != len(src) {
		return fmt.Errorf("BF16ToF32Slice: dst has %d elements, src %d", len(dst), len(src))
	}
	for i, h := range src {
		dst[i] = BF16ToF32(h)
	}
	return nil
}

// F32ToBF16Slice converts src to dst element by element; the lengths must match.
func F32ToBF16Slice(dst []uint16, src []float32) error {
	if len(dst) != len(src) {
		return fmt.Errorf("F32ToBF16Slice: dst has %d elements, src %d", len(dst), len(src))
	}
	for i, f := range src {
		dst[i] = F32ToBF16(f)
	}
	return nil
}

// f16Table maps every binary16 bit pattern to its float32 value; the block
// scales of every quantized type go through it, as in ggml's CPU backend.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = F16ToF32(uint16(i))
	}
	return &t
}()
