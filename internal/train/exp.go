package train

import "math"

// The constants of expf, as float32 (the vector kernel loads these).
const (
	expLn2hi, expLn2lo, expLog2e = 0.693145751953125, 1.428606765330187e-06, 1.4426950408889634
	// Adding 1.5·2²³ rounds to the nearest integer in the mantissa.
	expMagic = 12582912
)

// expf is e^x in float32 to within 2 ulp (|x| < 87), several times faster
// than math.Exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 Taylor
// polynomial, 2^n put into the exponent bits. Inputs below −87 give 0
// (softmax underflow). Every product is rounded before it is added (the
// explicit conversions keep the compiler from fusing them into FMAs), so
// the result is the same on every machine and equals expShift's with shift 0.
func expf(x float32) float32 {
	if x < -87 {
		return 0
	}
	if x > 88 {
		return float32(math.Inf(1))
	}
	n := (float32(x*expLog2e) + expMagic) - expMagic
	r := (x - float32(n*expLn2hi)) - float32(n*expLn2lo)
	p := float32(1.0/120) + float32(r*(1.0/720))
	p = float32(1.0/24) + float32(r*p)
	p = float32(1.0/6) + float32(r*p)
	p = 0.5 + float32(r*p)
	p = 1 + float32(r*p)
	p = 1 + float32(r*p)
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// expShift replaces every x[i] by expf(x[i] − shift) and returns their
// sum: a softmax row's exponentials and normaliser in one pass.
var expShift = expShiftGo

func expShiftGo(x []float32, shift float32) float32 {
	var sum float32
	for i, v := range x {
		x[i] = expf(v - shift)
		sum += x[i]
	}
	return sum
}
