package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expShift (the vector kernel where there is one) gives expf(x − shift)
// bit for bit and their sum, on odd lengths too.
func TestExpShift(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 10, 31, 1000, 10007} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 40)
		}
		shift := float32(r.NormFloat64())
		if n == 10 || n == 10007 {
			// expf's edges, exactly (x − 0 is x).
			copy(x, []float32{-87, 88, -87.0001, 88.0001, 0, float32(math.Copysign(0, -1)), 1e-30, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())})
			shift = 0
		}
		y := append([]float32(nil), x...)
		sum := expShift(y, shift)
		var want float64
		for i, v := range x {
			e := expf(v - shift)
			if math.Float32bits(e) != math.Float32bits(y[i]) && !(math.IsNaN(float64(e)) && math.IsNaN(float64(y[i]))) {
				t.Fatalf("n=%d: exp(%v - %v) = %v, expf %v", n, v, shift, y[i], e)
			}
			want += float64(e)
		}
		if math.IsNaN(want) || math.IsInf(want, 0) {
			if !math.IsNaN(float64(sum)) && !math.IsInf(float64(sum), 0) {
				t.Fatalf("n=%d: sum %v, want %v", n, sum, want)
			}
		} else if math.Abs(float64(sum)-want) > 1e-5*want {
			t.Fatalf("n=%d: sum %v, want %v", n, sum, want)
		}
	}
}

func BenchmarkExpShift(b *testing.B) {
	x := make([]float32, 2048)
	for b.Loop() {
		for i := range x {
			x[i] = -float32(i) / 256
		}
		expShift(x, 0.5)
	}
	b.ReportMetric(float64(len(x)*b.N)/b.Elapsed().Seconds()/1e6, "Mexp/s")
}
