package attention

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
)

// Policy names.
const (
	Dense             = "dense"
	SinkWindow        = "sink+window"
	LMInfinite        = "lm-infinite"
	TokenSelect       = "tokenselect"
	Quest             = "quest"
	Squeezed          = "squeezed"
	Hybrid            = "hybrid"
	SnapKV            = "snapkv"
	KNorm             = "knorm"
	Streaming         = "streaming"
	ExpectedAttention = "expected-attention"
)

// Names lists the policies Wrap knows, in the order help texts show them.
func Names() []string {
	return []string{Dense, SinkWindow, LMInfinite, TokenSelect, Quest, Squeezed, Hybrid, SnapKV, KNorm, Streaming, ExpectedAttention}
}

// sparseNames are the policies hybrid can use in its sparse layers: the
// ones that mask a full cache (sink+window there is the per-query mask,
// without eviction, since eviction is shared by all layers).
var sparseNames = []string{SinkWindow, LMInfinite, TokenSelect, Quest, Squeezed, SnapKV, KNorm, Streaming, ExpectedAttention}

func isPress(name string) bool {
	return name == SnapKV || name == KNorm || name == Streaming || name == ExpectedAttention
}

// Config selects a policy and its settings. Fields that are -1 (Sinks,
// Window) or 0 (the rest, where noted) take the method's default.
type Config struct {
	Name   string // one of Names()
	Budget int    // positions attended per query head (sinks and window included)

	Sinks  int // first positions always attended; -1: the method's default
	Window int // most recent positions always attended; -1: the method's default

	BlockSize  int     // quest: positions per block
	BlockScore string  // quest: "bound" (Quest's min/max upper bound) or "mean" (block-mean key)
	PerHead    bool    // quest: blocks chosen per query head, not shared by a KV head's query heads
	Refine     float64 // quest: rescore the best Refine x (the budget's blocks) by their keys; 0 (or 1): off

	Ceiling int // lm-infinite: largest RoPE distance; 0: the model's trained context

	SelectKernel int     // tokenselect: max-pool kernel over the voted scores; 0: off
	SelectGroup  int     // tokenselect: positions selected together (aligned groups); 1: single tokens
	SelectCache  float64 // tokenselect: reuse the last selection while cos(query, last) ≥ this; > 1: never

	Clusters    float64 // squeezed: centroids per clustered key (5% in the paper)
	KMeansIters int     // squeezed: Lloyd iterations at most
	Centroids   string  // squeezed: file the centroids are loaded from, or saved to when absent
	FixedPrefix int     // squeezed: length of the fixed context; 0: everything before the first decode step

	CompressionRatio float64 // presses: fraction of the prompt's positions evicted; 0: keep --budget
	PoolKernel       int     // snapkv: average-pool kernel over the window's attention
	FuturePositions  int     // expected-attention: future positions whose RoPE rotation is averaged
	Epsilon          float64 // expected-attention: added to the expected attention before scaling by ‖v‖

	DenseEvery  int    // hybrid: every this many layers is dense (layers N-1, 2N-1, ...)
	DenseLayers string // hybrid: explicit dense layers, e.g. "0,5-10" (overrides DenseEvery)
	Sparse      string // hybrid: the policy of the other layers
}

// DefaultConfig is dense attention, with the methods' published defaults
// for when another policy is chosen and a budget of 1024 positions.
func DefaultConfig() Config {
	return Config{
		Name: Dense, Budget: 1024, Sinks: -1, Window: -1,
		BlockSize: 16, BlockScore: "bound",
		SelectCache: 0.9, SelectGroup: 16,
		Clusters: 0.05, KMeansIters: 20,
		PoolKernel: 5, FuturePositions: 512,
		DenseEvery: 3, Sparse: SinkWindow,
	}
}

