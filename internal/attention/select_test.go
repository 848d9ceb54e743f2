package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

func TestTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + r.IntN(60)
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.IntN(8)) // many ties
		}
		k := r.IntN(n + 3)
		var h []int
		got := topK(nil, &h, s, k)
		slices.Sort(got)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return s[idx[a]] > s[idx[b]] })
		want := slices.Clone(idx[:min(k, n)])
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: top %d of %v = %v, want %v", trial, k, s, got, want)
		}
	}
}

func TestPools(t *testing.T) {
	s := []float32{1, 5, 2, 0, 3, 9, 4}
	for _, c := range []struct {
		kernel int
		want   []float32
	}{
		{1, []float32{1, 5, 2, 0, 3, 9, 4}},
		{3, []float32{5, 5, 5, 3, 9, 9, 9}},
		// Even: window [i, i+2) with p = 0.
		{2, []float32{5, 5, 2, 3, 9, 9, 4}},
		{4, []float32{5, 5, 5, 9, 9, 9, 9}},
	} {
		got := make([]float32, len(s))
		maxPool(got, s, c.kernel)
		if !slices.Equal(got, c.want) {
			t.Errorf("maxPool kernel %d = %v, want %v", c.kernel, got, c.want)
		}
	}
	got := make([]float32, len(s))
	avgPool(got, s, 3) // zero padding counted: (0+1+5)/3, ...
	want := []float32{6.0 / 3, 8.0 / 3, 7.0 / 3, 5.0 / 3, 12.0 / 3, 16.0 / 3, 13.0 / 3}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("avgPool = %v, want %v", got, want)
		}
	}
}

// prefill stores positions [0, n) of s in c (and attends them) in chunks.
func prefill(t testing.TB, s *stream, c kv.Cache, n, chunk int) {
	t.Helper()
	for p := 0; p < n; p += chunk {
		s.run(t, c, p, min(n, p+chunk))
	}
}

// refSpans computes float64 attention of query head h of the last call
// (row 0 of position pos) over the positions spans lists, with true
// positions.
func refOverSpans(s *stream, layer, h, pos int, spans []kv.Span) []float64 {
	g := s.g
	var ps []int
	for _, sp := range spans {
		for p := sp.From; p < min(sp.To, pos+1); p++ {
			ps = append(ps, p)
		}
	}
	kvh := h / (g.heads / g.kvHeads)
	keys := headRows(s.k[layer], ps, g.kvHeads, g.hd, kvh)
	vals := headRows(s.v[layer], ps, g.kvHeads, g.hd, kvh)
	pos64 := make([]float64, len(ps))
	for i, p := range ps {
		pos64[i] = float64(p)
	}
	q := s.q[layer][pos*g.heads*g.hd+h*g.hd : pos*g.heads*g.hd+(h+1)*g.hd]
	return refAttend(q, keys, vals, pos64, float64(pos), 1/math.Sqrt(float64(g.hd)))
}

// checkOutput compares head h's output row with the reference over the
// policy's spans.
func checkOutput(t *testing.T, s *stream, out []float32, layer, h, pos int, spans []kv.Span, tol float64) {
	t.Helper()
	hd := s.g.hd
	want := refOverSpans(s, layer, h, pos, spans)
	for i, w := range want {
		if d := math.Abs(float64(out[h*hd+i]) - w); d > tol {
			t.Fatalf("head %d dim %d: %g, reference over the chosen positions %g", h, i, out[h*hd+i], w)
		}
	}
}

// rotatedDot is q(pos)·k(j) for head h, with true positions, in float64.
func rotatedDot(s *stream, layer, h, pos, j int) float64 {
	g := s.g
	kvh := h / (g.heads / g.kvHeads)
	q := append([]float32(nil), s.q[layer][pos*g.heads*g.hd+h*g.hd:pos*g.heads*g.hd+(h+1)*g.hd]...)
	testRope{}.rotate(q, 1, g.hd, float64(pos))
	k := append([]float32(nil), s.k[layer][j*g.kvHeads*g.hd+kvh*g.hd:j*g.kvHeads*g.hd+(kvh+1)*g.hd]...)
	testRope{}.rotate(k, 1, g.hd, float64(j))
	var d float64
	for i := range q {
		d += float64(q[i]) * float64(k[i])
	}
	return d
}

