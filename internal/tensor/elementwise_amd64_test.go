//go:build amd64 && !purego

package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps is the distance between a and b in float32 steps.
func ulps(a, b float32) int64 {
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 != (ib < 0x80000000) {
		return 1 << 40
	}
	d := ia - ib
	if d < 0 {
		d = -d
	}
	return d
}

// TestExpAVX2 holds the assembly exp (through expSum with m = 0) within 2
// ulp of the correctly rounded one over its range, and checks NaN.
func TestExpAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks AVX2+FMA")
	}
	r := rand.New(rand.NewPCG(32, 1))
	var xs []float32
	for i := 0; i < 1<<16; i++ {
		xs = append(xs, float32(-87+r.Float64()*175))
	}
	xs = append(xs, 0, -0.0, 1e-30, -1e-30, 0.5*float32(math.Ln2), -0.5*float32(math.Ln2), 88.3, -87.2, 1, -1)
	for len(xs)%8 != 0 {
		xs = append(xs, 0)
	}
	got := append([]float32(nil), xs...)
	expSumAVX2(&got[0], 0, len(got))
	for i, x := range xs {
		want := float32(math.Exp(float64(x)))
		if d := ulps(got[i], want); d > 2 {
			t.Fatalf("exp(%g) = %g, want %g (%d ulp)", x, got[i], want, d)
		}
	}
	edge := []float32{float32(math.NaN()), float32(math.Inf(-1)), -100, -87.31, 0, 0, 0, 0}
	expSumAVX2(&edge[0], 0, 8)
	if !math.IsNaN(float64(edge[0])) {
		t.Errorf("exp(NaN) = %g", edge[0])
	}
	for i, x := range []float64{math.Inf(-1), -100, -87.31} {
		if edge[i+1] != 0 {
			t.Errorf("exp(%g) = %g, want 0", x, edge[i+1])
		}
	}
}

// TestElementwiseAVX2 compares the assembly kernels with the Go ones:
// bit for bit where the operations are the same, to the float64 rounding
// of a reordered sum for sumSquares and expSum, and within the exp's 2
// ulp for swiGLU.
func TestElementwiseAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks AVX2+FMA")
	}
	r := rand.New(rand.NewPCG(32, 2))
	for _, n := range elementwiseLengths {
		x, w, u := randomFloats(r, n, 3), randomFloats(r, n, 1), randomFloats(r, n, 1)
		if a, b := sumSquares(x), sumSquaresGo(x); math.Abs(a-b) > 1e-15*b {
			t.Errorf("sumSquares n=%d: %v, Go %v", n, a, b)
		}
		d1, d2 := make([]float32, n), make([]float32, n)
		scaleMul(d1, x, w, 0.37)
		scaleMulGo(d2, x, w, 0.37)
		for i := range d1 {
			if d1[i] != d2[i] {
				t.Fatalf("scaleMul n=%d [%d]: %g, Go %g", n, i, d1[i], d2[i])
			}
		}
		swiGLU(d1, x, u)
		swiGLUGo(d2, x, u)
		for i := range d1 {
			// silu's quotient and product add at most 2 rounding steps to
			// the exp's 2 ulp relative error, damped by 1/(1+e^-g).
			if d := ulps(d1[i], d2[i]); d > 4 {
				t.Fatalf("swiGLU n=%d [%d] g=%g: %g, Go %g (%d ulp)", n, i, x[i], d1[i], d2[i], d)
			}
		}
		e1, e2 := append([]float32(nil), x...), append([]float32(nil), x...)
		s1, s2 := expSum(e1, 1.5), expSumGo(e2, 1.5)
		if math.Abs(s1-s2) > 3e-7*s2 {
			t.Errorf("expSum n=%d: sum %v, Go %v", n, s1, s2)
		}
		for i := range e1 {
			if d := ulps(e1[i], e2[i]); d > 2 {
				t.Fatalf("expSum n=%d [%d]: %g, Go %g", n, i, e1[i], e2[i])
			}
		}
		if a, b := maxOf(x), maxOfGo(x); a != b {
			t.Errorf("maxOf n=%d: %g, Go %g", n, a, b)
		}
		copy(d1, x)
		copy(d2, x)
		scale(d1, 1.7)
		scaleGo(d2, 1.7)
		for i := range d1 {
			if d1[i] != d2[i] {
				t.Fatalf("scale n=%d [%d]: %g, Go %g", n, i, d1[i], d2[i])
			}
		}
	}
	for _, c := range []struct{ heads, hd, dims int }{{1, 2, 2}, {3, 8, 8}, {2, 40, 36}, {4, 64, 64}, {2, 128, 96}, {3, 30, 30}} {
		x := randomFloats(r, c.heads*c.hd, 1)
		cs := randomFloats(r, c.dims, 1)
		a, b := append([]float32(nil), x...), append([]float32(nil), x...)
		ropeNorm(a, c.hd, cs)
		ropeNormGo(b, c.hd, cs)
		a2, b2 := append([]float32(nil), x...), append([]float32(nil), x...)
		ropeNeox(a2, c.hd, cs)
		ropeNeoxGo(b2, c.hd, cs)
		for i := range a {
			if a[i] != b[i] || a2[i] != b2[i] {
				t.Fatalf("rope %+v [%d]: norm %g / %g, neox %g / %g", c, i, a[i], b[i], a2[i], b2[i])
			}
		}
	}
}
