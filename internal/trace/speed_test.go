package trace

import (
	"context"
	"testing"
)

// BenchmarkTrace times one traceback of a 2K-token needle case per method
// on the default model (the seconds per trace of eval --suite trace), with
// the passes and the tokens they ran.
func BenchmarkTrace(b *testing.B) {
	e := defaultEngine(b)
	l := &Local{Model: e.Model, Tok: e.Tokenizer}
	cases, err := BenchCases(e.Tokenizer, BenchOptions{Lengths: []int{2048}, Cases: 1, Kinds: []string{"needle"}})
	if err != nil {
		b.Fatal(err)
	}
	for _, method := range []string{"attntrace", "tracllm", "denoised"} {
		b.Run(method, func(b *testing.B) {
			bound, err := l.Bind(cases[0].Problem, nil)
			if err != nil {
				b.Fatal(err)
			}
			passes, tokens0 := 0, l.Tokens()
			for b.Loop() {
				r, err := Run(context.Background(), bound, method, Options{})
				if err != nil {
					b.Fatal(err)
				}
				passes = r.Passes
			}
			b.ReportMetric(float64(passes), "passes/trace")
			b.ReportMetric(float64(l.Tokens()-tokens0)/float64(b.N), "tokens/trace")
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/trace")
		})
	}
}