// RegisterFlags registers --attention, --budget and the methods' flags on
// fs, with c's current values (DefaultConfig if c is zero) as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	if c.Name == "" {
		*c = DefaultConfig()
	}
	fs.StringVar(&c.Name, "attention", c.Name, "attention policy: "+strings.Join(Names(), ", "))
	fs.IntVar(&c.Budget, "budget", c.Budget, "positions each query head attends to under a sparse policy or press")
	fs.IntVar(&c.Sinks, "sinks", c.Sinks, "first positions always attended (-1: the method's default; sink+window keeps them through context shifts)")
	fs.IntVar(&c.Window, "window", c.Window, "most recent positions always attended (-1: the method's default)")
	fs.IntVar(&c.BlockSize, "block-size", c.BlockSize, "quest: positions per block (a multiple of 16 reads least)")
	fs.StringVar(&c.BlockScore, "block-score", c.BlockScore, "quest: block score, bound (per-channel min/max) or mean (block-mean key)")
	fs.Float64Var(&c.Refine, "quest-refine", c.Refine, "quest: rescore the F x (the budget's blocks) with the best bounds by their keys' exact scores and keep the best (0: bounds alone, the paper's)")
	fs.BoolVar(&c.PerHead, "quest-per-head", c.PerHead, "quest: choose blocks per query head (default: per KV head, shared by its query heads)")
	fs.IntVar(&c.Ceiling, "ceiling", c.Ceiling, "lm-infinite: largest RoPE distance (0: the model's trained context)")
	fs.IntVar(&c.SelectKernel, "select-kernel", c.SelectKernel, "tokenselect: max-pool kernel over voted scores (0: off)")
	fs.IntVar(&c.SelectGroup, "select-group", c.SelectGroup, "tokenselect: select aligned groups of this many positions (16: the KV cache's read unit; 1: single tokens as the paper)")
	fs.Float64Var(&c.SelectCache, "select-cache", c.SelectCache, "tokenselect: reuse the last selection while the query's cosine to it is at least this (>1: never)")
	fs.Float64Var(&c.Clusters, "clusters", c.Clusters, "squeezed: centroids per clustered key")
	fs.IntVar(&c.KMeansIters, "kmeans-iters", c.KMeansIters, "squeezed: k-means iterations at most")
	fs.StringVar(&c.Centroids, "centroids", c.Centroids, "squeezed: centroids file, loaded if present, else written after clustering")
	fs.IntVar(&c.FixedPrefix, "fixed-prefix", c.FixedPrefix, "squeezed: positions of the fixed context (0: the whole prompt)")
	fs.Float64Var(&c.CompressionRatio, "compression-ratio", c.CompressionRatio, "presses: fraction of the prompt's positions evicted (0: keep --budget)")
	fs.IntVar(&c.PoolKernel, "pool-kernel", c.PoolKernel, "snapkv: average-pool kernel over the observation window's attention")
	fs.IntVar(&c.FuturePositions, "future-positions", c.FuturePositions, "expected-attention: future positions whose rotation is averaged")
	fs.Float64Var(&c.Epsilon, "press-epsilon", c.Epsilon, "expected-attention: added to the expected attention before scaling by the value norm")
	fs.IntVar(&c.DenseEvery, "dense-every", c.DenseEvery, "hybrid: dense attention in every this many layers")
	fs.StringVar(&c.DenseLayers, "dense-layers", c.DenseLayers, "hybrid: dense layers, e.g. 0,5-10 (overrides --dense-every)")
	fs.StringVar(&c.Sparse, "sparse", c.Sparse, "hybrid: policy of the other layers: "+strings.Join(sparseNames, ", "))
}

