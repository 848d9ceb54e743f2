package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// dotTypes are the weight types with a dot product.
var dotTypes = []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}

func TestVecDotType(t *testing.T) {
	want := map[Type]Type{
		F32: F32, F16: F16, BF16: BF16,
		Q4_0: Q8_0, Q5_0: Q8_0, Q8_0: Q8_0, Q4_1: Q8_1, Q5_1: Q8_1,
		Q2_K: Q8_K, Q3_K: Q8_K, Q4_K: Q8_K, Q5_K: Q8_K, Q6_K: Q8_K,
	}
	for typ, at := range want {
		if got := VecDotType(typ); got != at || !HasVecDot(typ) {
			t.Errorf("VecDotType(%s) = %s (HasVecDot %v), want %s", typ, got, HasVecDot(typ), at)
		}
	}
	for _, typ := range []Type{Q8_1, Q8_K, I8, I32, F64, Type(40), Type(1 << 30)} {
		if HasVecDot(typ) || VecDotType(typ) != typ {
			t.Errorf("%s: HasVecDot %v, VecDotType %s", typ, HasVecDot(typ), VecDotType(typ))
		}
	}
}

// f16Fields lists the offsets of the f16 scale fields in a block of each
// quantized type, so random blocks can be given finite scales.
var f16Fields = map[Type][]int{
	Q4_0: {0}, Q4_1: {0, 2}, Q5_0: {0}, Q5_1: {0, 2}, Q8_0: {0},
	Q2_K: {q2KD, q2KD + 2}, Q3_K: {q3KD}, Q4_K: {0, 2}, Q5_K: {0, 2}, Q6_K: {q6KD},
}

// randomWeights returns n elements of type typ: random bytes with random
// finite scales for the quantized types (so every bit pattern of the quants
// occurs), Quantize of Gaussian data otherwise.
func randomWeights(r *rand.Rand, typ Type, n int) []byte {
	rb, _ := typ.RowBytes(int64(n))
	w := make([]byte, rb)
	fields, quantized := f16Fields[typ]
	if !quantized {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		if err := Quantize(typ, x, w); err != nil {
			panic(err)
		}
		return w
	}
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	for b := 0; b < len(w); b += typ.TypeSize() {
		for _, off := range fields {
			putF16(w, b+off, float32(r.NormFloat64()*0.01))
		}
	}
	return w
}

// q8_1MinCorrection is what Q4_1/Q5_1 dot products add beyond the exact dot
// of the dequantized rows: they take the min term from Q8_1's s, which is
// d*sum(q) rounded to f16.
func q8_1MinCorrection(typ Type, w, a []byte) float64 {
	if typ != Q4_1 && typ != Q5_1 {
		return 0
	}
	var c float64
	for b := 0; b < len(a)/q8_1Bytes; b++ {
		blk := a[b*q8_1Bytes:]
		sum := 0
		for _, q := range blk[4:36] {
			sum += int(int8(q))
		}
		m := float64(f16At(w, b*typ.TypeSize()+2))
		c += m * (float64(f16At(blk, 2)) - float64(f16At(blk, 0))*float64(sum))
	}
	return c
}

// TestVecDotMatchesDequantized checks every dot kernel against the float64
// dot of the dequantized rows: the kernels only reorder exact integer sums,
// so the two agree to float32 rounding.
func TestVecDotMatchesDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	for _, typ := range dotTypes {
		at := VecDotType(typ)
		for _, n := range []int{256, 4096} {
			for trial := 0; trial < 20; trial++ {
				w := randomWeights(r, typ, n)
				x := make([]float32, n)
				scale := math.Pow(10, float64(r.IntN(7)-3))
				for i := range x {
					x[i] = float32(r.NormFloat64() * scale)
				}
				arb, _ := at.RowBytes(int64(n))
				a := make([]byte, arb)
				if err := QuantizeActivations(at, x, a); err != nil {
					t.Fatal(err)
				}
				wf, af := make([]float32, n), make([]float32, n)
				if err := Dequantize(typ, w, wf); err != nil {
					t.Fatal(err)
				}
				if err := Dequantize(at, a, af); err != nil {
					t.Fatal(err)
				}
				var want, mag float64
				for i := range wf {
					p := float64(wf[i]) * float64(af[i])
					want += p
					mag += math.Abs(p)
				}
				want += q8_1MinCorrection(typ, w, a)
				got, err := VecDot(typ, n, w, a)
				if err != nil {
					t.Fatal(err)
				}
				if tol := 1e-6*mag + 1e-30; math.Abs(float64(got)-want) > tol {
					t.Errorf("%s n=%d trial %d: VecDot = %g, dequantized dot = %g (tolerance %g)", typ, n, trial, got, want, tol)
				}
			}
		}
	}
}

