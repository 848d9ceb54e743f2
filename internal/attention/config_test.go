package attention

import (
	"flag"
	"math"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

func TestFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if c != DefaultConfig() {
		t.Fatalf("defaults %+v", c)
	}
	err := fs.Parse([]string{"--attention", "hybrid", "--budget", "512", "--sinks", "8", "--window", "64",
		"--block-size", "32", "--block-score", "mean", "--quest-per-head", "--quest-refine", "1.5", "--select-group", "4", "--ceiling", "4096", "--select-kernel", "5", "--select-cache", "0.8",
		"--clusters", "0.1", "--kmeans-iters", "7", "--centroids", "c.bin", "--fixed-prefix", "100",
		"--compression-ratio", "0.25", "--pool-kernel", "7", "--future-positions", "256", "--press-epsilon", "0.01",
		"--dense-every", "4", "--dense-layers", "0,2-3", "--sparse", "quest"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Name: Hybrid, Budget: 512, Sinks: 8, Window: 64, BlockSize: 32, BlockScore: "mean", PerHead: true, Refine: 1.5, Ceiling: 4096,
		SelectKernel: 5, SelectGroup: 4, SelectCache: 0.8, Clusters: 0.1, KMeansIters: 7, Centroids: "c.bin", FixedPrefix: 100,
		CompressionRatio: 0.25, PoolKernel: 7, FuturePositions: 256, Epsilon: 0.01, DenseEvery: 4, DenseLayers: "0,2-3", Sparse: Quest}
	if c != want {
		t.Fatalf("parsed %+v\nwant   %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Name = "flash" }, "unknown policy"},
		{func(c *Config) { c.Name, c.Budget = Quest, 0 }, "--budget"},
		{func(c *Config) { c.Name, c.Sinks = SinkWindow, -2 }, "--sinks"},
		{func(c *Config) { c.Name, c.BlockSize = Quest, 0 }, "--block-size"},
		{func(c *Config) { c.Name, c.BlockScore = Quest, "max" }, "--block-score"},
		{func(c *Config) { c.Name, c.Refine = Quest, math.NaN() }, "--quest-refine"},
		{func(c *Config) { c.Name, c.Refine = Quest, -1 }, "--quest-refine"},
		{func(c *Config) { c.Name, c.Refine = Quest, 0.5 }, "--quest-refine"},
		{func(c *Config) { c.Name, c.Ceiling = LMInfinite, -1 }, "--ceiling"},
		{func(c *Config) { c.Name, c.SelectKernel = TokenSelect, -1 }, "--select-kernel"},
		{func(c *Config) { c.Name, c.SelectGroup = TokenSelect, 0 }, "--select-group"},
		{func(c *Config) { c.Name, c.SelectCache = TokenSelect, math.NaN() }, "--select-cache"},
		{func(c *Config) { c.Name, c.Epsilon = ExpectedAttention, math.NaN() }, "--press-epsilon"},
		{func(c *Config) { c.Name, c.Budget = Quest, 1<<40 }, "--budget"},
		{func(c *Config) { c.Name, c.Clusters = Squeezed, 0 }, "--clusters"},
		{func(c *Config) { c.Name, c.KMeansIters = Squeezed, 0 }, "--kmeans-iters"},
		{func(c *Config) { c.Name, c.FixedPrefix = Squeezed, -1 }, "--fixed-prefix"},
		{func(c *Config) { c.Name, c.CompressionRatio = KNorm, 1 }, "--compression-ratio"},
		{func(c *Config) { c.Name, c.PoolKernel = SnapKV, 4 }, "--pool-kernel"},
		{func(c *Config) { c.Name, c.FuturePositions = ExpectedAttention, 0 }, "--future-positions"},
		{func(c *Config) { c.Name, c.FuturePositions = ExpectedAttention, 2000000000 }, "--future-positions"},
		{func(c *Config) { c.Name, c.Sparse = Hybrid, Dense }, "--sparse"},
		{func(c *Config) { c.Name, c.DenseEvery = Hybrid, 0 }, "--dense-every"},
		{func(c *Config) { c.Name, c.DenseLayers = Hybrid, "3-1" }, "--dense-layers"},
		{func(c *Config) { c.Name, c.DenseLayers = Hybrid, "a" }, "--dense-layers"},
		{func(c *Config) { c.Name, c.Sparse, c.BlockSize = Hybrid, Quest, 0 }, "--block-size"},
	} {
		cfg := DefaultConfig()
		c.set(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %s", cfg, err, c.want)
		}
	}
	for _, n := range Names() {
		cfg := DefaultConfig()
		cfg.Name = n
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s with defaults: %v", n, err)
		}
	}
}

func TestWrapErrors(t *testing.T) {
	g := geom{layers: 2, heads: 4, kvHeads: 2, hd: 32, ctx: 64}
	for _, c := range []struct {
		set  func(*Config, *ModelInfo)
		want string
	}{
		{func(c *Config, i *ModelInfo) { i.Layers = 3 }, "the model has"},
		{func(c *Config, i *ModelInfo) { i.Heads = 3 }, "do not group"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Ceiling, c.Budget = LMInfinite, 100, 500 }, "below the window"},
		{func(c *Config, i *ModelInfo) { c.Name, i.Shifter = LMInfinite, nil }, "key shifter"},
		{func(c *Config, i *ModelInfo) { c.Name, i.Shifter = SinkWindow, nil }, "key shifter"},
		{func(c *Config, i *ModelInfo) { c.Name, i.Shifter = ExpectedAttention, nil }, "key shifter"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Window = TokenSelect, 2000 }, "exceed the budget"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Sinks = Quest, 2000 }, "exceed the budget"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Window = Squeezed, 2000 }, "exceed the budget"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Budget, c.Sinks = SinkWindow, 4, 4 }, "window of at least 1"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Budget = LMInfinite, 5 }, "window of at least 1"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Budget = Quest, 32 }, "a block less one"},
		{func(c *Config, i *ModelInfo) { c.Name, c.Sparse, c.DenseLayers = Hybrid, Quest, "1,7" }, "layers 0-1"},
	} {
		cfg, info := DefaultConfig(), g.info()
		c.set(&cfg, &info)
		if _, err := Wrap(cfg, g.cache(t, tensor.F32), info); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %q", cfg, err, c.want)
		}
	}
}

