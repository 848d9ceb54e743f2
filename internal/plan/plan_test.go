package plan

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

const fixtures = "../../../shared/fixtures"

// yi34B is the running example of the paper: Yi-34B's geometry (60 layers,
// 56 query heads, 8 KV heads of 128), 34e9 parameters in bf16.
func yi34B(t *testing.T) Plan {
	t.Helper()
	m := Model{Layers: 60, Heads: 56, KVHeads: 8, HeadDim: 128, Embd: 7168, FFN: 20480, Vocab: 64000, RopeDims: 128,
		WeightBytes: 68e9, StepBytes: 68e9, LayerParams: 34e9}
	p, err := New(m, tensor.BF16, 1, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func within(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.4g, want %.4g within %.0f%%", what, got, want, 100*rel)
	}
}

// TestPaperFigures reproduces the paper's example on one A100-80GB
// (312 TFLOP/s bf16, 2.039 TB/s): KV 240 KiB per token and 12.3 GB at
// 50K, prefill of 4K in 0.89 s (the matrices' FLOPs), 250 tokens decoded
// in 8.5 s after 4K and 9.8 s after 50K.
func TestPaperFigures(t *testing.T) {
	p := yi34B(t)
	a100 := Rates{Bandwidth: 2.039e12, FLOPS: 312e12}
	if got := p.KVPerToken(); got != 245760 {
		t.Errorf("KV per token %d, want 2·60·8·128·2 = 245760", got)
	}
	within(t, "KV of 50K tokens (GB)", float64(p.SeqKVBytes(50000))/1e9, 12.3, 0.02)
	lin, _ := p.PrefillFLOPs(0, 4096)
	within(t, "prefill of 4K, matrices (s)", lin/a100.FLOPS, 0.89, 0.02)
	within(t, "decode 250 after 4K (s)", p.Decode(4096, 250, a100).Seconds, 8.5, 0.02)
	within(t, "decode 250 after 50K (s)", p.Decode(50000, 250, a100).Seconds, 9.8, 0.02)
	if c := p.DecodeStep([]int{4096}, a100); c.ComputeBound(a100) {
		t.Errorf("single-user decode is compute-bound: %+v", c)
	}
	// The whole 4K prefill is compute-bound: 4K tokens' FLOPs against one
	// read of the weights.
	if c := p.Prefill(0, 4096, a100); !c.ComputeBound(a100) {
		t.Errorf("4K prefill is memory-bound: %+v", c)
	}
}

func TestKVPerTokenMatchesCacheLayout(t *testing.T) {
	m := Model{Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 64}
	for _, tc := range []struct {
		typ  tensor.Type
		want int64 // 2 (K,V) · 2 layers · 2 KV heads · bytes of 64 elements
	}{
		{tensor.F32, 2 * 2 * 2 * 256},
		{tensor.F16, 2 * 2 * 2 * 128},
		{tensor.Q8_0, 2 * 2 * 2 * 2 * 34},
		{tensor.Q4_0, 2 * 2 * 2 * 2 * 18},
	} {
		p, err := New(m, tc.typ, 16, 0)
		if err != nil {
			t.Fatal(err)
		}
		shape := kv.Shape{Layers: 2, Ctx: 64, KVHeads: 2, HeadDim: 64, ElemType: tc.typ}
		if got := p.KVPerToken(); got != tc.want || got != shape.PositionBytes() {
			t.Errorf("%s: %d bytes per token, want %d (kv layout says %d)", tc.typ, got, tc.want, shape.PositionBytes())
		}
	}
	if _, err := New(m, tensor.Q8_0, 0, 0); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := New(Model{Layers: 2, KVHeads: 2, HeadDim: 48}, tensor.Q8_0, 0, 0); err == nil || !strings.Contains(err.Error(), "Q8_0") {
		t.Errorf("q8_0 with heads of 48: %v", err)
	}
}

// TestSeqKVBytesMatchesPool checks the block rounding against what a
// paged sequence really holds.
func TestSeqKVBytesMatchesPool(t *testing.T) {
	const layers, heads, hd, block = 2, 2, 32, 32
	p, err := New(Model{Layers: layers, Heads: heads, KVHeads: heads, HeadDim: hd}, tensor.F16, block, 0)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := kv.NewPool(kv.Shape{Layers: layers, Ctx: 256, KVHeads: heads, HeadDim: hd, ElemType: tensor.F16}, kv.PoolOptions{BlockSize: block})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	k := make([]float32, 256*heads*hd)
	for _, n := range []int{1, 31, 32, 33, 100, 256} {
		s := pool.NewSeq()
		for l := range layers {
			if err := s.Store(l, 0, k, k, n); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := p.SeqKVBytes(n), s.Bytes(); got != want {
			t.Errorf("%d positions: plan says %d bytes, the pool holds %d", n, got, want)
		}
		if want := int64((n+block-1)/block) * block * 2 * layers * heads * hd * 2; p.SeqKVBytes(n) != want {
			t.Errorf("%d positions: %d bytes, want %d", n, p.SeqKVBytes(n), want)
		}
		s.Free()
	}
}

// TestAttentionFLOPs counts query-key pairs one by one.
func TestAttentionFLOPs(t *testing.T) {
	p, err := New(Model{Layers: 3, Heads: 5, KVHeads: 1, HeadDim: 32}, tensor.F16, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ depth, n int }{{0, 1}, {0, 10}, {5, 1}, {100, 37}} {
		pairs := 0
		for q := tc.depth; q < tc.depth+tc.n; q++ {
			pairs += q + 1 // keys 0..q
		}
		want := float64(pairs) * 3 * 5 * 4 * 32
		if _, got := p.PrefillFLOPs(tc.depth, tc.n); got != want {
			t.Errorf("depth %d, %d queries: %g attention FLOPs, want %g", tc.depth, tc.n, got, want)
		}
		// The chunked prefill (passes of 7 tokens) does the same work.
		lin, att := p.PrefillFLOPs(tc.depth, tc.n)
		if c := p.Prefill(tc.depth, tc.n, Rates{Bandwidth: 1, FLOPS: 1}); c.FLOPs != lin+att {
			t.Errorf("depth %d, %d tokens: chunked prefill %g FLOPs, whole %g", tc.depth, tc.n, c.FLOPs, lin+att)
		}
	}
}

// TestRoofline works a small case by hand: 1 GB of weights and 1e9
// parameters, 1 MB of KV per token, 10 GB/s and 100 GFLOP/s.
func TestRoofline(t *testing.T) {
	m := Model{Layers: 1, Heads: 1, KVHeads: 1, HeadDim: 1, StepBytes: 1e9, LayerParams: 1e9}
	p, err := New(m, tensor.F32, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	p.kvPerToken = 1e6 // a round figure for the hand computation
	r := Rates{Bandwidth: 10e9, FLOPS: 100e9}
	// One sequence at depth 1000: reads 1e9 + 1e9 bytes (0.2 s), computes
	// 2e9 + 4·1001 FLOPs (0.02 s): memory-bound, 0.2 s.
	within(t, "1 sequence", p.DecodeStep([]int{1000}, r).Seconds, 0.2, 1e-9)
	// 100 sequences at depth 0: reads 1e9 (0.1 s), computes 100·(2e9+4)
	// FLOPs (2 s): compute-bound.
	depths := make([]int, 100)
	c := p.DecodeStep(depths, r)
	within(t, "100 sequences", c.Seconds, 2, 1e-6)
	if !c.ComputeBound(r) {
		t.Errorf("100 sequences should be compute-bound")
	}
	// Prefill of 2500 tokens in passes of 1000: three passes, each reading
	// the weights and the KV before it, computing 2e9 per token.
	want := 0.0
	for _, pass := range []struct{ depth, n float64 }{{0, 1000}, {1000, 1000}, {2000, 500}} {
		att := 4 * (pass.n*pass.depth + pass.n*(pass.n+1)/2)
		want += max((1e9+1e6*pass.depth)/10e9, (2e9*pass.n+att)/100e9)
	}
	within(t, "prefill 2500", p.Prefill(0, 2500, r).Seconds, want, 1e-9)
}

func TestFit(t *testing.T) {
	m := Model{Layers: 4, Heads: 8, KVHeads: 4, HeadDim: 32, Embd: 256, FFN: 768, Vocab: 1000, RopeDims: 32, WeightBytes: 100 << 20}
	p, err := New(m, tensor.F16, 256, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Per token of a step: 2·256 + 2·256 + 2·128 + 2·768 + 32 + 1000 =
	// 3848 floats, ×4 bytes, ×100 tokens, ×2 for the collector.
	if got := p.ActivationBytes(); got != 3848*4*100*2 {
		t.Errorf("activations %d bytes, want %d", got, 3848*4*100*2)
	}
	// KV: 2·4·4·32·2 = 2048 bytes per token; 8192 tokens are 16 MiB.
	f := p.Fit(200<<20, 8192)
	wantKV := int64(200<<20) - 100<<20 - p.ActivationBytes()
	if f.KVBudget != wantKV || f.SeqKV != 16<<20 || f.MaxSeqs != int(wantKV/(16<<20)) || f.MaxSeqs != 6 {
		t.Errorf("fit %+v, want KV budget %d, 16 MiB per sequence, 6 sequences", f, wantKV)
	}
	if f := p.Fit(50<<20, 8192); f.KVBudget != 0 || f.MaxSeqs != 0 {
		t.Errorf("weights over the budget: %+v", f)
	}
}

func TestFromModel(t *testing.T) {
	e, err := engine.Open(filepath.Join(fixtures, "gguf", "tiny-q8_0.gguf"))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	defer e.Close()
	m := FromModel(e.Model)
	// embd 256, 8 heads and 4 KV heads of 32, ffn 768, 4 layers, vocab 1000.
	perLayer := int64(256*256 + 2*256*128 + 256*256 + 3*256*768)
	if m.LayerParams != 4*perLayer || m.OutputParams != 1000*256 {
		t.Errorf("params: %d in layers, %d output; want %d, %d", m.LayerParams, m.OutputParams, 4*perLayer, 1000*256)
	}
	// Q8_0: 34 bytes per 32 weights; the untied output is read each step,
	// the embedding only a row at a time.
	if want := (4*perLayer + 256000) / 32 * 34; m.StepBytes != want {
		t.Errorf("step reads %d bytes, want %d", m.StepBytes, want)
	}
	if want := m.StepBytes + 256000/32*34; m.WeightBytes != want {
		t.Errorf("weights %d bytes, want %d", m.WeightBytes, want)
	}
	p, err := New(m, tensor.F16, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.KVPerToken() != 2048 {
		t.Errorf("KV per token %d, want 2·4·4·32·2 = 2048", p.KVPerToken())
	}
	f, err := MeasureFLOPS(e.Model, 16, 10*time.Millisecond)
	if err != nil || !(f > 1e6) {
		t.Errorf("measured %g FLOP/s, %v", f, err)
	}
}

func TestParseMemAvailable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   22000000 kB\n", 22000000 << 10, ""},
		{"MemTotal:       24576000 kB\n", 0, "no MemAvailable"},
		{"MemAvailable:   lots kB\n", 0, "unexpected"},
		{"MemAvailable:   5 MB\n", 0, "unexpected"},
	} {
		got, err := parseMemAvailable(strings.NewReader(tc.in))
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %d, %v; want %d, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}
