package attention

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

// fullBudget is every policy with a budget that covers the contexts of
// these tests (and presses with ratio 0).
func fullBudget(t testing.TB) []Config {
	t.Helper()
	var out []Config
	add := func(name string, set func(*Config)) {
		c := DefaultConfig()
		c.Name, c.Budget = name, 4096
		if set != nil {
			set(&c)
		}
		out = append(out, c)
	}
	for _, n := range Names() {
		add(n, nil)
	}
	add(Quest, func(c *Config) { c.BlockScore = "mean" })
	add(Hybrid, func(c *Config) { c.Sparse = TokenSelect })
	add(Hybrid, func(c *Config) { c.Sparse = LMInfinite; c.DenseLayers = "1" })
	for _, p := range []string{SnapKV, KNorm, Streaming, ExpectedAttention} {
		add(p, func(c *Config) { c.Budget = 1; c.CompressionRatio = 0 })
		out[len(out)-1].Budget = 4096 // ratio 0 with a budget over the prompt: nothing evicted
	}
	return out
}

func label(c Config) string {
	s := c.Name
	if c.Name == Hybrid {
		s += "/" + c.Sparse + "/" + c.DenseLayers
	}
	if c.Name == Quest {
		s += "/" + c.BlockScore
	}
	return s
}

// With a budget that covers the context, every policy attends exactly as
// the inner cache: prefill in chunks, then decode.
func TestExactAtAttend(t *testing.T) {
	g := geom{layers: 3, heads: 4, kvHeads: 2, hd: 32, ctx: 200}
	s := newStream(g, g.ctx, 1)
	ref := g.cache(t, tensor.F32)
	type step struct{ from, to int }
	var steps []step
	for p := 0; p < 160; p += 40 {
		steps = append(steps, step{p, p + 40})
	}
	for p := 160; p < 170; p++ {
		steps = append(steps, step{p, p + 1})
	}
	var want [][][]float32
	for _, st := range steps {
		want = append(want, s.run(t, ref, st.from, st.to))
	}
	for _, cfg := range fullBudget(t) {
		t.Run(label(cfg), func(t *testing.T) {
			c, err := Wrap(cfg, g.cache(t, tensor.F32), g.info())
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range steps {
				got := s.run(t, c, st.from, st.to)
				for l := range got {
					if d := maxDiff(got[l], want[i][l]); d > 1e-5 {
						t.Fatalf("positions [%d, %d) layer %d: max diff %g from dense", st.from, st.to, l, d)
					}
				}
			}
			r := c.(Reporter).Report()
			for _, l := range r.Layers {
				if l.Kept != l.Visible {
					t.Errorf("layer %d: kept %g of %g positions with a covering budget", l.Layer, l.Kept, l.Visible)
				}
			}
		})
	}
}

// fixture is the path of a shared fixture file.
func fixture(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "fixtures", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing: %v", p, err)
	}
	return p
}

