package tensor

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/longctx/longctx/internal/parallel"
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

// BenchmarkDotRows runs one goroutine over 64 weight rows of 4096
// elements (L2-resident: the kernels' own speed, without DRAM): "rows"
// with the type's vecDotRows kernel, "loop" with one vecDot call per row.
func BenchmarkDotRows(b *testing.B) {
	const n, nrows = 4096, 64
	r := rand.New(rand.NewPCG(7, 9))
	for _, typ := range dotTypes {
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
		rb, _ := typ.RowBytes(n)
		w := make([]byte, 0, nrows*rb)
		for i := 0; i < nrows; i++ {
			w = append(w, randomWeights(r, typ, n)...)
		}
		dst := make([]float32, nrows)
		for _, path := range []string{"rows", "loop"} {
			k := kernels[typ]
			if path == "rows" && k.vecDotRows == nil {
				continue
			}
			b.Run(fmt.Sprintf("%s/%s", typ, path), func(b *testing.B) {
				for b.Loop() {
					if path == "rows" {
						k.vecDotRows(n, w, int(rb), a, dst)
						continue
					}
					for i := range dst {
						dst[i] = k.vecDot(n, w[i*int(rb):(i+1)*int(rb)], a)
					}
				}
				reportThroughput(b, float64(len(w)), 2*n*nrows)
			})
		}
	}
}