// Validate reports a setting no model could use.
func (c Config) Validate() error {
	if !contains(Names(), c.Name) {
		return fmt.Errorf("attention: unknown policy %q (want one of %s)", c.Name, strings.Join(Names(), ", "))
	}
	if c.Name == Dense {
		return nil
	}
	if c.Budget <= 0 || c.Budget > 1<<30 {
		return fmt.Errorf("attention: --budget %d: want a positive number of positions (at most 2^30)", c.Budget)
	}
	if c.Sinks < -1 || c.Window < -1 {
		return errors.New("attention: --sinks and --window must be -1 (default) or at least 0")
	}
	name := c.Name
	if name == Hybrid {
		if !contains(sparseNames, c.Sparse) {
			return fmt.Errorf("attention: --sparse %q: want one of %s", c.Sparse, strings.Join(sparseNames, ", "))
		}
		if c.DenseLayers != "" {
			if _, err := parseLayers(c.DenseLayers, 1<<12); err != nil {
				return err
			}
		} else if c.DenseEvery < 1 {
			return fmt.Errorf("attention: --dense-every %d: want at least 1", c.DenseEvery)
		}
		name = c.Sparse
	}
	switch {
	case name == Quest:
		if c.BlockSize < 1 {
			return fmt.Errorf("attention: --block-size %d: want at least 1", c.BlockSize)
		}
		if c.BlockScore != "bound" && c.BlockScore != "mean" {
			return fmt.Errorf("attention: --block-score %q: want bound or mean", c.BlockScore)
		}
		if !(c.Refine == 0 || c.Refine >= 1 && c.Refine <= 1e6) {
			return fmt.Errorf("attention: --quest-refine %g: want 0 (off) or a factor of at least 1", c.Refine)
		}
	case name == LMInfinite:
		if c.Ceiling < 0 {
			return fmt.Errorf("attention: --ceiling %d is negative", c.Ceiling)
		}
	case name == TokenSelect:
		if c.SelectKernel < 0 {
			return fmt.Errorf("attention: --select-kernel %d is negative", c.SelectKernel)
		}
		if math.IsNaN(c.SelectCache) {
			return errors.New("attention: --select-cache is not a number")
		}
		if c.SelectGroup < 1 {
			return fmt.Errorf("attention: --select-group %d: want at least 1", c.SelectGroup)
		}
	case name == Squeezed:
		if !(c.Clusters > 0 && c.Clusters <= 1) {
			return fmt.Errorf("attention: --clusters %g: want a fraction in (0, 1]", c.Clusters)
		}
		if c.KMeansIters < 1 {
			return fmt.Errorf("attention: --kmeans-iters %d: want at least 1", c.KMeansIters)
		}
		if c.FixedPrefix < 0 {
			return fmt.Errorf("attention: --fixed-prefix %d is negative", c.FixedPrefix)
		}
	case isPress(name):
		if !(c.CompressionRatio >= 0 && c.CompressionRatio < 1) {
			return fmt.Errorf("attention: --compression-ratio %g: want 0 <= ratio < 1", c.CompressionRatio)
		}
		if name == SnapKV && (c.PoolKernel < 1 || c.PoolKernel%2 == 0) {
			return fmt.Errorf("attention: --pool-kernel %d: want an odd kernel", c.PoolKernel)
		}
		// Each future position is a rotation averaged at the prompt's end.
		if name == ExpectedAttention && (c.FuturePositions < 1 || c.FuturePositions > maxFuturePositions || !(c.Epsilon >= 0)) {
			return fmt.Errorf("attention: --future-positions %d, --press-epsilon %g: want 1 to %d and at least 0", c.FuturePositions, c.Epsilon, maxFuturePositions)
		}
	}
	return nil
}

// MaxChunk is the most positions one prefill call may store under the
// policy, 0 for any: sink+window's cache holds its sinks, its window and
// room to shift, so a chunk stored beside them must fit its window.
func (c Config) MaxChunk() int {
	if c.Name != SinkWindow {
		return 0
	}
	return max(1, c.settings(SinkWindow).window)
}

// CacheCtx is how many positions the inner cache must hold for a context
// of ctx positions: sink+window needs only its sinks, its window and some
// room to shift in; the other policies keep every position.
func (c Config) CacheCtx(ctx int) int {
	if c.Name != SinkWindow {
		return ctx
	}
	s := c.settings(SinkWindow)
	return min(ctx, s.sinks+s.window+shiftRoom(s.window))
}

