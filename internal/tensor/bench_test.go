package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// reportThroughput reports GB/s of weight bytes read and GFLOP/s (one
// multiply and one add per weight element and activation row).
func reportThroughput(b *testing.B, weightBytes, flops float64) {
	s := b.Elapsed().Seconds()
	if s == 0 {
		return
	}
	b.ReportMetric(weightBytes*float64(b.N)/s/1e9, "GB/s")
	b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
}

func BenchmarkVecDot(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(7, 5))
	for _, typ := range dotTypes {
		b.Run(typ.String(), func(b *testing.B) {
			w := randomWeights(r, typ, n)
			at := VecDotType(typ)
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			arb, _ := at.RowBytes(n)
			a := make([]byte, arb)
			if err := QuantizeActivations(at, x, a); err != nil {
				b.Fatal(err)
			}
			dot := kernels[typ].vecDot
			var sink float32
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sink += dot(n, w, a)
			}
			_ = sink
			reportThroughput(b, float64(len(w)), 2*n)
		})
	}
}

func BenchmarkMatMul(b *testing.B) {
	const rows, cols = 2048, 2048
	r := rand.New(rand.NewPCG(8, 6))
	for _, typ := range []Type{F32, F16, Q8_0, Q4_0, Q4_K, Q6_K} {
		w := randomWeights(r, typ, rows*cols)
		for _, ntok := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/ntok=%d", typ, ntok), func(b *testing.B) {
				x := make([]float32, ntok*cols)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				dst := make([]float32, ntok*rows)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := MatMul(dst, w, typ, rows, cols, x, ntok); err != nil {
						b.Fatal(err)
					}
				}
				reportThroughput(b, float64(len(w)), 2*rows*cols*float64(ntok))
			})
		}
	}
}

func BenchmarkQuantize(b *testing.B) {
	const n = 1 << 16
	x := testInputs(n, 9)["weights"]
	for _, typ := range []Type{Q8_0, Q4_0, Q4_K, Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			rb, _ := typ.RowBytes(n)
			q := make([]byte, rb)
			b.SetBytes(4 * n)
			for i := 0; i < b.N; i++ {
				if err := Quantize(typ, x, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
