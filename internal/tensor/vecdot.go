package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// VecDotType is the type llama.cpp's CPU backend converts activations to
// before multiplying them with weights of type t (type_traits_cpu
// vec_dot_type): F32, F16 and BF16 pair with themselves, Q4_0, Q5_0 and Q8_0
// with Q8_0, Q4_1 and Q5_1 with Q8_1, and the K-quants with Q8_K. For a type
// without a dot product (see HasVecDot) it returns t itself.
func VecDotType(t Type) Type {
	if !HasVecDot(t) {
		return t
	}
	return kernels[t].vecDotType
}

// HasVecDot reports whether weights of type t can be multiplied here (VecDot,
// MatMul).
func HasVecDot(t Type) bool {
	k := kernelsFor(t)
	return k != nil && k.vecDot != nil
}

// VecDot returns the dot product of n elements of the weight row w (type t)
// with the activation row a, already converted to VecDotType(t) (with
// QuantizeActivations to match llama.cpp). w and a must hold exactly n
// elements each.
//
// The arithmetic is ggml's: inside each block the products of the integer
// quants are summed exactly in integers (the K-quants' min terms through
// Q8_K's bsums, Q4_1/Q5_1's through Q8_1's s = d*sum), and the block scales
// are applied in float32. F32, F16 and BF16 products are formed in float32
// and summed in float64, as in ggml's scalar path.
func VecDot(t Type, n int, w, a []byte) (float32, error) {
	k := kernelsFor(t)
	if k == nil || k.vecDot == nil {
		return 0, fmt.Errorf("VecDot: type %s has no dot product", t)
	}
	if err := checkRow("VecDot weights", t, n, len(w)); err != nil {
		return 0, err
	}
	if err := checkRow("VecDot activations", k.vecDotType, n, len(a)); err != nil {
		return 0, err
	}
	return k.vecDot(n, w, a), nil
}

// The dot kernels below take validated input: w and a hold exactly n
// elements of their types. Where ggml adds a product to an accumulator the
// product is rounded explicitly (float32(a*b)) so Go never fuses it into an
// FMA: the reference is the same on every architecture.

func dotF32F32(n int, w, a []byte) float32 {
	var sum float64
	for i := 0; i < n; i++ {
		x := math.Float32frombits(binary.LittleEndian.Uint32(w[4*i:]))
		y := math.Float32frombits(binary.LittleEndian.Uint32(a[4*i:]))
		sum += float64(x * y)
	}
	return float32(sum)
}

func dotF16F16(n int, w, a []byte) float32 {
	var sum float64
	for i := 0; i < n; i++ {
		x := f16Table[binary.LittleEndian.Uint16(w[2*i:])]
		y := f16Table[binary.LittleEndian.Uint16(a[2*i:])]
		sum += float64(x * y) // exact: f16 products fit a float32
	}
	return float32(sum)
}

func dotBF16BF16(n int, w, a []byte) float32 {
	var sum float64
	for i := 0; i < n; i++ {
		x := BF16ToF32(binary.LittleEndian.Uint16(w[2*i:]))
		y := BF16ToF32(binary.LittleEndian.Uint16(a[2*i:]))
		sum += float64(x * y)
	}
	return float32(sum)
}

func dotQ4_0Q8_0(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/qk32; b++ {
		x := w[b*q4_0Bytes : (b+1)*q4_0Bytes]
		y := a[b*q8_0Bytes : (b+1)*q8_0Bytes]
		qx, qy := x[2:18], y[2:34]
		sumi := 0
		for j, q := range qx {
			sumi += (int(q&0xf) - 8) * int(int8(qy[j]))
			sumi += (int(q>>4) - 8) * int(int8(qy[j+16]))
		}
		sumf += float32(float32(sumi) * f16At(x, 0) * f16At(y, 0))
	}
	return sumf
}

func dotQ4_1Q8_1(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/qk32; b++ {
		x := w[b*q4_1Bytes : (b+1)*q4_1Bytes]
		y := a[b*q8_1Bytes : (b+1)*q8_1Bytes]
		qx, qy := x[4:20], y[4:36]
		sumi := 0
		for j, q := range qx {
			sumi += int(q&0xf) * int(int8(qy[j]))
			sumi += int(q>>4) * int(int8(qy[j+16]))
		}
		// The min m adds m*d_a*sum(a) = m*s over the block.
		sumf += float32(f16At(x, 0)*f16At(y, 0)*float32(sumi)) + float32(f16At(x, 2)*f16At(y, 2))
	}
	return sumf
}