func TestConfigString(t *testing.T) {
	for _, c := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) {}, "dense"},
		{func(c *Config) { c.Name = TokenSelect }, "tokenselect budget=1024 sinks=48 window=195 select-group=16 select-kernel=0 select-cache=0.9"},
		{func(c *Config) { c.Name, c.Sinks = SinkWindow, 64 }, "sink+window budget=1024 sinks=64 window=960"},
		{func(c *Config) { c.Name = LMInfinite }, "lm-infinite budget=1024 sinks=10 window=1014 ceiling=trained"},
		{func(c *Config) { c.Name, c.Sparse = Hybrid, Quest }, "hybrid dense-every=3 sparse=quest budget=1024 sinks=16 window=16 block-size=16 block-score=bound per-head=false"},
		{func(c *Config) { c.Name, c.Refine = Quest, 2 }, "quest budget=1024 sinks=16 window=16 block-size=16 block-score=bound per-head=false refine=2"},
		{func(c *Config) { c.Name, c.CompressionRatio = SnapKV, 0.5 }, "snapkv budget=1024 sinks=0 window=64 compression-ratio=0.5 pool-kernel=5"},
	} {
		cfg := DefaultConfig()
		c.set(&cfg)
		if got := cfg.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func TestCacheCtx(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.CacheCtx(5000) != 5000 {
		t.Error("dense needs the whole context")
	}
	cfg.Name = SinkWindow // 4 sinks, 1020 window, room 255
	if got := cfg.CacheCtx(5000); got != 4+1020+255 {
		t.Errorf("sink+window CacheCtx = %d", got)
	}
	if got := cfg.CacheCtx(100); got != 100 {
		t.Errorf("sink+window CacheCtx(100) = %d", got)
	}
}

// Hybrid: dense layers attend to everything, the others to the sparse
// policy's positions.
func TestHybridLayers(t *testing.T) {
	g := geom{layers: 4, heads: 4, kvHeads: 2, hd: 32, ctx: 300}
	s := newStream(g, g.ctx, 50)
	for _, c := range []struct {
		every  int
		layers string
		dense  []bool
	}{
		{3, "", []bool{false, false, true, false}},
		{2, "", []bool{false, true, false, true}},
		{1, "0,2-3", []bool{true, false, true, true}},
	} {
		cfg := DefaultConfig()
		cfg.Name, cfg.Budget, cfg.DenseEvery, cfg.DenseLayers = Hybrid, 64, c.every, c.layers
		w, err := Wrap(cfg, g.cache(t, tensor.F32), g.info())
		if err != nil {
			t.Fatal(err)
		}
		prefill(t, s, w, 256, 64)
		s.run(t, w, 256, 257)
		r := w.(Reporter).Report()
		for l, lr := range r.Layers {
			if dense := lr.Kept == lr.Visible; dense != c.dense[l] {
				t.Errorf("every %d layers %q: layer %d kept %g of %g", c.every, c.layers, l, lr.Kept, lr.Visible)
			}
		}
		if !strings.Contains(r.String(), "layer  3:") {
			t.Errorf("report string:\n%s", r)
		}
	}
}
