package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantize converts src to type t with ggml's reference quantizer
// (quantize_row_*_ref in ggml-quants.c, which is what llama.cpp's quantize
// tool runs when no importance matrix is given), so the bytes match the
// model files llama.cpp writes. dst must hold exactly RowBytes(len(src))
// bytes. Supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K,
// Q3_K, Q4_K, Q5_K, Q6_K, Q8_K. (With an importance matrix llama.cpp runs
// other quantizers, quantize_row_*_impl, which are not implemented here.)
func Quantize(t Type, src []float32, dst []byte) error {
	k := kernelsFor(t)
	if k == nil || k.quantize == nil {
		return fmt.Errorf("Quantize: type %s is not supported", t)
	}
	if err := checkRow("Quantize", t, len(src), len(dst)); err != nil {
		return err
	}
	k.quantize(src, dst)
	return nil
}

// QuantizeActivations converts src to t the way llama.cpp's x86 CPU backend
// (AVX2 and AVX-512 builds) converts the activation operand of a matrix
// multiply before the dot products, for t one of the activation types
// (VecDotType of some weight type): F32, F16, BF16, Q8_0, Q8_1, Q8_K.
//
// For Q8_0 and Q8_1 this differs from Quantize: the SIMD quantize_row_q8_0 /
// q8_1 (and the repacked-weight path's ggml_quantize_mat_q8_0_4x8) scale by
// 127/amax and round half to even, where the reference scales by 1/(amax/127)
// and rounds half away from zero; the two disagree by one step on a few
// elements. For Q8_K the x86 backend uses the reference quantizer itself, and
// F16 uses F16C conversion, which F32ToF16 reproduces.
func QuantizeActivations(t Type, src []float32, dst []byte) error {
	k := kernelsFor(t)
	if k == nil || k.quantizeActivations == nil {
		return fmt.Errorf("QuantizeActivations: %s is not an activation type", t)
	}
	if err := checkRow("QuantizeActivations", t, len(src), len(dst)); err != nil {
		return err
	}
	k.quantizeActivations(src, dst)
	return nil
}

// roundHalfAwayInt8 is C's (int8_t)roundf(v) for the in-range values the
// quantizers produce.
func roundHalfAwayInt8(v float32) int8 {
	return int8(math.Round(float64(v)))
}

// roundEvenSatInt8 is what _mm256_round_ps(v, nearest) followed by
// _mm256_cvtps_epi32 and the saturating packs produce: round half to even,
// clamp to int8, and NaN (the "integer indefinite" 0x80000000) to -128.
func roundEvenSatInt8(v float32) int8 {
	r := math.RoundToEven(float64(v))
	switch {
	case r != r || r <= -128:
		return -128
	case r >= 127:
		return 127
	}
	return int8(r)
}

// truncInt is C's float-to-int conversion (toward zero) for in-range values.
func truncInt(v float32) int { return int(v) }

func quantizeF32(src []float32, dst []byte) {
	for i, f := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(f))
	}
}

func quantizeF16(src []float32, dst []byte) {
	for i, f := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(f))
	}
}

func quantizeBF16(src []float32, dst []byte) {
	for i, f := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(f))
	}
}

// absMax returns max |x| and the first element reaching it.
func absMax(x []float32) (amax, signed float32) {
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, signed = a, v
		}
	}
	return amax, signed
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// minMax returns the smallest and largest element, starting from ±FLT_MAX
// like ggml.
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

func quantizeQ4_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q4_0Bytes : (b+1)*q4_0Bytes]
		// The element of largest magnitude maps to -8 exactly, using the
		// asymmetric range [-8, 7] fully on that side.
		_, vmax := absMax(x)
		d := vmax / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(y, 0, d)
		for j := 0; j < 16; j++ {
			q0 := min(15, truncInt(float32(x[j]*id)+8.5))
			q1 := min(15, truncInt(float32(x[j+16]*id)+8.5))
			y[2+j] = byte(q0) | byte(q1)<<4
		}
	}
}

func quantizeQ4_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q4_1Bytes : (b+1)*q4_1Bytes]
		vmin, vmax := minMax(x)
		d := (vmax - vmin) / 15
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(y, 0, d)
		putF16(y, 2, vmin)
		for j := 0; j < 16; j++ {
			q0 := min(15, truncInt(float32((x[j]-vmin)*id)+0.5))
			q1 := min(15, truncInt(float32((x[j+16]-vmin)*id)+0.5))
			y[4+j] = byte(q0) | byte(q1)<<4
		}
	}
}

