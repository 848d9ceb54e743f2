package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/attention"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// benchResult is one line of `longctx bench` (one element of its --json
// array).
type benchResult struct {
	Test      string    `json:"test"` // pp512, tg128, tg32@d16384
	NPrompt   int       `json:"n_prompt"`
	NGen      int       `json:"n_gen"`
	Depth     int       `json:"n_depth"`
	DepthFill string    `json:"depth_fill,omitempty"` // how the cache was filled to Depth
	Attention string    `json:"attention,omitempty"`  // policy and budget, when not dense
	Threads   int       `json:"threads"`
	Reps      int       `json:"reps"`
	TS        float64   `json:"t_s"`         // median tokens per second
	Samples   []float64 `json:"t_s_samples"` // tokens per second of each repetition
	BWGBs     float64   `json:"bw_gbs"`      // read bandwidth probe, GB/s
	Kernels   string    `json:"kernels"`     // tensor.KernelSet: which kernels ran
	// BytesPerToken is what one decode step reads (weights + KV cache at
	// the mean depth of the run); Roofline is TS over BWGBs/BytesPerToken.
	// Both are only meaningful, and only set, for generation tests.
	BytesPerToken int64   `json:"bytes_per_token,omitempty"`
	Roofline      float64 `json:"roofline,omitempty"`
}