func loadTiny(t testing.TB) *model.Model {
	t.Helper()
	f, err := gguf.Open(fixture(t, "gguf/tiny-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tokens is the golden sequence B of the fixtures: 1, then (i*37+11) mod
// 1000.
func tokens(n int) []int32 {
	out := []int32{1}
	for i := 1; i < n; i++ {
		out = append(out, int32((i*37+11)%1000))
	}
	return out
}

// runModel prefills toks[:prompt] in chunks, then decodes the rest one at
// a time, and returns every forward's last logits.
func runModel(t testing.TB, m *model.Model, c kv.Cache, toks []int32, prompt, chunk int) [][]float32 {
	t.Helper()
	var out [][]float32
	for p := 0; p < len(toks); {
		n := min(chunk, prompt-p)
		if p >= prompt {
			n = 1
		}
		lg, err := m.Forward(toks[p:p+n], p, c, false)
		if err != nil {
			t.Fatalf("forward at %d: %v", p, err)
		}
		out = append(out, lg)
		p += n
	}
	return out
}

// With a covering budget the model's logits under every policy equal the
// unwrapped cache's.
func TestExactModel(t *testing.T) {
	m := loadTiny(t)
	toks := tokens(120)
	newCache := func() *kv.Contiguous {
		c, err := m.NewCache(len(toks), tensor.F16)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	want := runModel(t, m, newCache(), toks, 112, 32)
	info := InfoFromModel(m)
	for _, cfg := range fullBudget(t) {
		t.Run(label(cfg), func(t *testing.T) {
			c, err := Wrap(cfg, newCache(), info)
			if err != nil {
				t.Fatal(err)
			}
			got := runModel(t, m, c, toks, 112, 32)
			for i := range want {
				if d := maxDiff(got[i], want[i]); d > 1e-5 {
					t.Fatalf("forward %d: logits differ by %g", i, d)
				}
			}
		})
	}
}

// Over a paged sequence (kv.Seq) the policies are exact too.
func TestExactModelPaged(t *testing.T) {
	m := loadTiny(t)
	toks := tokens(120)
	c0, err := m.NewCache(len(toks), tensor.F16)
	if err != nil {
		t.Fatal(err)
	}
	want := runModel(t, m, c0, toks, 112, 32)
	cfg := m.Config
	pool, err := kv.NewPool(kv.Shape{Layers: cfg.Layers, Ctx: len(toks), KVHeads: cfg.KVHeads, HeadDim: cfg.HeadDim, ElemType: tensor.F16},
		kv.PoolOptions{BlockSize: 32, Shifter: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	for _, name := range []string{TokenSelect, Quest, SinkWindow, ExpectedAttention} {
		pc := DefaultConfig()
		pc.Name, pc.Budget = name, 4096
		seq := pool.NewSeq()
		c, err := Wrap(pc, seq, InfoFromModel(m))
		if err != nil {
			t.Fatal(err)
		}
		got := runModel(t, m, c, toks, 112, 32)
		for i := range want {
			if d := maxDiff(got[i], want[i]); d > 1e-5 {
				t.Fatalf("%s: forward %d: logits differ by %g", name, i, d)
			}
		}
		seq.Free()
	}
}

// Every policy runs the model at a budget below the context, attending to
// fewer positions than dense, with finite logits.
func TestModelSparse(t *testing.T) {
	m := loadTiny(t)
	toks := tokens(420)
	info := InfoFromModel(m)
	for _, name := range Names() {
		if name == Dense {
			continue
		}
		cfg := DefaultConfig()
		cfg.Name, cfg.Budget = name, 128
		t.Run(name, func(t *testing.T) {
			inner, err := m.NewCache(cfg.CacheCtx(len(toks)), tensor.Q8_0)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Wrap(cfg, inner, info)
			if err != nil {
				t.Fatal(err)
			}
			for i, lg := range runModel(t, m, c, toks, 400, 64) {
				for _, x := range lg {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						t.Fatalf("forward %d: logit %g", i, x)
					}
				}
			}
			r := c.(Reporter).Report()
			last := r.Layers[len(r.Layers)-1]
			if last.Kept >= last.Visible {
				t.Errorf("last layer kept %g of %g positions", last.Kept, last.Visible)
			}
			if r.Tokens != int64(len(toks)) {
				t.Errorf("report counts %d tokens, ran %d", r.Tokens, len(toks))
			}
			t.Log(r)
		})
	}
}

// Told the prompt's length, the policies that act when the prompt ends
// (presses compress, squeezed clusters) do so after a prefill in
// one-token chunks exactly as after one in large chunks: the same
// positions are kept, up to float rounding (without it the first one-token
// call was taken for the first decode step and nothing was evicted).
func TestPromptEndWithOneTokenChunks(t *testing.T) {
	m := loadTiny(t)
	toks := tokens(300)
	info := InfoFromModel(m)
	for _, name := range []string{SnapKV, KNorm, Squeezed} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Name, cfg.Budget = name, 160
			kept := func(chunk int) []LayerReport {
				inner, err := m.NewCache(len(toks), tensor.F32)
				if err != nil {
					t.Fatal(err)
				}
				c, err := Wrap(cfg, inner, info)
				if err != nil {
					t.Fatal(err)
				}
				c.(kv.PromptSizer).SetPromptLen(280)
				runModel(t, m, c, toks, 280, chunk)
				return c.(Reporter).Report().Layers
			}
			big, one := kept(128), kept(1)
			for i := range big {
				// Chunk sizes change float sums, which can move a
				// squeezed cluster across its threshold: 1% slack.
				if math.Abs(big[i].DecodeKept-one[i].DecodeKept) > 0.01*big[i].DecodeVisible || one[i].DecodeKept >= 0.9*one[i].DecodeVisible {
					t.Errorf("layer %d: decode kept %g of %g after 128-token chunks, %g of %g after 1-token chunks",
						i, big[i].DecodeKept, big[i].DecodeVisible, one[i].DecodeKept, one[i].DecodeVisible)
				}
			}
		})
	}
}