func dotQ5_0Q8_0(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/qk32; b++ {
		x := w[b*q5_0Bytes : (b+1)*q5_0Bytes]
		y := a[b*q8_0Bytes : (b+1)*q8_0Bytes]
		qh := binary.LittleEndian.Uint32(x[2:])
		qx, qy := x[6:22], y[2:34]
		sumi := 0
		for j, q := range qx {
			h0 := int(qh>>j&1) << 4
			h1 := int(qh>>(j+16)&1) << 4
			sumi += ((int(q&0xf) | h0) - 16) * int(int8(qy[j]))
			sumi += ((int(q>>4) | h1) - 16) * int(int8(qy[j+16]))
		}
		sumf += float32(f16At(x, 0) * f16At(y, 0) * float32(sumi))
	}
	return sumf
}

func dotQ5_1Q8_1(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/qk32; b++ {
		x := w[b*q5_1Bytes : (b+1)*q5_1Bytes]
		y := a[b*q8_1Bytes : (b+1)*q8_1Bytes]
		qh := binary.LittleEndian.Uint32(x[4:])
		qx, qy := x[8:24], y[4:36]
		sumi := 0
		for j, q := range qx {
			h0 := int(qh>>j&1) << 4
			h1 := int(qh>>(j+16)&1) << 4
			sumi += (int(q&0xf) | h0) * int(int8(qy[j]))
			sumi += (int(q>>4) | h1) * int(int8(qy[j+16]))
		}
		sumf += float32(f16At(x, 0)*f16At(y, 0)*float32(sumi)) + float32(f16At(x, 2)*f16At(y, 2))
	}
	return sumf
}

func dotQ8_0Q8_0(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/qk32; b++ {
		x := w[b*q8_0Bytes : (b+1)*q8_0Bytes]
		y := a[b*q8_0Bytes : (b+1)*q8_0Bytes]
		qx, qy := x[2:34], y[2:34]
		sumi := 0
		for j, q := range qx {
			sumi += int(int8(q)) * int(int8(qy[j]))
		}
		sumf += float32(float32(sumi) * (f16At(x, 0) * f16At(y, 0)))
	}
	return sumf
}

// The K-quant kernels sum each super-block exactly in integers (isum for the
// scaled quants, summs for the mins) and then add d*isum - dmin*summs in
// float32, with d and dmin the weight's super-block scales times Q8_K's d.

