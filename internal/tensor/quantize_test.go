package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// testInputs are the data sets the quantizers are checked on: random data
// at several scales and the awkward cases (all zeros, one huge value,
// negative or positive only, constant, below f16 resolution, sparse).
func testInputs(n int, seed uint64) map[string][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	gen := func(f func(i int) float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(f(i))
		}
		return x
	}
	return map[string][]float32{
		"gaussian":   gen(func(int) float64 { return r.NormFloat64() }),
		"weights":    gen(func(int) float64 { return 0.02 * r.NormFloat64() }),
		"zeros":      gen(func(int) float64 { return 0 }),
		"negative":   gen(func(int) float64 { return -math.Abs(r.NormFloat64()) }),
		"offset":     gen(func(int) float64 { return 5 + r.Float64() }),
		"constant":   gen(func(int) float64 { return 0.75 }),
		"tiny":       gen(func(int) float64 { return 1e-9 * r.NormFloat64() }),
		"huge-value": gen(func(i int) float64 { return map[bool]float64{true: 1e4, false: r.NormFloat64()}[i%1000 == 37] }),
		"sparse": gen(func(int) float64 {
			if r.IntN(20) == 0 {
				return r.NormFloat64()
			}
			return 0
		}),
	}
}

// halfULP16 is half the f16 spacing at v: the error of storing v as f16.
func halfULP16(v float64) float64 {
	return math.Max(math.Abs(v)*0x1p-11, 0x1p-25)
}

func blockStats(x []float32) (amax, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		f := float64(v)
		amax = math.Max(amax, math.Abs(f))
		lo = math.Min(lo, f)
		hi = math.Max(hi, f)
	}
	return amax, lo, hi
}

// errorBound returns, for a block of input x of type t, the largest
// absolute error any element may have after Quantize and Dequantize: half a
// quantization step (a whole step on the far side for the symmetric 4- and
// 5-bit types, whose extreme element maps to -8 or -16), plus the error of
// storing the scales as f16. For the K-quants, whose per-sub-block scales
// are themselves quantized against the super-block's largest, the bound is
// a fraction of the super-block's range.
func errorBound(t Type, x []float32) float64 {
	amax, lo, hi := blockStats(x)
	lo = math.Min(lo, 0) // the K-quants' min is never positive
	const slack = 1.001
	switch t {
	case F32:
		return 0
	case F16:
		return halfULP16(amax)
	case BF16:
		return amax * 0x1p-8
	case Q8_0, Q8_1:
		d := amax / 127
		return slack * (0.5*d + 127*halfULP16(d))
	case Q8_K:
		return slack * 0.5 * amax / 127
	case Q4_0:
		d := amax / 8
		return slack * (d + 8*halfULP16(d))
	case Q5_0:
		d := amax / 16
		return slack * (d + 16*halfULP16(d))
	case Q4_1:
		d := (hi - lo) / 15
		return slack * (0.5*d + 15*halfULP16(d) + halfULP16(lo))
	case Q5_1:
		d := (hi - lo) / 31
		return slack * (0.5*d + 31*halfULP16(d) + halfULP16(lo))
	case Q2_K:
		return 0.4*(hi-lo) + 64*halfULP16(hi-lo)
	case Q3_K:
		return 0.25*amax + 64*halfULP16(amax)
	case Q4_K:
		return 0.1*(hi-lo) + 64*halfULP16(hi-lo)
	case Q5_K:
		return 0.05*(hi-lo) + 64*halfULP16(hi-lo)
	case Q6_K:
		return 0.03*amax + 256*halfULP16(amax)
	}
	panic("no bound for " + t.String())
}

var quantizeTypes = []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K}

func TestQuantizeErrorBounds(t *testing.T) {
	const n = 4096
	for name, x := range testInputs(n, 1) {
		for _, typ := range quantizeTypes {
			t.Run(fmt.Sprintf("%s/%s", typ, name), func(t *testing.T) {
				rb, err := typ.RowBytes(n)
				if err != nil {
					t.Fatal(err)
				}
				q := make([]byte, rb)
				if err := Quantize(typ, x, q); err != nil {
					t.Fatal(err)
				}
				y := make([]float32, n)
				if err := Dequantize(typ, q, y); err != nil {
					t.Fatal(err)
				}
				bs := typ.BlockSize()
				if bs == 1 {
					bs = 32
				}
				for b := 0; b < n; b += bs {
					bound := errorBound(typ, x[b:b+bs])
					for i := b; i < b+bs; i++ {
						e := math.Abs(float64(y[i]) - float64(x[i]))
						if !(e <= bound) {
							t.Fatalf("element %d: %g became %g, error %g > bound %g", i, x[i], y[i], e, bound)
						}
					}
				}
			})
		}
	}
}