// refVote is the float64 soft vote of every head's query at pos over
// candidates [from, to): per-head softmax of raw dot products, summed.
func refVote(s *stream, pos, from, to int) []float64 {
	vote := make([]float64, to-from)
	for h := range s.g.heads {
		z := make([]float64, len(vote))
		mx := math.Inf(-1)
		for j := range z {
			z[j] = rotatedDot(s, 0, h, pos, from+j)
			mx = math.Max(mx, z[j])
		}
		sum := 0.0
		for j := range z {
			z[j] = math.Exp(z[j] - mx)
			sum += z[j]
		}
		for j := range z {
			vote[j] += z[j] / sum
		}
	}
	return vote
}

// checkChosen checks that the chosen items are the top k by score, up to
// items within tol of the k-th score.
func checkChosen(t *testing.T, what string, scores []float64, chosen map[int]bool, k int, tol float64) {
	t.Helper()
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	kth := scores[order[k-1]]
	for rank, j := range order {
		if in := chosen[j]; in != (rank < k) && math.Abs(scores[j]-kth) > tol*kth {
			t.Errorf("%s: item %d (rank %d, score %g, k-th %g) chosen=%v", what, j, rank, scores[j], kth, in)
		}
	}
}

// The soft vote picks what a float64 brute force picks (up to near ties),
// single tokens or aligned groups of 16, and attention over the selection
// matches a float64 reference, for the f32 (head width 16) and q8_0 (32)
// key mirrors.
func TestTokenSelectMatchesReference(t *testing.T) {
	for _, hd := range []int{16, 32} {
		for _, group := range []int{1, 16} {
			g := geom{layers: 1, heads: 4, kvHeads: 2, hd: hd, ctx: 300}
			s := newStream(g, g.ctx, 11)
			cfg := DefaultConfig()
			cfg.Name, cfg.Budget, cfg.Sinks, cfg.Window, cfg.SelectCache, cfg.SelectGroup = TokenSelect, 64, 4, 16, 2, group
			c, err := Wrap(cfg, g.cache(t, tensor.F32), g.info())
			if err != nil {
				t.Fatal(err)
			}
			prefill(t, s, c, 256, 64)
			pos := 256
			out := s.run(t, c, pos, pos+1)[0]
			ts := c.(*maskCache).layers[0].(*tokenSelect)
			lo := pos + 1 - 16 // candidates [4, 241), k = 44
			vote := refVote(s, pos, 4, lo)
			tol := 1e-6 // f32 mirror: only exact near-ties may differ
			if hd == 32 {
				tol = 0.05 // q8_0 mirror: scores within a few percent
			}
			what := fmt.Sprintf("hd %d group %d", hd, group)
			if group == 1 {
				chosen := map[int]bool{}
				for _, p := range ts.sel {
					chosen[p-4] = true
				}
				if len(ts.sel) != 44 {
					t.Fatalf("%s: selected %d positions, want 44", what, len(ts.sel))
				}
				checkChosen(t, what, vote, chosen, 44, tol)
			} else {
				// Groups 0..15 of 16 positions ([4, 16) and [240, 241) partial); 44/16 = 2 groups.
				sums := make([]float64, 16)
				for j, v := range vote {
					sums[(4+j)/16] += v
				}
				chosen := map[int]bool{}
				for _, p := range ts.sel {
					chosen[p/16] = true
				}
				if len(chosen) != 2 {
					t.Fatalf("%s: selected groups %v, want 2", what, chosen)
				}
				checkChosen(t, what, sums, chosen, 2, tol)
				for _, p := range ts.sel {
					if p < 4 || p >= lo {
						t.Fatalf("%s: selected position %d outside the candidates", what, p)
					}
				}
			}
			spans := ts.spans[0]
			for h := range g.heads {
				if !slices.Equal(ts.spans[h], spans) {
					t.Fatalf("heads choose different positions")
				}
				checkOutput(t, s, out, 0, h, pos, spans, 1e-5)
			}
			if got := countUpTo(spans, pos+1); got > 64 {
				t.Errorf("%s: attended %d positions, budget 64", what, got)
			}
		}
	}
}