// benchMatMulCycling times MatMul (layout "file") or MatMulPacked
// ("packed") of ntok random activation rows, cycling through n copies of
// the weights one (built into *mats on first use and shared by
// sub-benchmarks), so that n > 1 reads them from DRAM.
func benchMatMulCycling(b *testing.B, r *rand.Rand, typ Type, rows, cols, ntok int, layout string, one []byte, mats *[]*Packed, n int) {
	for len(*mats) < n {
		p, err := Pack(typ, rows, cols, append([]byte(nil), one...))
		if err != nil {
			b.Fatal(err)
		}
		*mats = append(*mats, p)
	}
	x := make([]float32, ntok*cols)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dst := make([]float32, ntok*rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := (*mats)[i%n]
		var err error
		if layout == "packed" {
			err = MatMulPacked(dst, p, x, ntok)
		} else {
			err = MatMul(dst, p.data, typ, rows, cols, x, ntok)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// memBW is the machine's read bandwidth in bytes/s, measured once.
var memBW = sync.OnceValue(func() float64 { return parallel.ReadBandwidth(512<<20, 3) })

// BenchmarkMatMul multiplies 2048×2048 weights with 1 and 16 activation
// rows, the weights in their file layout ("file") and, where this CPU has
// kernels for it, interleaved by Pack ("packed"). "hot" reuses one matrix
// (it stays in the last-level cache); "cold" cycles through enough
// matrices (≥ 256 MiB) that the weights come from DRAM, as in a forward
// pass, and reports the fraction of the measured read bandwidth reached.
func BenchmarkMatMul(b *testing.B) {
	const rows, cols = 2048, 2048
	r := rand.New(rand.NewPCG(8, 6))
	for _, typ := range []Type{F32, F16, Q8_0, Q4_0, Q4_K, Q6_K} {
		one := randomWeights(r, typ, rows*cols)
		nCold := max(2, (256<<20)/len(one))
		var cold []*Packed // built on first use, shared by the sub-benchmarks
		for _, ntok := range []int{1, 16} {
			for _, mode := range []string{"hot", "cold"} {
				for _, layout := range []string{"file", "packed"} {
					if layout == "packed" && packedKernels[typ] == nil {
						continue
					}
					b.Run(fmt.Sprintf("%s/ntok=%d/%s/%s", typ, ntok, mode, layout), func(b *testing.B) {
						var bw float64
						n := 1
						if mode == "cold" {
							bw = memBW() // measured outside the timed loop
							n = nCold
						}
						benchMatMulCycling(b, r, typ, rows, cols, ntok, layout, one, &cold, n)
						reportThroughput(b, float64(len(one)), 2*rows*cols*float64(ntok))
						if s := b.Elapsed().Seconds(); mode == "cold" && s > 0 {
							b.ReportMetric(100*float64(len(one))*float64(b.N)/s/bw, "%BW")
						}
					})
				}
			}
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

// BenchmarkPrefill multiplies 2048×2048 weights (and the default model's
// 384×128) with 512 activation rows, the compute-bound shape of prompt
// processing: "tiled" with the prefill tile kernel where the CPU has one,
// "rowtiles" with the row tiles, "rows" without either (one VecDot per
// output, or the type's vecDotRows kernel a row block at a time).
func BenchmarkPrefill(b *testing.B) {
	const ntok = 512
	r := rand.New(rand.NewPCG(9, 2))
	for _, shape := range []struct{ rows, cols int }{{2048, 2048}, {384, 128}} {
		rows, cols := shape.rows, shape.cols
		x := make([]float32, ntok*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		dst := make([]float32, ntok*rows)
		for _, typ := range []Type{F32, F16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K} {
			if cols%typ.BlockSize() != 0 {
				continue
			}
			w := randomWeights(r, typ, rows*cols)
			for _, path := range []string{"tiled", "rowtiles", "rows"} {
				tk, rk := tiledKernels[typ], rowTileKernels[typ]
				if tk == nil && path == "tiled" || rk == nil && path == "rowtiles" {
					continue
				}
				b.Run(fmt.Sprintf("%dx%d/%s/%s", rows, cols, typ, path), func(b *testing.B) {
					if path != "tiled" {
						tiledKernels[typ] = nil
						defer func() { tiledKernels[typ] = tk }()
					}
					if path == "rows" {
						rowTileKernels[typ] = nil
						defer func() { rowTileKernels[typ] = rk }()
					}
					for i := 0; i < b.N; i++ {
						if err := MatMul(dst, w, typ, rows, cols, x, ntok); err != nil {
							b.Fatal(err)
						}
					}
					reportThroughput(b, float64(len(w)), 2*float64(rows*cols*ntok))
				})
			}
		}
	}
}

// BenchmarkElementwise times the forward pass's elementwise kernels on
// one token's shapes (and RMSNorm on 16 rows), reporting elements/s.
func BenchmarkElementwise(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	report := func(b *testing.B, n int) {
		if s := b.Elapsed().Seconds(); s > 0 {
			b.ReportMetric(float64(n)*float64(b.N)/s/1e9, "Gelem/s")
		}
	}
	b.Run("RMSNorm", func(b *testing.B) {
		x, w := randomFloats(r, 16*2048, 1), randomFloats(r, 2048, 1)
		dst := make([]float32, len(x))
		for b.Loop() {
			if err := RMSNorm(dst, x, w, 1e-5); err != nil {
				b.Fatal(err)
			}
		}
		report(b, len(x))
	})
	b.Run("SwiGLU", func(b *testing.B) {
		g, u := randomFloats(r, 8192, 2), randomFloats(r, 8192, 1)
		dst := make([]float32, len(g))
		for b.Loop() {
			if err := SwiGLU(dst, g, u); err != nil {
				b.Fatal(err)
			}
		}
		report(b, len(g))
	})
	b.Run("Softmax", func(b *testing.B) {
		x := randomFloats(r, 4096, 3)
		for b.Loop() {
			Softmax(x)
		}
		report(b, len(x))
	})
	for _, neox := range []bool{false, true} {
		b.Run(fmt.Sprintf("Rope/neox=%v", neox), func(b *testing.B) {
			x, cs := randomFloats(r, 32*64, 1), randomFloats(r, 64, 1)
			for b.Loop() {
				if err := Rope(x, 32, 64, 64, neox, cs); err != nil {
					b.Fatal(err)
				}
			}
			report(b, len(x))
		})
	}
}
