package server

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
)

// benchModel is the 1B-shaped Q8_0 test model (`longctx testmodel --arch
// llama --shape llama-1b --type q8_0 -o /tmp/tm/llama1b-q8_0.gguf`), or
// LONGCTX_BENCH_MODEL.
func benchModel() string {
	if p := os.Getenv("LONGCTX_BENCH_MODEL"); p != "" {
		return p
	}
	return "/tmp/tm/llama1b-q8_0.gguf"
}

// BenchmarkAggregateDecode measures decode throughput summed over
// concurrent streams: continuous batching reads the weights once per step
// for all of them, so on a bandwidth-bound machine 8 streams should give
// several times the tokens/s of one. It runs on the tiny fixture (whose
// weights sit in cache: no bandwidth to amortise) and on the 1B-shaped
// test model when that file exists, with the production kernels (tiling
// on).
//
// Measured on the idle 2-core machine (go test -bench
// 'AggregateDecode/model=1b' -benchtime 1x, medians of 4): with packed
// weights 1 stream 22.0 tokens/s, 8 streams 94.4 (4.3x: tensor's batched
// kernels load each interleaved weight vector once for all 8 tokens);
// from the file layout 21.7 and 60.0 (2.8x: the rows are interleaved on
// the fly each step).
func BenchmarkAggregateDecode(b *testing.B) {
	tensor.SetTiling(true)
	defer tensor.SetTiling(false)
	b.Run("model=tiny", func(b *testing.B) { benchDecode(b, tinyEngine(b), 64) })
	for _, packed := range []bool{false, true} {
		name := "model=1b"
		if packed {
			name += "-packed"
		}
		b.Run(name, func(b *testing.B) {
			path := benchModel()
			if _, err := os.Stat(path); err != nil {
				b.Skipf("no 1B test model at %s (make it with longctx testmodel --arch llama --shape llama-1b --type q8_0 -o %s)", path, path)
			}
			e, err := engine.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			if packed {
				if _, err := e.Model.PackWeights(); err != nil {
					b.Fatal(err)
				}
			}
			benchDecode(b, e, 16)
		})
	}
}

func benchDecode(b *testing.B, e *engine.Engine, tokens int) {
	for _, streams := range []int{1, 8} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			s, err := New(e, Config{Parallel: streams, Ctx: 256, QueueDepth: streams})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			opts, err := s.parseLongctx(nil)
			if err != nil {
				b.Fatal(err)
			}
			var generated int
			var decode time.Duration
			b.ResetTimer()
			for range b.N {
				seqs := make([]*seq, streams)
				for i := range seqs {
					prompt, _ := e.Tokenizer.Encode(fmt.Sprintf("stream %d", i), true, false)
					p := sample.Params{TopP: 1, TypicalP: 1, RepeatPenalty: 1}
					g := &genRequest{prompt: prompt, maxTokens: tokens, params: p, opts: opts}
					if seqs[i], err = s.sched.submit(context.Background(), g); err != nil {
						b.Fatal(err)
					}
				}
				// Time from the first token on, so prefill is not counted.
				var first time.Time
				for _, r := range seqs {
					wait(context.Background(), r, func(ev event) error {
						if first.IsZero() {
							first = time.Now()
						}
						if ev.Done {
							generated += ev.Usage.Completion - 1
						}
						return nil
					})
				}
				decode += time.Since(first)
			}
			b.ReportMetric(float64(generated)/decode.Seconds(), "tokens/s")
			s.metrics.mu.Lock()
			b.ReportMetric(float64(s.metrics.stepSeqs)/float64(s.metrics.stepCount), "seqs/step")
			s.metrics.mu.Unlock()
		})
	}
}