// A key planted to match one head's query wins the vote however far back
// it is.
func TestTokenSelectPlantedKey(t *testing.T) {
	g := geom{layers: 1, heads: 4, kvHeads: 2, hd: 32, ctx: 1100}
	s := newStream(g, g.ctx, 5)
	const needle, pos = 37, 1024
	// The needle's key of KV head 1, once rotated for its position, is
	// the rotated query of head 3 scaled up.
	q := rotated(s.q[0], pos, pos+1, g.heads, g.hd)[3*g.hd : 4*g.hd]
	k := append([]float32(nil), q...)
	testRope{}.rotate(k, 1, g.hd, float64(-needle)) // un-rotate for its position
	for i := range k {
		s.k[0][needle*g.kvHeads*g.hd+g.hd+i] = 10 * k[i] / float32(math.Sqrt(float64(g.hd)))
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.Budget, cfg.Sinks, cfg.Window, cfg.SelectCache = TokenSelect, 64, 4, 16, 2
	c, err := Wrap(cfg, g.cache(t, tensor.F16), g.info())
	if err != nil {
		t.Fatal(err)
	}
	prefill(t, s, c, pos, 256)
	s.run(t, c, pos, pos+1)
	if sel := c.(*maskCache).layers[0].(*tokenSelect).sel; !slices.Contains(sel, needle) {
		t.Fatalf("needle %d not among the selected %v", needle, sel)
	}
}

// The selection cache reuses more as its threshold falls; above 1 it
// never reuses.
func TestSelectionCacheHitRate(t *testing.T) {
	g := geom{layers: 1, heads: 4, kvHeads: 2, hd: 32, ctx: 400}
	s := newStream(g, g.ctx, 9)
	// Queries drift slowly: each decode query is the previous one plus
	// noise, so consecutive cosines are high but fall with distance.
	r := rand.New(rand.NewPCG(1, 1))
	w := g.heads * g.hd
	for p := 301; p < 364; p++ {
		for i := range w {
			s.q[0][p*w+i] = s.q[0][(p-1)*w+i] + 0.25*float32(r.NormFloat64())
		}
	}
	prev := int64(-1)
	for _, th := range []float64{1.5, 0.99, 0.95, 0.9, 0.7, -1} {
		cfg := DefaultConfig()
		cfg.Name, cfg.Budget, cfg.Sinks, cfg.Window, cfg.SelectCache = TokenSelect, 64, 4, 16, th
		c, err := Wrap(cfg, g.cache(t, tensor.F32), g.info())
		if err != nil {
			t.Fatal(err)
		}
		prefill(t, s, c, 300, 100)
		for p := 300; p < 364; p++ {
			s.run(t, c, p, p+1)
		}
		l := c.(Reporter).Report().Layers[0]
		if l.Reused < prev {
			t.Errorf("threshold %g: %d reused, fewer than %d at a higher threshold", th, l.Reused, prev)
		}
		if th > 1 && l.Reused != 0 || th < 0 && l.Selections != 1 {
			t.Errorf("threshold %g: %d selections, %d reused", th, l.Selections, l.Reused)
		}
		prev = l.Reused
	}
	if prev == 0 {
		t.Fatal("the cache never hit")
	}
}

// Quest's block score upper-bounds every key of the block, and the mean
// score is q·(mean key).
func TestQuestBound(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const hd, n = 32, 16
	q := &quest{width: 2 * hd}
	for trial := range 100 {
		keys := make([]float32, n*hd)
		for i := range keys {
			keys[i] = float32(r.NormFloat64()) * float32(1+trial%5)
		}
		qv := make([]float32, hd)
		for i := range qv {
			qv[i] = float32(r.NormFloat64())
		}
		for _, mean := range []bool{false, true} {
			q.mean, q.width = mean, 2*hd
			if mean {
				q.width = hd
			}
			sum := summarize(make([]float32, q.width), keys, n, hd, mean)
			x := make([]float32, q.width)
			q.scoreRow(x, qv)
			score := make([]float32, 1)
			if err := tensor.MatMul(score, f32Bytes(sum), tensor.F32, 1, q.width, x, 1); err != nil {
				t.Fatal(err)
			}
			best, avg := math.Inf(-1), 0.0
			for j := range n {
				var d float64
				for i := range hd {
					d += float64(qv[i]) * float64(keys[j*hd+i])
				}
				best = math.Max(best, d)
				avg += d / n
			}
			if !mean && float64(score[0]) < best-1e-4*math.Abs(best) {
				t.Fatalf("trial %d: bound %g below the block's best score %g", trial, score[0], best)
			}
			if mean && math.Abs(float64(score[0])-avg) > 1e-4*(1+math.Abs(avg)) {
				t.Fatalf("trial %d: mean score %g, want %g", trial, score[0], avg)
			}
		}
	}
}

// Each head attends to the blocks a float64 brute force ranks best, plus
// the sinks and the recent positions, and the output matches a reference
// over them. With --quest-refine R the brute force ranks the ⌈R·kb⌉ best
// by score again by their best key; R large enough makes every block a
// candidate: the exact best blocks.
func TestQuestMatchesReference(t *testing.T) {
	g := geom{layers: 1, heads: 4, kvHeads: 2, hd: 32, ctx: 600}
	s := newStream(g, g.ctx, 21)
	for _, mode := range []struct {
		score   string
		perHead bool
		refine  float64
	}{{"bound", true, 0}, {"mean", true, 0}, {"bound", false, 0}, {"mean", false, 0},
		{"bound", false, 2}, {"bound", true, 1.5}, {"bound", false, 100}, {"mean", true, 100}} {
		score := mode.score
		cfg := DefaultConfig()
		cfg.Name, cfg.Budget, cfg.BlockScore, cfg.PerHead, cfg.Refine = Quest, 128, score, mode.perHead, mode.refine
		c, err := Wrap(cfg, g.cache(t, tensor.F32), g.info())
		if err != nil {
			t.Fatal(err)
		}
		prefill(t, s, c, 520, 130)
		pos := 520
		out := s.run(t, c, pos, pos+1)[0]
		qp := c.(*maskCache).layers[0].(*quest)
		// Sinks 16 = block 0; recent: blocks from (521-16)/16 = 31 on, i.e.
		// [496, 521); candidates blocks 1..30; budget 128-16-25 = 87 -> 5 blocks.
		const b0, b1, kb = 1, 31, 5
		// Float64 score of block b for query head h, from the rotated keys.
		blockScore := func(h, b int) float64 {
			kvh := h / 2
			q := rotated(s.q[0], pos, pos+1, g.heads, g.hd)[h*g.hd : (h+1)*g.hd]
			keys := rotated(s.k[0], b*16, b*16+16, g.kvHeads, g.hd)
			v := 0.0
			for i := range g.hd {
				hi, lo, sum := math.Inf(-1), math.Inf(1), 0.0
				for t := range 16 {
					x := float64(keys[t*g.kvHeads*g.hd+kvh*g.hd+i])
					hi, lo, sum = math.Max(hi, x), math.Min(lo, x), sum+x
				}
				if score == "mean" {
					v += float64(q[i]) * sum / 16
				} else {
					v += math.Max(float64(q[i])*hi, float64(q[i])*lo)
				}
			}
			return v
		}
		// Float64 best key score of block b for query head h.
		exactScore := func(h, b int) float64 {
			kvh := h / 2
			q := rotated(s.q[0], pos, pos+1, g.heads, g.hd)[h*g.hd : (h+1)*g.hd]
			keys := rotated(s.k[0], b*16, b*16+16, g.kvHeads, g.hd)
			best := math.Inf(-1)
			for t := range 16 {
				v := 0.0
				for i := range g.hd {
					v += float64(q[i]) * float64(keys[t*g.kvHeads*g.hd+kvh*g.hd+i])
				}
				best = math.Max(best, v)
			}
			return best
		}
		for h := range g.heads {
			type blk struct {
				b int
				v float64
			}
			var bs []blk
			for b := b0; b < b1; b++ {
				v := blockScore(h, b)
				if !mode.perHead { // the best of the KV head's query heads
					v = math.Max(blockScore(h/2*2, b), blockScore(h/2*2+1, b))
				}
				bs = append(bs, blk{b, v})
			}
			sort.Slice(bs, func(i, j int) bool { return bs[i].v > bs[j].v })
			if mode.refine > 1 {
				bs = bs[:min(len(bs), int(math.Ceil(mode.refine*kb)))]
				for i, x := range bs {
					bs[i].v = exactScore(h, x.b)
					if !mode.perHead {
						bs[i].v = math.Max(exactScore(h/2*2, x.b), exactScore(h/2*2+1, x.b))
					}
				}
				sort.Slice(bs, func(i, j int) bool { return bs[i].v > bs[j].v })
			}
			var want []kv.Span
			want = addSpan(want, 0, 16)
			top := bs[:kb]
			sort.Slice(top, func(i, j int) bool { return top[i].b < top[j].b })
			for _, x := range top {
				want = addSpan(want, x.b*16, x.b*16+16)
			}
			want = addSpan(want, 496, 521)
			if !slices.Equal(qp.spans[h], want) {
				t.Errorf("%+v head %d: spans %v, brute force %v", mode, h, qp.spans[h], want)
			}
			checkOutput(t, s, out, 0, h, pos, qp.spans[h], 1e-5)
		}
	}
}

// Over an f16 cache the bound summaries are stored as f16, and exactly:
// the maxima and minima of f16 keys are f16 values.
func TestQuestF16SummariesExact(t *testing.T) {
	g := geom{layers: 1, heads: 4, kvHeads: 2, hd: 32, ctx: 600}
	s := newStream(g, g.ctx, 23)
	cfg := DefaultConfig()
	cfg.Name, cfg.Budget = Quest, 128
	inner := g.cache(t, tensor.F16)
	c, err := Wrap(cfg, inner, g.info())
	if err != nil {
		t.Fatal(err)
	}
	prefill(t, s, c, 520, 130)
	s.run(t, c, 520, 521)
	qp := c.(*maskCache).layers[0].(*quest)
	if qp.sumType != tensor.F16 || qp.nb == 0 {
		t.Fatalf("summaries of type %v, %d blocks", qp.sumType, qp.nb)
	}
	keys := make([]float32, 16*g.hd)
	for kvh := range g.kvHeads {
		for b := range qp.nb {
			if err := inner.ReadKeys(0, kvh, b*16, b*16+16, keys); err != nil {
				t.Fatal(err)
			}
			want := summarize(make([]float32, qp.width), keys, 16, g.hd, false)
			row := qp.grouped[kvh].Vector(nil, b)
			for i, w := range want {
				if got := row[i]; got != w {
					t.Fatalf("KV head %d block %d value %d: f16 summary %g, keys give %g", kvh, b, i, got, w)
				}
			}
		}
	}
}

// The key mirror's packed rows follow a truncation: after forget and new
// keys in the forgotten positions, scores equal those of the rows in the
// file layout.
func TestMirrorForgetRepacks(t *testing.T) {
	g := geom{layers: 1, heads: 4, kvHeads: 2, hd: 32, ctx: 200}
	c := g.cache(t, tensor.F16)
	r := rand.New(rand.NewPCG(41, 42))
	rows := func(n int) []float32 {
		x := make([]float32, n*g.kvHeads*g.hd)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	if err := c.Store(0, 0, rows(150), rows(150), 150); err != nil {
		t.Fatal(err)
	}
	m := newKeyMirror(c.Shape())
	if err := m.sync(c, 0); err != nil {
		t.Fatal(err)
	}
	c.Truncate(61)
	m.forget(61)
	if err := c.Store(0, 61, rows(100), rows(100), 100); err != nil {
		t.Fatal(err)
	}
	if err := m.sync(c, 0); err != nil {
		t.Fatal(err)
	}
	x := rows(2)[:2*g.hd]
	for kvh := range g.kvHeads {
		got, want := make([]float32, 2*(161-3)), make([]float32, 2*(161-3))
		if err := m.scores(got, kvh, 3, 161, x, 2); err != nil {
			t.Fatal(err)
		}
		if err := tensor.MatMul(want, m.rows[kvh][3*m.rowBytes:161*m.rowBytes], m.typ, 161-3, g.hd, x, 2); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("KV head %d score %d: %g, file layout %g", kvh, i, got[i], want[i])
			}
		}
	}
}
