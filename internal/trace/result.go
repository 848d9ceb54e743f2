package trace

import "sort"

// Result is one method's traceback.
type Result struct {
	Method string
	// Scores holds each segment's score (higher = more responsible);
	// Scored is false where the method gave none (pruned by TracLLM's
	// search, never drawn by AttnTrace's subsampling).
	Scores []float64
	Scored []bool
	// Passes counts model passes (or endpoint calls) spent.
	Passes  int
	Seconds float64
	// Components are per-segment parts of the score (cam: attention and
	// importance); Summary holds per-trace numbers (cam: awareness).
	Components map[string][]float64
	Summary    map[string]float64
}

func newResult(method string, n int) *Result {
	return &Result{Method: method, Scores: make([]float64, n), Scored: make([]bool, n)}
}

// Ranking lists the scored segments, best first (ties: earlier first).
func (r *Result) Ranking() []int {
	var idx []int
	for i, ok := range r.Scored {
		if ok {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return r.Scores[idx[a]] > r.Scores[idx[b]] })
	return idx
}

// Top is the first k of Ranking.
func (r *Result) Top(k int) []int {
	rk := r.Ranking()
	return rk[:min(k, len(rk))]
}
