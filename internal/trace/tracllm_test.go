package trace

import (
	"context"
	"math"
	"testing"
)

// tableValue is a value function given by a table over subsets (bit i =
// segment i kept); it records the subsets asked for.
type tableValue struct {
	v     func(mask int) float64
	calls int
}

func (tv *tableValue) value(_ context.Context, keep []int) (float64, error) {
	tv.calls++
	m := 0
	for _, i := range keep {
		m |= 1 << i
	}
	return tv.v(m), nil
}

// exactShapley is the subset formula: Σ_S |S|!(n−|S|−1)!/n! (v(S∪i) − v(S)).
func exactShapley(n int, v func(mask int) float64) []float64 {
	fact := func(k int) float64 {
		f := 1.0
		for i := 2; i <= k; i++ {
			f *= float64(i)
		}
		return f
	}
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		for s := 0; s < 1<<n; s++ {
			if s&(1<<i) != 0 {
				continue
			}
			k := 0
			for b := s; b != 0; b &= b - 1 {
				k++
			}
			out[i] += fact(k) * fact(n-k-1) / fact(n) * (v(s|1<<i) - v(s))
		}
	}
	return out
}

// A non-additive game: interactions between segments 0 and 2, and 1 and 3.
func game(m int) float64 {
	has := func(i int) bool { return m&(1<<i) != 0 }
	v := 0.0
	for i, w := range []float64{1.5, -0.5, 2, 0.25} {
		if has(i) {
			v += w
		}
	}
	if has(0) && has(2) {
		v += 3
	}
	if has(1) && !has(3) {
		v -= 1.25
	}
	return v
}

