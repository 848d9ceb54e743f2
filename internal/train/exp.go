package train

import "math"

// expf is e^x in float32 to within 2 ulp (|x| < 87), several times faster
// than math.Exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 Taylor
// polynomial, 2^n put into the exponent bits. Attention spends most of its
// non-matmul time here. Inputs below −87 give 0 (softmax underflow).
func expf(x float32) float32 {
	if x < -87 {
		return 0
	}
	if x > 88 {
		return float32(math.Inf(1))
	}
	const ln2hi, ln2lo, log2e = 0.693145751953125, 1.428606765330187e-06, 1.4426950408889634
	// Adding 1.5·2²³ rounds to the nearest integer in the mantissa.
	const magic = 12582912
	n := (x*log2e + magic) - magic
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}