func dotQ2KQ8K(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/QK_K; b++ {
		x := w[b*q2KBytes : (b+1)*q2KBytes]
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		sc := x[:16]
		q8 := y[q8KQs : q8KQs+QK_K]
		summs := 0
		for j := 0; j < 16; j++ {
			summs += int(int16(binary.LittleEndian.Uint16(y[q8KBsums+2*j:]))) * int(sc[j]>>4)
		}
		isum := 0
		for half := 0; half < 2; half++ {
			q2 := x[q2KQs+32*half : q2KQs+32*half+32]
			for g := 0; g < 4; g++ {
				shift := uint(2 * g)
				for s := 0; s < 2; s++ {
					a8 := q8[128*half+32*g+16*s : 128*half+32*g+16*s+16]
					isuml := 0
					for l, v := range a8 {
						isuml += int(int8(v)) * int((q2[16*s+l]>>shift)&3)
					}
					isum += int(sc[8*half+2*g+s]&0xf) * isuml
				}
			}
		}
		yd := f32At(y, 0)
		dall := yd * f16At(x, q2KD)
		dmin := yd * f16At(x, q2KD+2)
		sumf += float32(dall*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}

func dotQ3KQ8K(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/QK_K; b++ {
		x := w[b*q3KBytes : (b+1)*q3KBytes]
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		hm := x[:32]
		sc := scalesQ3K(x[q3KScales : q3KScales+12])
		q8 := y[q8KQs : q8KQs+QK_K]
		isum := 0
		for half := 0; half < 2; half++ {
			q3 := x[q3KQs+32*half : q3KQs+32*half+32]
			for g := 0; g < 4; g++ {
				shift := uint(2 * g)
				mask := byte(1) << (4*half + g)
				for s := 0; s < 2; s++ {
					a8 := q8[128*half+32*g+16*s : 128*half+32*g+16*s+16]
					isuml := 0
					for l, v := range a8 {
						q := int((q3[16*s+l] >> shift) & 3)
						if hm[16*s+l]&mask == 0 {
							q -= 4
						}
						isuml += int(int8(v)) * q
					}
					isum += int(sc[8*half+2*g+s]) * isuml
				}
			}
		}
		d := f16At(x, q3KD) * f32At(y, 0)
		sumf += float32(d * float32(isum))
	}
	return sumf
}

// bsumMinsK4 is the min term of Q4_K and Q5_K: sum over the 16 bsums of Q8_K
// times the min of the 32-element sub-block they fall in.
func bsumMinsK4(scales, y []byte) int {
	summs := 0
	for j := 0; j < 16; j++ {
		_, m := scaleMinK4(j/2, scales)
		summs += int(int16(binary.LittleEndian.Uint16(y[q8KBsums+2*j:]))) * int(m)
	}
	return summs
}

func dotQ4KQ8K(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/QK_K; b++ {
		x := w[b*q4KBytes : (b+1)*q4KBytes]
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		scales := x[q4KScales : q4KScales+12]
		q8 := y[q8KQs : q8KQs+QK_K]
		isum := 0
		for r := 0; r < 4; r++ {
			q4 := x[q4KQs+32*r : q4KQs+32*r+32]
			lo, hi := q8[64*r:64*r+32], q8[64*r+32:64*r+64]
			sumLo, sumHi := 0, 0
			for l, q := range q4 {
				sumLo += int(q&0xf) * int(int8(lo[l]))
				sumHi += int(q>>4) * int(int8(hi[l]))
			}
			sc1, _ := scaleMinK4(2*r, scales)
			sc2, _ := scaleMinK4(2*r+1, scales)
			isum += int(sc1)*sumLo + int(sc2)*sumHi
		}
		summs := bsumMinsK4(scales, y)
		yd := f32At(y, 0)
		d := f16At(x, 0) * yd
		dmin := f16At(x, 2) * yd
		sumf += float32(d*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}

func dotQ5KQ8K(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/QK_K; b++ {
		x := w[b*q5KBytes : (b+1)*q5KBytes]
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		scales := x[q5KScales : q5KScales+12]
		qh := x[q5KQh : q5KQh+32]
		q8 := y[q8KQs : q8KQs+QK_K]
		isum := 0
		for r := 0; r < 4; r++ {
			q5 := x[q5KQs+32*r : q5KQs+32*r+32]
			lo, hi := q8[64*r:64*r+32], q8[64*r+32:64*r+64]
			sumLo, sumHi := 0, 0
			for l, q := range q5 {
				h := qh[l] >> (2 * r)
				sumLo += int(q&0xf|(h&1)<<4) * int(int8(lo[l]))
				sumHi += int(q>>4|(h&2)<<3) * int(int8(hi[l]))
			}
			sc1, _ := scaleMinK4(2*r, scales)
			sc2, _ := scaleMinK4(2*r+1, scales)
			isum += int(sc1)*sumLo + int(sc2)*sumHi
		}
		summs := bsumMinsK4(scales, y)
		yd := f32At(y, 0)
		d := f16At(x, 0) * yd
		dmin := f16At(x, 2) * yd
		sumf += float32(d*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}

func dotQ6KQ8K(n int, w, a []byte) float32 {
	var sumf float32
	for b := 0; b < n/QK_K; b++ {
		x := w[b*q6KBytes : (b+1)*q6KBytes]
		y := a[b*q8KBytes : (b+1)*q8KBytes]
		q8 := y[q8KQs : q8KQs+QK_K]
		isum := 0
		for h := 0; h < 2; h++ {
			ql := x[64*h : 64*h+64]
			qh := x[q6KQh+32*h : q6KQh+32*h+32]
			sc := x[q6KScales+8*h : q6KScales+8*h+8]
			a8 := q8[128*h : 128*h+128]
			// Four 32-element groups (l, l+32, l+64, l+96), two scales each.
			var s [8]int
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int(ql[l]&0xf|(qh[l]&3)<<4) - 32
				q2 := int(ql[l+32]&0xf|((qh[l]>>2)&3)<<4) - 32
				q3 := int(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
				q4 := int(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
				s[is] += q1 * int(int8(a8[l]))
				s[is+2] += q2 * int(int8(a8[l+32]))
				s[is+4] += q3 * int(int8(a8[l+64]))
				s[is+6] += q4 * int(int8(a8[l+96]))
			}
			for j, v := range s {
				isum += int(int8(sc[j])) * v
			}
		}
		d := f16At(x, q6KD) * f32At(y, 0)
		sumf += float32(d * float32(isum))
	}
	return sumf
}