func TestShapleyOnFourSegmentsIsExact(t *testing.T) {
	want := exactShapley(4, game)
	tv := &tableValue{v: game}
	// n = 4 <= K: the search scores the four singles once; 24 >= 4!
	// permutations enumerates them all.
	res, err := TracLLM(context.Background(), tv.value, 4, TracLLMOptions{Score: "shapley", K: 5, Permutations: 24})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i := range want {
		if !res.Scored[i] || math.Abs(res.Scores[i]-want[i]) > 1e-12 {
			t.Fatalf("Shapley %v, brute force %v", res.Scores, want)
		}
		sum += res.Scores[i]
	}
	if math.Abs(sum-(game(15)-game(0))) > 1e-12 {
		t.Fatalf("Shapley values sum to %g, want v(all)−v(∅) = %g", sum, game(15)-game(0))
	}
	if res.Passes != 16 || tv.calls != 16 {
		t.Fatalf("%d passes, %d calls: every one of the 16 subsets exactly once", res.Passes, tv.calls)
	}
	// Monte Carlo with many permutations converges on the exact values.
	mc, err := TracLLM(context.Background(), (&tableValue{v: game}).value, 4, TracLLMOptions{Score: "shapley", K: 5, Permutations: 23, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(mc.Scores[i]-want[i]) > 1 {
			t.Fatalf("MC Shapley %v far from exact %v", mc.Scores, want)
		}
	}
}

func TestSTCAndLOO(t *testing.T) {
	ctx := context.Background()
	stc, _ := TracLLM(ctx, (&tableValue{v: game}).value, 4, TracLLMOptions{Score: "stc"})
	loo, _ := TracLLM(ctx, (&tableValue{v: game}).value, 4, TracLLMOptions{Score: "loo"})
	wantSTC := []float64{1.5, -1.75, 2, 0.25}       // v({i}) − v(∅)
	wantLOO := []float64{4.5, -0.5, 5, 0.25 + 1.25} // v(all) − v(all∖i)
	for i := range wantSTC {
		if stc.Scores[i] != wantSTC[i] || loo.Scores[i] != wantLOO[i] {
			t.Fatalf("STC %v (want %v), LOO %v (want %v)", stc.Scores, wantSTC, loo.Scores, wantLOO)
		}
	}
	if stc.Method != "stc" || loo.Method != "loo" {
		t.Fatalf("methods %s %s", stc.Method, loo.Method)
	}
}

func TestDenoisedShapleyAveragesTopMarginals(t *testing.T) {
	// Segment 1 matters only when segment 0 is absent (a poisoned passage
	// shadowed by the real one): its marginals are 4 in the permutations
	// where it comes before 0, else 0.
	v := func(m int) float64 {
		if m&1 != 0 || m&2 != 0 {
			return 4
		}
		return 0
	}
	ctx := context.Background()
	plain, _ := TracLLM(ctx, (&tableValue{v: v}).value, 2, TracLLMOptions{Score: "shapley", Permutations: 2})
	den, _ := TracLLM(ctx, (&tableValue{v: v}).value, 2, TracLLMOptions{Score: "denoised", Permutations: 2, Beta: 0.5})
	if plain.Scores[1] != 2 || den.Scores[1] != 4 || den.Method != "denoised" {
		t.Fatalf("Shapley %v, denoised %v (%s): want 2 and 4 for segment 1", plain.Scores, den.Scores, den.Method)
	}
}

func TestInformedSearchFindsPlantedSegment(t *testing.T) {
	ctx := context.Background()
	for _, score := range ScoreFuncs {
		for _, n := range []int{1, 5, 9, 37, 100} {
			target := n * 2 / 3
			tv := &tableValue{}
			val := func(_ context.Context, keep []int) (float64, error) {
				tv.calls++
				for _, i := range keep {
					if i == target {
						return 10, nil
					}
				}
				return 0, nil
			}
			res, err := TracLLM(ctx, val, n, TracLLMOptions{Score: score, K: 3, Permutations: 4, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			rk := res.Ranking()
			if len(rk) == 0 || rk[0] != target || len(rk) > 3 {
				t.Fatalf("%s n=%d: ranking %v, want %d first and at most K=3 scored", score, n, rk, target)
			}
			if n == 100 && tv.calls > 400 {
				t.Fatalf("%s: %d evaluations for 100 segments; the search should need O(K log n)", score, tv.calls)
			}
		}
	}
}

func TestEnsembleTakesMaxOfWeightedScores(t *testing.T) {
	// Additive game: STC = LOO = Shapley = weight; the ensemble gives LOO
	// twice the weight, so every score doubles.
	w := []float64{0.5, 3, 1, 2}
	v := func(m int) float64 {
		s := 0.0
		for i := range w {
			if m&(1<<i) != 0 {
				s += w[i]
			}
		}
		return s
	}
	res, err := TracLLM(context.Background(), (&tableValue{v: v}).value, 4, TracLLMOptions{Score: "ensemble", K: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		if math.Abs(res.Scores[i]-2*w[i]) > 1e-12 {
			t.Fatalf("ensemble %v, want 2×%v", res.Scores, w)
		}
	}
	if rk := res.Ranking(); rk[0] != 1 || rk[1] != 3 {
		t.Fatalf("ranking %v", rk)
	}
}

func TestTracLLMSeededRunsReproduce(t *testing.T) {
	v := func(m int) float64 { return game(m&15) + float64(m>>4&7)*0.3 - float64(m>>7&1)*2 }
	run := func(seed uint64) []float64 {
		res, err := TracLLM(context.Background(), (&tableValue{v: v}).value, 8, TracLLMOptions{Score: "shapley", K: 8, Permutations: 5, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return res.Scores
	}
	a, b, c := run(3), run(3), run(4)
	same := func(x, y []float64) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatalf("seed 3 gave %v then %v", a, b)
	}
	if same(a, c) {
		t.Fatalf("seeds 3 and 4 gave the same Monte Carlo scores %v", a)
	}
}

func TestTracLLMOptionErrors(t *testing.T) {
	v := (&tableValue{v: game}).value
	for _, o := range []TracLLMOptions{{Score: "lime"}, {K: -1}, {Beta: 2}, {Permutations: -3}} {
		if _, err := TracLLM(context.Background(), v, 4, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := TracLLM(context.Background(), v, 0, TracLLMOptions{}); err == nil {
		t.Error("zero segments accepted")
	}
}
