package trace

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ValueFunc is TracLLM's value function v(S): the summed log-probability
// of the answer when the document holds only the kept segments (indices
// in increasing order; empty = no document).
type ValueFunc func(ctx context.Context, keep []int) (float64, error)

// TracLLMOptions are TracLLM's knobs; zero values take the defaults of
// the reference code's experiments.
type TracLLMOptions struct {
	// Score is the score function of the informed search: "stc", "loo",
	// "shapley", "denoised" (denoised Shapley, TracLLM's own) or
	// "ensemble" (stc, loo and denoised, max of weighted scores: the
	// authors' default, and ours).
	Score        string
	K            int     // segments kept per search level and reported (5)
	Permutations int     // Shapley permutations N (20); N >= r! enumerates all r! (exact)
	Beta         float64 // denoised Shapley averages the top β of the N marginals (0.2)
	LOOWeight    float64 // ensemble weight of LOO, whose values run smaller (2)
	Seed         uint64
	// Workers is how many values v(S) are computed at once (0: one; Run
	// sets what the backend runs well). It changes the time, never the
	// scores: each score function's values are computed up front.
	Workers int `json:"-"`
}

// ScoreFuncs are the values TracLLMOptions.Score takes.
var ScoreFuncs = []string{"stc", "loo", "shapley", "denoised", "ensemble"}

func (o TracLLMOptions) withDefaults() (TracLLMOptions, error) {
	if o.Score == "" {
		o.Score = "ensemble"
	}
	if o.K == 0 {
		o.K = 5
	}
	if o.Permutations == 0 {
		o.Permutations = 20
	}
	if o.Beta == 0 {
		o.Beta = 0.2
	}
	if o.LOOWeight == 0 {
		o.LOOWeight = 2
	}
	known := false
	for _, s := range ScoreFuncs {
		known = known || s == o.Score
	}
	if !known {
		return o, fmt.Errorf("trace: unknown TracLLM score function %q (want %s)", o.Score, strings.Join(ScoreFuncs, ", "))
	}
	if o.K < 1 || o.Permutations < 1 || !(o.Beta > 0 && o.Beta <= 1) || !(o.LOOWeight > 0) || math.IsInf(o.LOOWeight, 1) {
		return o, fmt.Errorf("trace: TracLLM needs K >= 1, permutations >= 1, β in (0, 1] and a positive LOO weight")
	}
	return o, nil
}

// memo caches v(S) by subset: Shapley walks revisit subsets (v(∅) in
// every permutation), and the ensemble's searches share most of theirs.
// Each score function first prefetches the values it will read, workers
// at a time, then reads them in its own order.
type memo struct {
	v       ValueFunc
	workers int
	mu      sync.Mutex
	cache   map[string]float64
	calls   int
}

func subsetKey(keep []int) string {
	var b strings.Builder
	for _, i := range keep {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
	}
	return b.String()
}

// value is v(keep); −∞ (or NaN) becomes −1000, as in the reference.
func (m *memo) value(ctx context.Context, keep []int) (float64, error) {
	k := subsetKey(keep)
	m.mu.Lock()
	x, ok := m.cache[k]
	m.mu.Unlock()
	if ok {
		return x, nil
	}
	x, err := m.v(ctx, keep)
	if err != nil {
		return 0, err
	}
	if math.IsInf(x, -1) || math.IsNaN(x) {
		x = -1000
	}
	m.mu.Lock()
	if _, ok := m.cache[k]; !ok {
		m.cache[k] = x
		m.calls++
	}
	m.mu.Unlock()
	return x, nil
}

// prefetch computes the values of the subsets not cached yet, each once,
// m.workers at a time.
func (m *memo) prefetch(ctx context.Context, subsets [][]int) error {
	if m.workers <= 1 {
		return nil // value computes them in order as they are read
	}
	seen := map[string]bool{}
	var todo [][]int
	m.mu.Lock()
	for _, s := range subsets {
		k := subsetKey(s)
		if _, ok := m.cache[k]; !ok && !seen[k] {
			seen[k] = true
			todo = append(todo, s)
		}
	}
	m.mu.Unlock()
	return forEach(ctx, len(todo), m.workers, func(i int) error {
		_, err := m.value(ctx, todo[i])
		return err
	})
}

// union joins the items picked by in (items are disjoint and in document
// order, so the result is sorted).
func union(items [][]int, in func(i int) bool) []int {
	out := []int{}
	for i, it := range items {
		if in(i) {
			out = append(out, it...)
		}
	}
	return out
}

type scoreFunc func(ctx context.Context, items [][]int) ([]float64, error)

func (m *memo) stc(ctx context.Context, items [][]int) ([]float64, error) {
	if err := m.prefetch(ctx, append([][]int{nil}, items...)); err != nil {
		return nil, err
	}
	v0, err := m.value(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(items))
	for i, it := range items {
		v, err := m.value(ctx, it)
		if err != nil {
			return nil, err
		}
		out[i] = v - v0
	}
	return out, nil
}

func (m *memo) loo(ctx context.Context, items [][]int) ([]float64, error) {
	need := [][]int{union(items, func(int) bool { return true })}
	for i := range items {
		need = append(need, union(items, func(j int) bool { return j != i }))
	}
	if err := m.prefetch(ctx, need); err != nil {
		return nil, err
	}
	all, err := m.value(ctx, need[0])
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(items))
	for i := range items {
		v, err := m.value(ctx, union(items, func(j int) bool { return j != i }))
		if err != nil {
			return nil, err
		}
		out[i] = all - v
	}
	return out, nil
}