// TestQuantizeGaussianRMS checks the overall accuracy each type reaches on
// Gaussian data against the textbook figure step/sqrt(12) (e.g. Q4_0: step
// amax/8 with amax about 2.1 sigma over 32 draws gives 0.077), so that a
// quantizer that wastes levels fails even where the per-element bounds hold.
// (Exact agreement with llama.cpp is checked by TestQuantizeMatchesLlamaCpp.)
func TestQuantizeGaussianRMS(t *testing.T) {
	const n = 1 << 14
	x := testInputs(n, 2)["gaussian"]
	// Measured values are about 0.8x these limits.
	limits := map[Type]float64{
		F16: 2.6e-4, BF16: 2.1e-3, Q8_0: 0.0066, Q8_1: 0.0066, Q8_K: 0.009,
		Q2_K: 0.37, Q3_K: 0.19, Q6_K: 0.022, Q5_1: 0.047, Q5_0: 0.053, Q5_K: 0.045, Q4_1: 0.098, Q4_0: 0.105, Q4_K: 0.09,
	}
	for typ, limit := range limits {
		rb, _ := typ.RowBytes(n)
		q := make([]byte, rb)
		y := make([]float32, n)
		if err := Quantize(typ, x, q); err != nil {
			t.Fatal(err)
		}
		if err := Dequantize(typ, q, y); err != nil {
			t.Fatal(err)
		}
		var se, ss float64
		for i := range x {
			d := float64(y[i] - x[i])
			se += d * d
			ss += float64(x[i]) * float64(x[i])
		}
		if rel := math.Sqrt(se / ss); rel > limit {
			t.Errorf("%s: relative RMS error %.4g > %g", typ, rel, limit)
		} else {
			t.Logf("%s: relative RMS error %.4g (limit %g)", typ, rel, limit)
		}
	}
}

func TestQuantizeActivationsMatchesReferenceClosely(t *testing.T) {
	// The x86 activation quantizer and the reference differ only where
	// x*scale lands on (or within rounding of) a .5: at most one step.
	const n = 4096
	x := testInputs(n, 3)["gaussian"]
	for _, typ := range []Type{F32, F16, BF16, Q8_0, Q8_1, Q8_K} {
		rb, _ := typ.RowBytes(n)
		a, r := make([]byte, rb), make([]byte, rb)
		if err := QuantizeActivations(typ, x, a); err != nil {
			t.Fatal(err)
		}
		if err := Quantize(typ, x, r); err != nil {
			t.Fatal(err)
		}
		ya, yr := make([]float32, n), make([]float32, n)
		if err := Dequantize(typ, a, ya); err != nil {
			t.Fatal(err)
		}
		if err := Dequantize(typ, r, yr); err != nil {
			t.Fatal(err)
		}
		diffs := 0
		for b := 0; b < n; b += 32 {
			step := errorBound(Q8_0, x[b:b+32]) * 2
			for i := b; i < b+32; i++ {
				if ya[i] != yr[i] {
					diffs++
					if d := math.Abs(float64(ya[i] - yr[i])); d > step {
						t.Errorf("%s element %d: %g vs %g", typ, i, ya[i], yr[i])
					}
				}
			}
		}
		if diffs > n/100 {
			t.Errorf("%s: %d of %d elements differ between the two quantizers", typ, diffs, n)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	x := make([]float32, 64)
	cases := []struct {
		name string
		err  error
	}{
		{"short dst", Quantize(Q8_0, x, make([]byte, 67))},
		{"long dst", Quantize(Q8_0, x, make([]byte, 69))},
		{"partial block", Quantize(Q4_0, x[:40], make([]byte, 18))},
		{"partial super-block", Quantize(Q4_K, x, make([]byte, 144))},
		{"integer type", Quantize(I32, x, make([]byte, 256))},
		{"unknown type", Quantize(Type(99), x, make([]byte, 256))},
		{"activations of a weight type", QuantizeActivations(Q4_0, x, make([]byte, 36))},
		{"activations short dst", QuantizeActivations(Q8_1, x, make([]byte, 71))},
		{"dequantize short src", Dequantize(Q8_0, make([]byte, 67), x)},
		{"dequantize partial block", Dequantize(Q8_0, make([]byte, 34), x[:33])},
		{"dequantize integer type", Dequantize(I8, make([]byte, 64), x)},
		{"dequantize unknown type", Dequantize(Type(1<<20), nil, nil)},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
