package trace

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/longctx/longctx/internal/kv"
)

// fakeAttention lays segment i out as 3 + i%4 tokens after a 2-token
// preamble, and gives its tokens the attention values tokens(i), divided
// among the kept segments (attention is dispersed over competitors).
type fakeAttention struct {
	subsets [][]int
}

func fakeTokens(i int) []float64 {
	v := make([]float64, 3+i%4)
	for j := range v {
		v[j] = 0.01 * float64(j+1)
	}
	if i == 7 { // the segment the answer copies from
		v[1] = 0.9
	}
	return v
}

func (f *fakeAttention) layout(keep []int) (layout, error) {
	f.subsets = append(f.subsets, append([]int(nil), keep...))
	lay := layout{context: kv.Span{From: 2, To: 2}}
	for _, i := range keep {
		n := len(fakeTokens(i))
		lay.segs = append(lay.segs, kv.Span{From: lay.context.To, To: lay.context.To + n})
		lay.context.To += n
	}
	lay.prompt = lay.context.To + 4
	lay.tokens = make([]int32, lay.prompt+2)
	return lay, nil
}

func (f *fakeAttention) attention(_ context.Context, lay layout) ([]float64, error) {
	keep := f.subsets[len(f.subsets)-1]
	var a []float64
	for _, i := range keep {
		for _, v := range fakeTokens(i) {
			a = append(a, v/float64(len(keep)))
		}
	}
	return a, nil
}

func TestAttnTraceAggregation(t *testing.T) {
	const n = 20
	f := &fakeAttention{}
	res, err := attnTrace(context.Background(), f, n, AttnTraceOptions{TopTokens: 2, Fraction: 0.4, Rounds: 12, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passes != 12 || len(f.subsets) != 12 {
		t.Fatalf("%d passes, %d subsets; want 12 rounds", res.Passes, len(f.subsets))
	}
	drawn := make([]bool, n)
	for _, s := range f.subsets {
		if len(s) != 8 || !sort.IntsAreSorted(s) {
			t.Fatalf("subset %v: want ⌊0.4·20⌋ = 8 segments in document order", s)
		}
		for _, i := range s {
			drawn[i] = true
		}
	}
	for i := 0; i < n; i++ {
		if res.Scored[i] != drawn[i] {
			t.Fatalf("segment %d scored=%v, drawn=%v", i, res.Scored[i], drawn[i])
		}
		if !drawn[i] {
			continue
		}
		// Every round keeps 8, so the score is the top-2 mean over 8.
		v := fakeTokens(i)
		sort.Sort(sort.Reverse(sort.Float64Slice(v)))
		if want := (v[0] + v[1]) / 2 / 8; math.Abs(res.Scores[i]-want) > 1e-15 {
			t.Fatalf("segment %d: score %g, want %g", i, res.Scores[i], want)
		}
	}
	if !drawn[7] || res.Ranking()[0] != 7 {
		t.Fatalf("ranking %v: want the copied segment 7 first", res.Ranking())
	}

	// Seeds reproduce the subsets; another seed draws others.
	subsets := func(seed uint64) string {
		f := &fakeAttention{}
		if _, err := attnTrace(context.Background(), f, n, AttnTraceOptions{Seed: seed}); err != nil {
			t.Fatal(err)
		}
		if len(f.subsets) != 30 {
			t.Fatalf("default rounds: %d, want 30", len(f.subsets))
		}
		return fmt.Sprint(f.subsets)
	}
	if subsets(1) != subsets(1) || subsets(1) == subsets(2) {
		t.Fatal("seeded subsampling is not reproducible, or ignores the seed")
	}

	// ρ = 1 keeps everything: one pass, plain top-K averaging.
	f = &fakeAttention{}
	res, _ = attnTrace(context.Background(), f, n, AttnTraceOptions{Fraction: 1, Rounds: 30})
	if res.Passes != 1 || len(f.subsets[0]) != n {
		t.Fatalf("ρ=1: %d passes over %d segments", res.Passes, len(f.subsets[0]))
	}
	for _, bad := range []AttnTraceOptions{{Fraction: 1.5}, {TopTokens: -1}, {Rounds: -2}} {
		if _, err := attnTrace(context.Background(), f, n, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
}
