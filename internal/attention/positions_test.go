package attention

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// refRow is float64 attention of query head h at logical position p over
// logical positions ps, key j placed at keyPos(j) and the query at qPos.
func refRow(s *stream, layer, h, p int, ps []int, keyPos func(j int) float64, qPos float64) []float64 {
	g := s.g
	kvh := h / (g.heads / g.kvHeads)
	pos := make([]float64, len(ps))
	for i, j := range ps {
		pos[i] = keyPos(j)
	}
	q := s.q[layer][p*g.heads*g.hd+h*g.hd : p*g.heads*g.hd+(h+1)*g.hd]
	return refAttend(q, headRows(s.k[layer], ps, g.kvHeads, g.hd, kvh), headRows(s.v[layer], ps, g.kvHeads, g.hd, kvh),
		pos, qPos, 1/math.Sqrt(float64(g.hd)))
}

func compareRow(t *testing.T, got []float32, want []float64, tol float64, what string) {
	t.Helper()
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > tol {
			t.Fatalf("%s: dim %d = %g, reference %g", what, i, got[i], w)
		}
	}
}

// StreamingLLM: the cache keeps 4 sinks and a window of 32 in 52
// positions; every query attends to the sinks and the positions from
// min(chunk start, chunk end − window) on, with keys and query at their
// places in the cache (distances to the sinks shrink, distances inside
// the window stay true). Truncating into evicted positions and going on
// works.
func TestSinkWindowStream(t *testing.T) {
	g := geom{layers: 2, heads: 4, kvHeads: 2, hd: 32, ctx: 52}
	const sinks, window = 4, 32
	s := newStream(g, 200, 3)
	cfg := DefaultConfig()
	cfg.Name, cfg.Budget, cfg.Sinks = SinkWindow, sinks+window, sinks
	if got := cfg.CacheCtx(1000); got != 52 {
		t.Fatalf("CacheCtx = %d, want 52", got)
	}
	c, err := Wrap(cfg, g.cache(t, tensor.F32), g.info())
	if err != nil {
		t.Fatal(err)
	}
	sc := c.(*streamCache)
	check := func(from, to int) {
		t.Helper()
		out := s.run(t, c, from, to)
		if sc.inner.Len() > 52 {
			t.Fatalf("the cache holds %d positions, room for 52", sc.inner.Len())
		}
		keepFrom := max(min(from, to-window), sinks+sc.shift)
		for l := range g.layers {
			for i := from; i < to; i++ {
				ps := []int{}
				for j := 0; j < min(sinks, i+1); j++ {
					ps = append(ps, j)
				}
				for j := max(sinks, keepFrom); j <= i; j++ {
					ps = append(ps, j)
				}
				if to-from == 1 && keepFrom == to-window && len(ps) != sinks+window {
					t.Fatalf("decode at %d attends %d positions, want %d", i, len(ps), sinks+window)
				}
				place := func(j int) float64 {
					if j < sinks {
						return float64(j)
					}
					return float64(j - sc.shift)
				}
				for h := range g.heads {
					want := refRow(s, l, h, i, ps, place, place(i))
					row := out[l][(i-from)*g.heads*g.hd+h*g.hd:]
					compareRow(t, row, want, 1e-4, "sink+window")
				}
			}
		}
	}
	for p := 0; p < 40; p += 8 {
		check(p, p+8)
	}
	for p := 40; p < 150; p++ {
		check(p, p+1)
	}
	if sc.shift == 0 {
		t.Fatal("nothing was evicted")
	}
	check(150, 160) // a chunk after evictions
	c.Truncate(70)  // into the evicted positions: the sinks stay
	if c.Len() != 70 || sc.inner.Len() != sinks {
		t.Fatalf("after Truncate(70): Len %d, inner %d", c.Len(), sc.inner.Len())
	}
	check(70, 78)
	for p := 78; p < 120; p++ {
		check(p, p+1)
	}
	r := c.(Reporter).Report()
	if r.Layers[0].Evicted == 0 || r.KeptBytes > 52*sc.inner.Shape().PositionBytes() {
		t.Errorf("report: %+v", r)
	}
	// A chunk larger than the cache cannot be stored.
	if err := c.Store(0, 120, make([]float32, 60*64), make([]float32, 60*64), 60); err == nil {
		t.Error("a chunk of 60 positions fit a cache of 52")
	}
}

// LM-Infinite: each query attends to the first 3 positions and its last 20,
// and sinks further than the ceiling of 40 are seen at distance 40.
// The stored sink keys are left as they were (bit for bit, q8_0 too).
func TestLMInfinite(t *testing.T) {
	g := geom{layers: 2, heads: 4, kvHeads: 2, hd: 32, ctx: 120}
	const sinks, window, ceiling = 3, 20, 40
	s := newStream(g, g.ctx, 4)
	for _, elem := range []tensor.Type{tensor.F32, tensor.Q8_0} {
		cfg := DefaultConfig()
		cfg.Name, cfg.Budget, cfg.Sinks, cfg.Ceiling = LMInfinite, sinks+window, sinks, ceiling
		inner := g.cache(t, elem)
		c, err := Wrap(cfg, inner, g.info())
		if err != nil {
			t.Fatal(err)
		}
		twin := g.cache(t, elem)
		check := func(from, to int) {
			t.Helper()
			out := s.run(t, c, from, to)
			s.run(t, twin, from, to)
			if elem != tensor.F32 {
				return
			}
			for l := range g.layers {
				for i := from; i < to; i++ {
					var ps []int
					for j := 0; j <= i; j++ {
						if j < sinks || j > i-window {
							ps = append(ps, j)
						}
					}
					place := func(j int) float64 { return float64(i - min(i-j, ceiling)) }
					for h := range g.heads {
						compareRow(t, out[l][(i-from)*g.heads*g.hd+h*g.hd:], refRow(s, l, h, i, ps, place, float64(i)), 1e-4, fmt.Sprintf("lm-infinite layer %d row %d head %d", l, i, h))
					}
				}
			}
		}
		for p := 0; p < 75; p += 25 {
			check(p, p+25)
		}
		for p := 75; p < 100; p++ {
			check(p, p+1)
		}
		for l := range g.layers {
			for h := range g.kvHeads {
				got, want := make([]float32, sinks*g.hd), make([]float32, sinks*g.hd)
				if err := inner.ReadKeys(l, h, 0, sinks, got); err != nil {
					t.Fatal(err)
				}
				if err := twin.ReadKeys(l, h, 0, sinks, want); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%v: layer %d KV head %d: sink keys not restored", elem, l, h)
				}
			}
		}
		r := c.(Reporter).Report()
		if want := float64(sinks + window); r.Layers[0].Kept >= r.Layers[0].Visible || r.KeptBytes != int64(sinks+window)*inner.Shape().PositionBytes() {
			t.Errorf("%v: report kept %g of %g, kept bytes %d (want %g positions)", elem, r.Layers[0].Kept, r.Layers[0].Visible, r.KeptBytes, want)
		}
	}
}

var _ kv.Cache = (*streamCache)(nil)