func quantizeQ5_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q5_0Bytes : (b+1)*q5_0Bytes]
		_, vmax := absMax(x)
		d := vmax / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(y, 0, d)
		var qh uint32
		for j := 0; j < 16; j++ {
			q0 := uint32(min(31, truncInt(float32(x[j]*id)+16.5)))
			q1 := uint32(min(31, truncInt(float32(x[j+16]*id)+16.5)))
			y[6+j] = byte(q0&0xf | (q1&0xf)<<4)
			qh |= (q0 >> 4 & 1) << j
			qh |= (q1 >> 4 & 1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(y[2:], qh)
	}
}

func quantizeQ5_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q5_1Bytes : (b+1)*q5_1Bytes]
		vmin, vmax := minMax(x)
		d := (vmax - vmin) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(y, 0, d)
		putF16(y, 2, vmin)
		var qh uint32
		for j := 0; j < 16; j++ {
			// ggml does not clamp here: (x-min)/d+0.5 stays below 32.
			q0 := uint32(uint8(truncInt(float32((x[j]-vmin)*id) + 0.5)))
			q1 := uint32(uint8(truncInt(float32((x[j+16]-vmin)*id) + 0.5)))
			y[8+j] = byte(q0&0xf | (q1&0xf)<<4)
			qh |= (q0 >> 4 & 1) << j
			qh |= (q1 >> 4 & 1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(y[4:], qh)
	}
}

func quantizeQ8_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q8_0Bytes : (b+1)*q8_0Bytes]
		amax, _ := absMax(x)
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(y, 0, d)
		for j, v := range x {
			y[2+j] = byte(roundHalfAwayInt8(v * id))
		}
	}
}

func quantizeQ8_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q8_1Bytes : (b+1)*q8_1Bytes]
		amax, _ := absMax(x)
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(y, 0, d)
		sum := 0
		for j, v := range x {
			q := roundHalfAwayInt8(v * id)
			y[4+j] = byte(q)
			sum += int(q)
		}
		putF16(y, 2, float32(sum)*d)
	}
}

func quantizeQ8_0Activations(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q8_0Bytes : (b+1)*q8_0Bytes]
		amax, _ := absMax(x)
		putF16(y, 0, amax/127)
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		for j, v := range x {
			y[2+j] = byte(roundEvenSatInt8(v * id))
		}
	}
}

func quantizeQ8_1Activations(src []float32, dst []byte) {
	for b := 0; b < len(src)/qk32; b++ {
		x := src[b*qk32 : (b+1)*qk32]
		y := dst[b*q8_1Bytes : (b+1)*q8_1Bytes]
		amax, _ := absMax(x)
		d := amax / 127
		putF16(y, 0, d)
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		sum := 0
		for j, v := range x {
			q := roundEvenSatInt8(v * id)
			y[4+j] = byte(q)
			sum += int(q)
		}
		putF16(y, 2, d*float32(sum))
	}
}

// quantizeQ8K is quantize_row_q8_K_ref, which x86 also uses for activations.
// The element of largest magnitude maps to -127 (so d is negative when it is
// positive); bsums hold the sums of each 16 quants for the K-quant min terms.
func quantizeQ8K(src []float32, dst []byte) {
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : (b+1)*QK_K]
		y := dst[b*q8KBytes : (b+1)*q8KBytes]
		amax, vmax := absMax(x)
		if amax == 0 {
			clear(y)
			continue
		}
		iscale := -127 / vmax
		qs := y[q8KQs : q8KQs+QK_K]
		for j, v := range x {
			qs[j] = byte(int8(min(127, nearestInt(iscale*v))))
		}
		for j := 0; j < QK_K/16; j++ {
			sum := 0
			for _, q := range qs[16*j : 16*j+16] {
				sum += int(int8(q))
			}
			binary.LittleEndian.PutUint16(y[q8KBsums+2*j:], uint16(int16(sum)))
		}
		putF32(y, 0, 1/iscale)
	}
}

// nearestInt is ggml's nearest_int: round half to even through the float
// adder (valid for |v| < 2^22, which the quantizers guarantee).
func nearestInt(v float32) int {
	// The explicit conversion keeps Go from fusing a caller's multiply
	// into this add.
	f := float32(v) + 12582912
	return int(math.Float32bits(f)&0x7fffff) - 0x400000
}
