package server

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/sample"
)

// BenchmarkAggregateDecode measures decode throughput summed over
// concurrent streams: continuous batching reads the weights once per step
// for all of them, so on a bandwidth-bound machine 8 streams should give
// several times the tokens/s of one. LONGCTX_BENCH_MODEL picks a bigger
// model than the tiny fixture (e.g. a testmodel llama-1b q8_0 file).
func BenchmarkAggregateDecode(b *testing.B) {
	e := tinyEngine(b)
	tokens := 64
	if path := os.Getenv("LONGCTX_BENCH_MODEL"); path != "" {
		var err error
		if e, err = engine.Open(path); err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		tokens = 16
	}
	for _, streams := range []int{1, 8} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			s, err := New(e, Config{Parallel: streams, Ctx: 256, QueueDepth: streams})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var generated int
			var decode time.Duration
			b.ResetTimer()
			for range b.N {
				seqs := make([]*seq, streams)
				for i := range seqs {
					prompt, _ := e.Tokenizer.Encode(fmt.Sprintf("stream %d", i), true, false)
					p := sample.Params{TopP: 1, TypicalP: 1, RepeatPenalty: 1}
					if seqs[i], err = s.sched.submit(context.Background(), &genRequest{prompt: prompt, maxTokens: tokens, params: p}); err != nil {
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