// String describes the policy with its resolved settings, e.g. for a
// run's report: "tokenselect budget=1024 sinks=48 window=195".
func (c Config) String() string {
	if c.Name == Dense {
		return Dense
	}
	name := c.Name
	var b strings.Builder
	b.WriteString(c.Name)
	if c.Name == Hybrid {
		if c.DenseLayers != "" {
			fmt.Fprintf(&b, " dense-layers=%s", c.DenseLayers)
		} else {
			fmt.Fprintf(&b, " dense-every=%d", c.DenseEvery)
		}
		name = c.Sparse
		fmt.Fprintf(&b, " sparse=%s", name)
	}
	s := c.settings(name)
	fmt.Fprintf(&b, " budget=%d sinks=%d window=%d", c.Budget, s.sinks, s.window)
	switch {
	case name == Quest:
		fmt.Fprintf(&b, " block-size=%d block-score=%s per-head=%v", c.BlockSize, c.BlockScore, c.PerHead)
		if c.Refine > 1 {
			fmt.Fprintf(&b, " refine=%g", c.Refine)
		}
	case name == LMInfinite:
		if c.Ceiling > 0 {
			fmt.Fprintf(&b, " ceiling=%d", c.Ceiling)
		} else {
			b.WriteString(" ceiling=trained")
		}
	case name == TokenSelect:
		fmt.Fprintf(&b, " select-group=%d select-kernel=%d select-cache=%g", c.SelectGroup, c.SelectKernel, c.SelectCache)
	case name == Squeezed:
		fmt.Fprintf(&b, " clusters=%g kmeans-iters=%d fixed-prefix=%d", c.Clusters, c.KMeansIters, c.FixedPrefix)
	case isPress(name):
		if c.CompressionRatio > 0 {
			fmt.Fprintf(&b, " compression-ratio=%g", c.CompressionRatio)
		}
		if name == SnapKV {
			fmt.Fprintf(&b, " pool-kernel=%d", c.PoolKernel)
		}
		if name == ExpectedAttention {
			fmt.Fprintf(&b, " future-positions=%d press-epsilon=%g", c.FuturePositions, c.Epsilon)
		}
	}
	return b.String()
}

// settings are a policy's resolved sizes.
type settings struct {
	sinks, window int
}

// settings resolves --sinks and --window for the method name.
func (c Config) settings(name string) settings {
	var s settings
	switch name {
	case SinkWindow, Streaming, ExpectedAttention:
		s = settings{sinks: 4} // StreamingLLM's and kvpress's
	case LMInfinite:
		s = settings{sinks: 10} // LM-Infinite's n_global
	case TokenSelect:
		// The paper's n_init 128, n_local 512, k 2048, scaled to the budget.
		s = settings{sinks: c.Budget * 128 / 2688, window: c.Budget * 512 / 2688}
	case Quest:
		s = settings{sinks: c.BlockSize, window: c.BlockSize}
	case Squeezed:
		s = settings{window: 100} // the paper's observation window
	case SnapKV:
		s = settings{window: 64} // kvpress's observation window
	}
	if c.Sinks >= 0 {
		s.sinks = c.Sinks
	}
	if name == SinkWindow || name == LMInfinite {
		s.window = max(0, c.Budget-s.sinks)
	}
	if c.Window >= 0 {
		s.window = c.Window
	}
	return s
}

// maxFuturePositions bounds expected-attention's averaged rotations (one
// head-size rotation each, at the prompt's end): 131072 is longer than any
// context here and about a second.
const maxFuturePositions = 1 << 17

// ModelInfo is what the policies need to know of the model.
type ModelInfo struct {
	Layers, Heads, KVHeads, HeadDim int
	// TrainCtx is the context the model was trained for (lm-infinite's
	// default distance ceiling).
	TrainCtx int
	// Shifter re-rotates keys (and queries) by a number of positions: the
	// model. sink+window, lm-infinite and expected-attention need it.
	Shifter kv.KeyShifter
}

// InfoFromModel describes m.
func InfoFromModel(m *model.Model) ModelInfo {
	c := m.Config
	return ModelInfo{Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim, TrainCtx: c.CtxMax(), Shifter: m}
}

