//go:build diag

package trace

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestConcurrentRounds(t *testing.T) {
	e := defaultEngine(t)
	cases, err := BenchCases(e.Tokenizer, BenchOptions{Lengths: []int{2048}, Cases: 1, Kinds: []string{"needle"}})
	if err != nil {
		t.Fatal(err)
	}
	run := func(workers int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := &Local{Model: e.Model, Tok: e.Tokenizer}
				b, _ := l.Bind(cases[0].Problem, nil)
				if _, err := AttnTrace(context.Background(), b, AttnTraceOptions{Rounds: 30 / workers, Seed: uint64(w)}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	for i := 0; i < 3; i++ {
		t.Logf("1 worker %v, 2 workers %v, 3 workers %v", run(1), run(2), run(3))
	}
}
