package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLinear measures the projections' matrix product (y = x·wᵀ for
// x of m rows, w of n rows, k columns) over the worker pool.
func BenchmarkLinear(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{1024, 256, 256}, {1024, 768, 256}, {256, 256, 1024}, {4096, 128, 128}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, y := randVec(r, s.m*s.k, 1), make([]float32, s.m*s.n)
			w := &Tensor{Rows: s.n, Cols: s.k, W: randVec(r, s.n*s.k, 1)}
			b.ResetTimer()
			for range b.N {
				linear(y, x, w, s.m)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkTrainStep measures training throughput (tokens/s) of candidate
// shapes for the shipped model: one step on a batch of 2 sequences.
func BenchmarkTrainStep(b *testing.B) {
	for _, s := range []struct {
		name   string
		cfg    Config
		seqLen int
	}{
		{"default-d128-L3-T2048", Config{Vocab: 1024, Embd: 128, Layers: 3, Heads: 4, KVHeads: 4, FFN: 256, Ctx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tied: true}, 2048},
		{"d256-L6-T1024", Config{Vocab: 1024, Embd: 256, Layers: 6, Heads: 8, KVHeads: 4, FFN: 768, Ctx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tied: true}, 1024},
		{"d256-L6-hd64-T1024", Config{Vocab: 1024, Embd: 256, Layers: 6, Heads: 4, KVHeads: 2, FFN: 768, Ctx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tied: true}, 1024},
		{"d256-L6-hd64-T2048", Config{Vocab: 1024, Embd: 256, Layers: 6, Heads: 4, KVHeads: 2, FFN: 768, Ctx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tied: true}, 2048},
		{"d384-L8-hd64-T1024", Config{Vocab: 1024, Embd: 384, Layers: 8, Heads: 6, KVHeads: 2, FFN: 1024, Ctx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tied: true}, 1024},
	} {
		b.Run(s.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			var ex []Example
			for range 2 {
				toks, tgt := make([]int32, s.seqLen), make([]float32, s.seqLen)
				for i := range toks {
					toks[i] = int32(r.IntN(s.cfg.Vocab))
				}
				for i := s.seqLen - 8; i < s.seqLen; i++ {
					tgt[i] = 1
				}
				ex = append(ex, Example{Tokens: toks, Weight: tgt})
			}
			tr, err := NewTrainer(s.cfg, DefaultHyper(1000), 1, func(int) ([]Example, error) { return ex, nil })
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %.1fM parameters", s.name, float64(s.cfg.Params())/1e6)
			b.ResetTimer()
			for range b.N {
				if _, err := tr.TrainStep(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(2*s.seqLen*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkExpf(b *testing.B) {
	x := float32(-3)
	var s float32
	for range b.N {
		s += expf(x)
		x += 1e-7
	}
	_ = s
}
