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

// DotsF32 is DotF32 row by row, bit for bit, at every length (kernel and
// fallback) and stride.
func TestDotsF32MatchesDotF32(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	out := []float32{1, 2}
	DotsF32(out, nil, nil, 5)
	if out[0] != 0 || out[1] != 0 {
		t.Fatalf("empty vector: %v, want zeros", out)
	}
	for _, n := range []int{1, 7, 8, 16, 24, 32, 40, 64, 100, 128} {
		for _, stride := range []int{n, n + 5, 3 * n} {
			for _, rows := range []int{1, 2, 9} {
				a := make([]float32, n)
				b := make([]float32, (rows-1)*stride+n)
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				for i := range b {
					b[i] = float32(r.NormFloat64())
				}
				out := make([]float32, rows)
				DotsF32(out, a, b, stride)
				for j := range out {
					if want := DotF32(a, b[j*stride:]); math.Float32bits(out[j]) != math.Float32bits(want) {
						t.Fatalf("n=%d stride=%d row %d: %v, DotF32 %v", n, stride, j, out[j], want)
					}
				}
			}
		}
	}
}

// BenchmarkDotsF32 times one 32-float query against 2048 keys (a training
// attention row), against DotF32 called per key.
func BenchmarkDotsF32(b *testing.B) {
	const n, rows = 32, 2048
	r := rand.New(rand.NewPCG(1, 2))
	a, keys, out := make([]float32, n), make([]float32, n*rows), make([]float32, rows)
	for i := range a {
		a[i] = float32(r.NormFloat64())
	}
	for i := range keys {
		keys[i] = float32(r.NormFloat64())
	}
	for _, path := range []string{"dots", "loop"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if path == "dots" {
					DotsF32(out, a, keys, n)
				} else {
					for j := range out {
						out[j] = DotF32(a, keys[j*n:])
					}
				}
			}
			b.ReportMetric(2*n*rows*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