// marginals walks permutations of the items and returns each item's
// marginal contributions v(pred ∪ {i}) − v(pred). With perms >= r! it
// walks all r! permutations once (exact Shapley); otherwise perms seeded
// random ones.
func (m *memo) marginals(ctx context.Context, items [][]int, perms int, r *rng) ([][]float64, error) {
	n := len(items)
	var order [][]int
	if f := factorial(n); f > 0 && f <= perms {
		order = allPerms(n)
	} else {
		for range perms {
			order = append(order, r.perm(n))
		}
	}
	marg := make([][]float64, n)
	in := make([]bool, n)
	need := [][]int{nil}
	for _, p := range order {
		clear(in)
		for _, i := range p {
			in[i] = true
			need = append(need, union(items, func(j int) bool { return in[j] }))
		}
	}
	if err := m.prefetch(ctx, need); err != nil {
		return nil, err
	}
	for _, p := range order {
		clear(in)
		prev, err := m.value(ctx, nil)
		if err != nil {
			return nil, err
		}
		for _, i := range p {
			in[i] = true
			cur, err := m.value(ctx, union(items, func(j int) bool { return in[j] }))
			if err != nil {
				return nil, err
			}
			marg[i] = append(marg[i], cur-prev)
			prev = cur
		}
	}
	return marg, nil
}

// factorial is n!, or 0 when it exceeds 1e6.
func factorial(n int) int {
	f := 1
	for i := 2; i <= n; i++ {
		if f *= i; f > 1e6 {
			return 0
		}
	}
	return f
}

// allPerms lists the permutations of 0..n-1 in lexicographic order.
func allPerms(n int) [][]int {
	var out [][]int
	p := make([]int, n)
	used := make([]bool, n)
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			out = append(out, append([]int(nil), p...))
			return
		}
		for i := 0; i < n; i++ {
			if !used[i] {
				used[i], p[k] = true, i
				rec(k + 1)
				used[i] = false
			}
		}
	}
	rec(0)
	return out
}

func (m *memo) shapley(perms int, beta float64, r *rng) scoreFunc {
	return func(ctx context.Context, items [][]int) ([]float64, error) {
		marg, err := m.marginals(ctx, items, perms, r)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(items))
		for i, ms := range marg {
			if beta < 1 { // denoised: the top β share of the marginals
				ms = append([]float64(nil), ms...)
				sort.Sort(sort.Reverse(sort.Float64Slice(ms)))
				ms = ms[:max(1, int(beta*float64(len(ms))+1e-9))]
			}
			var s float64
			for _, x := range ms {
				s += x
			}
			out[i] = s / float64(len(ms))
		}
		return out, nil
	}
}

// search is TracLLM's informed search: halve every group, and while there
// are more than K groups keep the K best-scored (in document order), until
// only single segments are left. It returns them with their scores; when
// the last halving left no more than K groups (so the singles were not
// scored as singles), they are scored once more.
func search(ctx context.Context, n, k int, score scoreFunc) ([]int, []float64, error) {
	nodes := [][]int{make([]int, n)}
	for i := range nodes[0] {
		nodes[0][i] = i
	}
	var scores []float64
	fresh := false
	for {
		split := false
		var children [][]int
		for _, nd := range nodes {
			if len(nd) > 1 {
				h := len(nd) / 2
				children = append(children, nd[:h], nd[h:])
				split = true
			} else {
				children = append(children, nd)
			}
		}
		if !split {
			break
		}
		nodes, fresh = children, false
		if len(children) <= k {
			continue
		}
		sc, err := score(ctx, children)
		if err != nil {
			return nil, nil, err
		}
		idx := make([]int, len(children))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return sc[idx[a]] > sc[idx[b]] })
		idx = idx[:k]
		sort.Ints(idx)
		nodes, scores = nodes[:0:0], scores[:0:0]
		for _, i := range idx {
			nodes = append(nodes, children[i])
			scores = append(scores, sc[i])
		}
		fresh = true
	}
	if !fresh {
		var err error
		if scores, err = score(ctx, nodes); err != nil {
			return nil, nil, err
		}
	}
	out := make([]int, len(nodes))
	for i, nd := range nodes {
		out[i] = nd[0]
	}
	return out, scores, nil
}

// TracLLM ranks the n segments with the informed search (Wang et al.,
// USENIX Security 2025) over v. Segments pruned by the search are left
// unscored.
func TracLLM(ctx context.Context, v ValueFunc, n int, o TracLLMOptions) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("trace: no segments to trace")
	}
	start := time.Now()
	m := &memo{v: v, workers: o.Workers, cache: map[string]float64{}}
	fn := func(name string) scoreFunc {
		r := newRNG(o.Seed, "tracllm/"+name)
		switch name {
		case "stc":
			return m.stc
		case "loo":
			return m.loo
		case "shapley":
			return m.shapley(o.Permutations, 1, r)
		}
		return m.shapley(o.Permutations, o.Beta, r)
	}
	res := newResult(o.Score, n)
	names := []string{o.Score}
	if o.Score == "ensemble" {
		names = []string{"stc", "loo", "denoised"}
	}
	for _, name := range names {
		segs, sc, err := search(ctx, n, o.K, fn(name))
		if err != nil {
			return nil, err
		}
		w := 1.0
		if name == "loo" && o.Score == "ensemble" {
			w = o.LOOWeight
		}
		for i, s := range segs {
			if x := w * sc[i]; !res.Scored[s] || x > res.Scores[s] {
				res.Scores[s], res.Scored[s] = x, true
			}
		}
	}
	res.Passes = m.calls
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