// Wrap puts inner under the policy cfg names, for a model described by
// info. The result also implements Reporter.
func Wrap(cfg Config, inner kv.Selective, info ModelInfo) (kv.Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sh := inner.Shape()
	if info.Layers != sh.Layers || info.KVHeads != sh.KVHeads || info.HeadDim != sh.HeadDim {
		return nil, fmt.Errorf("attention: the cache holds %d layers x %d KV heads x %d dims, the model has %d x %d x %d",
			sh.Layers, sh.KVHeads, sh.HeadDim, info.Layers, info.KVHeads, info.HeadDim)
	}
	if info.Heads <= 0 || info.Heads%info.KVHeads != 0 {
		return nil, fmt.Errorf("attention: %d query heads do not group over %d KV heads", info.Heads, info.KVHeads)
	}
	if cfg.Name == SinkWindow {
		return newStreamCache(cfg, inner, info)
	}
	if cfg.Name == Hybrid && cfg.DenseLayers != "" {
		if _, err := parseLayers(cfg.DenseLayers, info.Layers); err != nil {
			return nil, fmt.Errorf("%w (the model has layers 0-%d)", err, info.Layers-1)
		}
	}
	c := newCache(cfg.Name, inner, info)
	for l := range info.Layers {
		name := cfg.Name
		if cfg.Name == Hybrid {
			name = cfg.Sparse
			dense, err := cfg.denseLayer(l)
			if err != nil {
				return nil, err
			}
			if dense {
				name = Dense
			}
		}
		p, err := newLayerPolicy(cfg, name, c, l)
		if err != nil {
			return nil, err
		}
		c.layers[l] = p
	}
	return c, nil
}

// denseLayer tells whether hybrid runs layer l densely.
func (c Config) denseLayer(l int) (bool, error) {
	if c.DenseLayers == "" {
		return (l+1)%c.DenseEvery == 0, nil
	}
	ls, err := parseLayers(c.DenseLayers, 1<<12)
	if err != nil {
		return false, err
	}
	return ls[l], nil
}

// parseLayers reads a layer list such as "0,5-10".
func parseLayers(s string, limit int) (map[int]bool, error) {
	out := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= limit {
			return nil, fmt.Errorf("attention: --dense-layers %q: want layers or ranges like 0,5-10", s)
		}
		for l := a; l <= b; l++ {
			out[l] = true
		}
	}
	return out, nil
}

func newLayerPolicy(cfg Config, name string, c *maskCache, layer int) (layerPolicy, error) {
	s := cfg.settings(name)
	switch name {
	case Dense:
		return densePolicy{}, nil
	case SinkWindow, LMInfinite:
		ceiling := 0 // hybrid's sink+window mask: no clamping
		if name == LMInfinite {
			ceiling = cfg.Ceiling
			if ceiling == 0 {
				ceiling = c.info.TrainCtx
			}
			if ceiling <= 0 {
				return nil, errors.New("attention: lm-infinite needs --ceiling or the model's trained context")
			}
			if s.window < 1 {
				return nil, fmt.Errorf("attention: lm-infinite needs a window of at least 1 position (budget %d, sinks %d)", cfg.Budget, s.sinks)
			}
			if ceiling < s.window {
				from := "--ceiling"
				if cfg.Ceiling == 0 {
					from = "the model's trained context; set --ceiling, or a smaller --budget"
				}
				return nil, fmt.Errorf("attention: lm-infinite's distance ceiling %d (%s) is below the window of %d", ceiling, from, s.window)
			}
			if c.info.Shifter == nil {
				return nil, errors.New("attention: lm-infinite needs the model's key shifter")
			}
		}
		return newLambda(s.sinks, s.window, ceiling, c.info.Shifter), nil
	case TokenSelect:
		if s.sinks+s.window > cfg.Budget {
			return nil, fmt.Errorf("attention: tokenselect sinks %d + window %d exceed the budget %d", s.sinks, s.window, cfg.Budget)
		}
		return newTokenSelect(c, s.sinks, s.window, cfg.Budget-s.sinks-s.window, cfg.SelectKernel, cfg.SelectGroup, cfg.SelectCache), nil
	case Quest:
		// The recent positions run from the last complete block before
		// the window: up to block-1 more than the window.
		if s.sinks+s.window+cfg.BlockSize-1 > cfg.Budget {
			return nil, fmt.Errorf("attention: quest sinks %d + window %d + a block less one (%d) exceed the budget %d", s.sinks, s.window, cfg.BlockSize-1, cfg.Budget)
		}
		return newQuest(c, s.sinks, s.window, cfg.Budget, cfg.BlockSize, cfg.BlockScore == "mean", cfg.PerHead, cfg.Refine), nil
	case Squeezed:
		return newSqueezed(c, cfg, layer, s)
	default: // presses
		if name == ExpectedAttention && c.info.Shifter == nil {
			return nil, errors.New("attention: expected-attention needs the model's key shifter")
		}
		return newPress(c, cfg, name, s), nil
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