// TestVecDotExactIntegers uses blocks where every float step is exact
// (small integer quants, power-of-two scales), so the kernels must agree
// with the dequantized dot bit for bit.
func TestVecDotExactIntegers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 3))
	for _, typ := range dotTypes {
		if _, quantized := f16Fields[typ]; !quantized {
			continue
		}
		at := VecDotType(typ)
		const n = 512
		w := randomWeights(r, typ, n)
		for b := 0; b < len(w); b += typ.TypeSize() {
			for _, off := range f16Fields[typ] {
				putF16(w, b+off, float32(math.Ldexp(1, -r.IntN(4))))
			}
		}
		arb, _ := at.RowBytes(n)
		a := make([]byte, arb)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(255) - 127)
		}
		// Blocks of exact integers up to 127 with a 127 in each: d = 1.
		for i := 0; i < n; i += 32 {
			x[i] = 127
		}
		if err := QuantizeActivations(at, x, a); err != nil {
			t.Fatal(err)
		}
		if at == Q8_K {
			// Q8_K's d is 1/iscale with iscale = -127/max = -1: exact.
			if d := f32At(a, 0); d != -1 {
				t.Fatalf("Q8_K d = %g", d)
			}
		}
		wf, af := make([]float32, n), make([]float32, n)
		if err := Dequantize(typ, w, wf); err != nil {
			t.Fatal(err)
		}
		if err := Dequantize(at, a, af); err != nil {
			t.Fatal(err)
		}
		var want float64
		for i := range wf {
			want += float64(wf[i]) * float64(af[i])
		}
		got, err := VecDot(typ, n, w, a)
		if err != nil {
			t.Fatal(err)
		}
		if float64(got) != want {
			t.Errorf("%s: VecDot = %g, want exactly %g", typ, got, want)
		}
	}
}

func TestVecDotErrors(t *testing.T) {
	w := make([]byte, 2*q4_0Bytes)
	a := make([]byte, 2*q8_0Bytes)
	if _, err := VecDot(Q4_0, 64, w, a); err != nil {
		t.Fatalf("valid call: %v", err)
	}
	cases := []struct {
		name string
		typ  Type
		n    int
		w, a []byte
	}{
		{"short weights", Q4_0, 64, w[:35], a},
		{"long activations", Q4_0, 64, w, append(a, 0)},
		{"activations of the wrong type", Q4_0, 64, w, make([]byte, 2*q8_1Bytes)},
		{"partial block", Q4_0, 48, w, a},
		{"negative n", Q4_0, -32, nil, nil},
		{"no dot product", Q8_K, 256, make([]byte, q8KBytes), make([]byte, q8KBytes)},
		{"unknown type", Type(77), 32, w, a},
	}
	for _, c := range cases {
		if _, err := VecDot(c.typ, c.n, c.w, c.a); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestF16DotRoundsActivations checks that F16 weights see f16-rounded
// activations: 1 + 2^-12 is not representable in f16 and becomes 1.
func TestF16DotRoundsActivations(t *testing.T) {
	x := []float32{1 + 0x1p-12, 3}
	w := make([]byte, 4)
	binary.LittleEndian.PutUint16(w, F32ToF16(2))
	binary.LittleEndian.PutUint16(w[2:], F32ToF16(0.5))
	a := make([]byte, 4)
	if err := QuantizeActivations(F16, x, a); err != nil {
		t.Fatal(err)
	}
	got, err := VecDot(F16, 2, w, a)
	if err != nil {
		t.Fatal(err)
	}
	if got != 3.5 {
		t.Errorf("F16 dot = %g, want 3.5", got)
	}
}
