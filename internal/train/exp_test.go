package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expSlice (the vector kernel where there is one) is expf bit for bit,
// edges and odd lengths included, so training does not depend on which ran.
func TestExpSliceMatchesExpf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 10007)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 40)
	}
	copy(x, []float32{-87, 88, -87.0001, 88.0001, 0, -0.0, 1e-30, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())})
	for _, n := range []int{0, 1, 7, 8, 9, 31, len(x)} {
		y := append([]float32(nil), x[:n]...)
		expSlice(y)
		for i, v := range x[:n] {
			want := expf(v)
			if math.Float32bits(want) != math.Float32bits(y[i]) && !(math.IsNaN(float64(want)) && math.IsNaN(float64(y[i]))) {
				t.Fatalf("n=%d: exp(%v) = %v, expf %v", n, v, y[i], want)
			}
		}
	}
	if got := expf(1); math.Abs(float64(got)-math.E) > 2e-7*math.E {
		t.Errorf("expf(1) = %v", got)
	}
}

func BenchmarkExpSlice(b *testing.B) {
	x := make([]float32, 2048)
	for b.Loop() {
		for i := range x {
			x[i] = -float32(i) / 256
		}
		expSlice(x)
	}
	b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e6, "Mexp/s")
}

// expShift (the vector kernel where there is one) gives expf(x − shift)
// bit for bit and their sum, on odd lengths too.
func TestExpShift(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 31, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 10)
		}
		shift := float32(r.NormFloat64())
		y := append([]float32(nil), x...)
		sum := expShift(y, shift)
		var want float64
		for i, v := range x {
			e := expf(v - shift)
			if math.Float32bits(e) != math.Float32bits(y[i]) {
				t.Fatalf("n=%d: exp(%v - %v) = %v, expf %v", n, v, shift, y[i], e)
			}
			want += float64(e)
		}
		if math.Abs(float64(sum)-want) > 1e-5*want {
			t.Fatalf("n=%d: sum %v, want %v", n, sum, want)
		}
	}
}
