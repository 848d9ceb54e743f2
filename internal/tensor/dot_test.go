package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDotF32F16(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 31, 32, 33, 64, 100, 1000} {
		a, b := make([]float32, n), make([]float32, n+3)
		ah, bh := make([]uint16, n), make([]uint16, n+3)
		var want32, want16, abs float64
		for i := range b {
			b[i] = float32(r.NormFloat64())
			bh[i] = F32ToF16(b[i])
		}
		for i := range a {
			a[i] = float32(r.NormFloat64())
			ah[i] = F32ToF16(a[i])
			want32 += float64(a[i]) * float64(b[i])
			want16 += float64(F16ToF32(ah[i])) * float64(F16ToF32(bh[i]))
			abs += math.Abs(float64(a[i] * b[i]))
		}
		tol := 1e-6*abs + 1e-7
		if got := DotF32(a, b); math.Abs(float64(got)-want32) > tol {
			t.Errorf("DotF32 n=%d: %v, want %v", n, got, want32)
		}
		if got := DotF16(ah, bh); math.Abs(float64(got)-want16) > tol {
			t.Errorf("DotF16 n=%d: %v, want %v", n, got, want16)
		}
	}
}