func benchCmd(env *Env) error {
	fs := newFlags(env, "bench", "-m FILE [-p 512] [-n 128] [-d 0,4096,16384] [-r REPS] [-t N] [--json]")
	modelPath := fs.String("m", "", "model `file` (GGUF)")
	nPrompt := fs.Int("p", 512, "prompt tokens for the prefill test (pp); 0 skips it")
	nGen := fs.Int("n", 128, "tokens for the generation test (tg); 0 skips it")
	depths := fs.String("d", "0", "comma-separated KV depths for the generation test; the prefill test runs at depth 0")
	reps := fs.Int("r", 3, "repetitions per test (the median is reported)")
	threads := fs.Int("t", 0, "threads (0: one per CPU)")
	realDepth := fs.Bool("real-depth", false, "fill the KV cache to depth with a real prefill (slow) instead of random keys and values")
	kvType := fs.String("kv-type", "f16", "KV cache element type: f32, f16, q8_0 or q4_0")
	attn := attention.DefaultConfig()
	attn.RegisterFlags(fs)
	packWeights := fs.Bool("pack-weights", true, "re-lay the weights out row-interleaved at load, as every command does by default; false measures the file's layout")
	asJSON := fs.Bool("json", false, "print one JSON array instead of a table")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the timed tests to `file` (go tool pprof)")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("%w: -m FILE is required", errUsage)
	}
	if *nPrompt == 0 && *nGen == 0 {
		return fmt.Errorf("%w: -p 0 and -n 0 leave nothing to measure", errUsage)
	}
	if *nPrompt < 0 || *nGen < 0 || *reps < 1 || *threads < 0 {
		return fmt.Errorf("%w: -p, -n, -t must be >= 0 and -r >= 1", errUsage)
	}
	ds, err := parseDepths(*depths)
	if err != nil {
		return err
	}
	elem, err := parseKVType(*kvType)
	if err != nil {
		return err
	}
	if err := attn.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	parallel.SetThreads(*threads)
	f, m, err := openModel(*modelPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if *packWeights {
		if _, err := m.PackWeights(); err != nil {
			return err
		}
	}

	bw := parallel.ReadBandwidth(1<<30, 3)
	runtime.GC()
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	b := &bencher{m: m, elem: elem, attn: attn, realDepth: *realDepth, rng: rand.New(rand.NewPCG(1, 2)), kvRead: -1}
	var results []benchResult
	add := func(r benchResult, samples []float64) {
		r.Threads, r.Reps, r.BWGBs, r.Samples = parallel.Threads(), *reps, bw/1e9, samples
		r.Kernels = tensor.KernelSet()
		if attn.Name != attention.Dense && r.NGen > 0 {
			r.Attention = fmt.Sprintf("%s/%d", attn.Name, attn.Budget)
		}
		r.TS = median(samples)
		if r.NGen > 0 {
			r.BytesPerToken = decodeBytes(m, elem, r.Depth+r.NGen/2)
			if b.kvRead >= 0 {
				// A sparse policy reads what it chose, as it measured.
				r.BytesPerToken = decodeBytes(m, elem, 0) + b.kvRead
			}
			r.Roofline = r.TS / (bw / float64(r.BytesPerToken))
		}
		results = append(results, r)
	}
	if *nPrompt > 0 {
		s, err := b.run(0, *nPrompt, 0, *reps)
		if err != nil {
			return err
		}
		add(benchResult{Test: fmt.Sprintf("pp%d", *nPrompt), NPrompt: *nPrompt}, s)
	}
	if *nGen > 0 {
		for _, d := range ds {
			s, err := b.run(d, 0, *nGen, *reps)
			if err != nil {
				return err
			}
			r := benchResult{Test: fmt.Sprintf("tg%d", *nGen), NGen: *nGen, Depth: d}
			if d > 0 {
				r.Test += fmt.Sprintf("@d%d", d)
				r.DepthFill = "random"
				if *realDepth {
					r.DepthFill = "prefill"
				}
			}
			add(r, s)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		return enc.Encode(results)
	}
	fmt.Fprintf(env.Stdout, "model %s: %s, %.2f GB of weights; %d threads, %s kernels; read bandwidth %.1f GB/s\n",
		*modelPath, m.Config.Arch, float64(m.Bytes())/1e9, parallel.Threads(), tensor.KernelSet(), bw/1e9)
	if attn.Name != attention.Dense {
		fmt.Fprintf(env.Stdout, "generation tests with attention %s (roofline: the weights and the KV bytes it reported reading)\n", attn)
	}
	fmt.Fprintf(env.Stdout, "%-16s %12s %10s %10s\n", "test", "t/s", "±", "roofline")
	for _, r := range results {
		roof := "-"
		if r.Roofline > 0 {
			roof = fmt.Sprintf("%.0f%%", 100*r.Roofline)
		}
		fmt.Fprintf(env.Stdout, "%-16s %12.2f %10.2f %10s\n", r.Test, r.TS, spread(r.Samples), roof)
	}
	if len(ds) > 1 || (len(ds) == 1 && ds[0] > 0) {
		if *realDepth {
			fmt.Fprintln(env.Stdout, "depth filled with a real prefill")
		} else {
			fmt.Fprintln(env.Stdout, "depth filled with random keys and values (attention cost is the same as after a real prefill)")
		}
	}
	return nil
}

type bencher struct {
	m         *model.Model
	elem      tensor.Type
	realDepth bool
	rng       *rand.Rand
	attn      attention.Config
	cache     kv.Cache
	filled    int // depth the cache holds from the last fill
	// kvRead is the KV and selection bytes a policy reported reading per
	// token in the last generation run; -1 without a policy.
	kvRead int64
}

// tokens returns n random non-special token ids.
func (b *bencher) tokens(n int) []int32 {
	ids := make([]int32, n)
	lo := min(259, b.m.Config.Vocab-1)
	for i := range ids {
		ids[i] = int32(lo + b.rng.IntN(b.m.Config.Vocab-lo))
	}
	return ids
}

// prepare makes a cache of at least ctx positions that holds depth
// positions, reusing the last one when it already does.
func (b *bencher) prepare(depth, ctx int) error {
	if b.cache == nil || b.cache.Capacity() < ctx {
		b.cache = nil
		runtime.GC()
		c, err := b.m.NewCache(b.attn.CacheCtx(ctx), b.elem)
		if err != nil {
			return err
		}
		b.cache, b.filled = c, 0
		if b.attn.Name != attention.Dense {
			if b.cache, err = attention.Wrap(b.attn, c, attention.InfoFromModel(b.m)); err != nil {
				return err
			}
		}
	}
	if b.filled != depth || b.cache.Len() < depth {
		b.cache.Truncate(0)
		if err := b.fill(depth); err != nil {
			return err
		}
		b.filled = depth
	}
	b.cache.Truncate(depth)
	return nil
}

// fill brings the empty cache to depth positions.
func (b *bencher) fill(depth int) error {
	if b.realDepth {
		for pos := 0; pos < depth; pos += 512 {
			if _, err := b.m.Forward(b.tokens(min(512, depth-pos)), pos, b.cache, false); err != nil {
				return err
			}
		}
		return nil
	}
	// Random keys and values: attention reads them exactly as it would
	// read a real prefill's, at a fraction of the cost.
	d := b.m.Config.KVHeads * b.m.Config.HeadDim
	const chunk = 256
	k := make([]float32, chunk*d)
	v := make([]float32, chunk*d)
	for i := range k {
		k[i] = float32(b.rng.NormFloat64())
		v[i] = float32(b.rng.NormFloat64())
	}
	// Chunk by chunk, every layer each time, as a forward pass stores:
	// policies that evict (sink+window) rely on that order.
	for pos := 0; pos < depth; pos += chunk {
		for l := 0; l < b.m.Config.Layers; l++ {
			if err := b.cache.Store(l, pos, k, v, min(chunk, depth-pos)); err != nil {
				return err
			}
		}
	}
	return nil
}

// run times reps repetitions of a prefill of nPrompt tokens or a
// generation of nGen tokens one at a time, after depth positions, and
// returns the tokens per second of each; a short untimed warm-up comes
// first.
func (b *bencher) run(depth, nPrompt, nGen, reps int) ([]float64, error) {
	if err := b.prepare(depth, depth+max(nPrompt, nGen)+1); err != nil {
		return nil, err
	}
	if _, err := b.m.Forward(b.tokens(1), depth, b.cache, false); err != nil {
		return nil, err
	}
	var samples []float64
	for r := 0; r < reps; r++ {
		b.cache.Truncate(depth)
		var elapsed time.Duration
		if nPrompt > 0 {
			toks := b.tokens(nPrompt)
			t := time.Now()
			if _, err := b.m.Forward(toks, depth, b.cache, false); err != nil {
				return nil, err
			}
			elapsed = time.Since(t)
			samples = append(samples, float64(nPrompt)/elapsed.Seconds())
			continue
		}
		toks := b.tokens(nGen)
		rep, policy := b.cache.(attention.Reporter)
		var r0 attention.Report
		if policy {
			r0 = rep.Report()
		}
		t := time.Now()
		for i, tok := range toks {
			if _, err := b.m.Forward([]int32{tok}, depth+i, b.cache, false); err != nil {
				return nil, err
			}
		}
		elapsed = time.Since(t)
		samples = append(samples, float64(nGen)/elapsed.Seconds())
		b.kvRead = -1
		if policy {
			r1 := rep.Report()
			b.kvRead = (r1.ReadBytes + r1.SelectBytes - r0.ReadBytes - r0.SelectBytes) / int64(nGen)
		}
	}
	b.cache.Truncate(depth)
	return samples, nil
}

// decodeBytes is what one decode step at the given depth reads under
// dense attention: every
// weight matrix once (the embedding only for one row, unless it is also
// the output projection) and the keys and values of all cached positions.
func decodeBytes(m *model.Model, elem tensor.Type, depth int) int64 {
	n := int64(len(m.Output.Data))
	for _, ly := range m.Layers {
		for _, w := range []*model.Weight{&ly.Q, &ly.K, &ly.V, &ly.O, &ly.Gate, &ly.Up, &ly.Down} {
			n += int64(len(w.Data))
		}
	}
	c := m.Config
	rb, _ := elem.RowBytes(int64(c.HeadDim))
	n += 2 * int64(c.Layers) * int64(depth) * int64(c.KVHeads) * rb
	return n
}

func parseDepths(s string) ([]int, error) {
	var ds []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%w: bad depth %q in -d", errUsage, f)
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: -d is empty", errUsage)
	}
	return ds, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is the standard deviation of xs.
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var mean, ss float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
