package heads

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/trace/observe"
)

// Save writes the report as indented JSON.
func (r *Report) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Load reads a saved report.
func Load(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("heads: %s is not a heads report: %w", path, err)
	}
	if r.Layers <= 0 || r.HeadsPerLayer <= 0 || len(r.Heads) == 0 {
		return nil, fmt.Errorf("heads: %s holds no ranked heads", path)
	}
	for i, h := range r.Heads {
		if h.Layer < 0 || h.Layer >= r.Layers || h.Head < 0 || h.Head >= r.HeadsPerLayer {
			return nil, fmt.Errorf("heads: %s: head %d (%d:%d) is outside %d layers x %d heads", path, i, h.Layer, h.Head, r.Layers, r.HeadsPerLayer)
		}
		if i > 0 && h.Score > r.Heads[i-1].Score {
			return nil, fmt.Errorf("heads: %s: the heads are not ranked by score", path)
		}
	}
	return &r, nil
}

// ParseCount reads a head count: "N" or "P%" of total (rounded, at least 1).
func ParseCount(s string, total int) (int, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 100 {
			return 0, fmt.Errorf("heads: bad head share %q (want 0 < P <= 100)", s)
		}
		return max(1, int(math.Round(f/100*float64(total)))), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > total {
		return 0, fmt.Errorf("heads: bad head count %q (want 1..%d or a percentage)", s, total)
	}
	return n, nil
}

// Top is the count best-ranked heads.
func (r *Report) Top(count int) []observe.Head {
	var out []observe.Head
	for _, h := range r.Heads[:min(count, len(r.Heads))] {
		out = append(out, observe.Head{Layer: h.Layer, Head: h.Head})
	}
	return out
}

// Random draws count heads (seeded) that are neither among the top count
// nor retrieval heads (score above Threshold); when too few such heads
// exist, only the top count are excluded. It is the control of the
// masking experiment.
func (r *Report) Random(count int, seed uint64) ([]observe.Head, error) {
	pick := func(ok func(i int, h HeadScore) bool) []observe.Head {
		var c []observe.Head
		for i, h := range r.Heads {
			if ok(i, h) {
				c = append(c, observe.Head{Layer: h.Layer, Head: h.Head})
			}
		}
		return c
	}
	cands := pick(func(i int, h HeadScore) bool { return i >= count && h.Score <= Threshold })
	if len(cands) < count {
		cands = pick(func(i int, _ HeadScore) bool { return i >= count })
	}
	if len(cands) < count {
		return nil, fmt.Errorf("heads: %d heads cannot give %d random ones besides the top %d", len(r.Heads), count, count)
	}
	// Fisher–Yates on PCG with our own modulo: the same heads for a seed
	// on every Go version.
	src := rand.NewPCG(seed, 0x68656164)
	for i := len(cands) - 1; i > 0; i-- {
		j := int(src.Uint64() % uint64(i+1))
		cands[i], cands[j] = cands[j], cands[i]
	}
	return cands[:count], nil
}

// ResolveMask turns a --mask-heads argument into heads: a list
// "L:H,L:H" as given, or the path of a saved report, of which the top
// count ("N" or "P%" of all heads, default 5%) are taken, or with random
// as many random non-retrieval heads.
func ResolveMask(spec, count string, random bool, seed uint64, g observe.Geometry) ([]observe.Head, error) {
	if _, err := os.Stat(spec); err != nil {
		if random {
			return nil, fmt.Errorf("heads: random masking needs a heads report file, not %q", spec)
		}
		hs, perr := observe.ParseHeads(spec)
		if perr != nil {
			return nil, fmt.Errorf("heads: --mask-heads %q is neither a file nor a head list: %v", spec, perr)
		}
		for _, h := range hs {
			if h.Layer >= g.Layers || h.Head >= g.Heads {
				return nil, fmt.Errorf("heads: head %s is outside the model's %d layers x %d heads", h, g.Layers, g.Heads)
			}
		}
		return hs, nil
	}
	r, err := Load(spec)
	if err != nil {
		return nil, err
	}
	if r.Layers != g.Layers || r.HeadsPerLayer != g.Heads {
		return nil, fmt.Errorf("heads: %s is for %d layers x %d heads, the model has %d x %d", spec, r.Layers, r.HeadsPerLayer, g.Layers, g.Heads)
	}
	if count == "" {
		count = "5%"
	}
	n, err := ParseCount(count, g.Layers*g.Heads)
	if err != nil {
		return nil, err
	}
	if random {
		return r.Random(n, seed)
	}
	return r.Top(n), nil
}

// NewCacheFunc makes caches with the heads masked, for
// engine.Request.NewCache.
func NewCacheFunc(m *model.Model, elem tensor.Type, hs []observe.Head, mode observe.MaskMode) func(ctx int) (kv.Cache, error) {
	c := m.Config
	g := observe.Geometry{Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim}
	return func(ctx int) (kv.Cache, error) {
		base, err := m.NewCache(ctx, elem)
		if err != nil {
			return nil, err
		}
		return observe.NewMask(base, g, hs, mode)
	}
}
