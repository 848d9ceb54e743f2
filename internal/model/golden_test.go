package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tensor"
)

const fixtures = "../../../shared/fixtures"

func fixturePath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(fixtures, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing (the shared/ folder must sit beside the repository): %v", p, err)
	}
	return p
}

func loadModel(t testing.TB, name string) *Model {
	t.Helper()
	f, err := gguf.Open(fixturePath(t, "gguf/"+name+".gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// golden reads llama.cpp's logits and the token sequence they were made from.
func golden(t testing.TB, name string) (tokens []int32, logits []float32) {
	t.Helper()
	meta, err := os.ReadFile(fixturePath(t, "golden/"+name+".meta.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(meta), "\n") {
		if s, ok := strings.CutPrefix(line, "tokens: "); ok {
			for _, f := range strings.Split(s, ",") {
				id, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil {
					t.Fatalf("%s: bad token %q", name, f)
				}
				tokens = append(tokens, int32(id))
			}
		}
	}
	raw, err := os.ReadFile(fixturePath(t, "golden/"+name+".logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	logits = make([]float32, len(raw)/4)
	for i := range logits {
		logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	if len(logits) != len(tokens)*1000 {
		t.Fatalf("%s: %d logits for %d tokens", name, len(logits), len(tokens))
	}
	return tokens, logits
}

// compare checks every position: max |diff| and cosine similarity.
func compare(t *testing.T, got, want []float32, vocab int, tol, cosTol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d logits, want %d", len(got), len(want))
	}
	worst, worstPos, minCos := 0.0, 0, 1.0
	for p := 0; p < len(want)/vocab; p++ {
		g, w := got[p*vocab:(p+1)*vocab], want[p*vocab:(p+1)*vocab]
		var dot, gg, ww float64
		for i := range g {
			d := math.Abs(float64(g[i] - w[i]))
			if d > worst || math.IsNaN(d) {
				worst, worstPos = d, p
			}
			dot += float64(g[i]) * float64(w[i])
			gg += float64(g[i]) * float64(g[i])
			ww += float64(w[i]) * float64(w[i])
		}
		minCos = math.Min(minCos, dot/math.Sqrt(gg*ww))
	}
	t.Logf("max |diff| %.3g (position %d), min cosine %.7f", worst, worstPos, minCos)
	if !(worst <= tol) {
		t.Errorf("max |diff| %.3g at position %d exceeds %.3g", worst, worstPos, tol)
	}
	if !(minCos >= cosTol) {
		t.Errorf("min cosine %.7f below %g", minCos, cosTol)
	}
}

// goldenTolerance is the largest |logit difference| from llama.cpp allowed
// per weight type, as the fixtures' README sets them: exact math for f32,
// f16 rounding for f16 weights (and for an f16 KV cache), and one step of
// 8-bit activation rounding for quantized weights.
var goldenTolerance = map[string]float64{
	"tiny-f32": 1e-4, "tinyqwen2-f32": 1e-4,
	"tiny-f16":  2e-3,
	"tiny-q8_0": 0.03, "tiny-q4_0": 0.03, "tiny-q4_k_m": 0.03,
	"tinyqwen2-q8_0": 0.03, "tinyqwen2-q4_k_m": 0.03,
}

// minCosine is the per-position cosine similarity required. With quantized
// weights the logits depend chaotically on float summation order: an
// activation within an ulp of a rounding boundary of its 8-bit (or f16)
// quantization flips one step, and the random-weight fixtures have flat
// logits (|logit| < 1.5), so one flip moves the cosine by ~1e-4. This was
// traced op by op against a build of llama.cpp b10573 on this machine:
// copying the exact lane layouts and reduction trees of its AVX-512 and
// repacked (q4_0_8x8, q4_K_8x8) kernels, its fused RoPE and its polynomial
// exp makes all 32 golden cases bit-identical, so nothing but summation
// order separates the engines. Those orders are specific to one build
// (llama.cpp's own batched and token-by-token Q4_K_M runs differ by 0.014,
// cosine 0.99993), so the default kernels keep their own. For 4-bit files
// the bound is 0.9998. The fixtures are not very sensitive to attention (a
// 5% error in the attention scale still gives 0.99984), so the code all
// types share — rope, attention, norms — is held to the f32, f16 and q8_0
// cases, whose tolerances catch such errors by far; the 4-bit cases guard
// the 4-bit kernels, which internal/tensor also checks against llama.cpp's
// own quantized bytes.
func minCosine(name string) float64 {
	if strings.Contains(name, "q4_") {
		return 0.9998
	}
	return 0.9999
}

func TestGoldenLogits(t *testing.T) {
	for name, tol := range goldenTolerance {
		m := loadModel(t, name)
		for _, variant := range []string{"seqA.batch.kvf32", "seqA.batch.kvf16", "seqA.incr.kvf32", "seqB.batch.kvf32"} {
			t.Run(name+"."+variant, func(t *testing.T) {
				tokens, want := golden(t, name+"."+variant)
				elem, tol := tensor.F32, tol
				if strings.HasSuffix(variant, "kvf16") {
					// An f16 cache rounds keys, values, queries and weights.
					elem, tol = tensor.F16, max(tol, 2e-3)
				}
				cache, err := m.NewCache(len(tokens), elem)
				if err != nil {
					t.Fatal(err)
				}
				var got []float32
				if strings.Contains(variant, "incr") {
					for i, tok := range tokens {
						l, err := m.Forward([]int32{tok}, i, cache, false)
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, l...)
					}
				} else {
					got, err = m.Forward(tokens, 0, cache, true)
					if err != nil {
						t.Fatal(err)
					}
				}
				compare(t, got, want, m.Config.Vocab, tol, minCosine(name))
			})
		}
	}
}

// Token-by-token decoding and batched prefill (in mixed chunk sizes) must
// agree: to float rounding where no activation is quantized (f32
// weights), and within the llama.cpp tolerance where they are, since the
// batched kernels sum in another order and may flip an 8-bit rounding.
func TestIncrementalMatchesBatch(t *testing.T) {
	for _, c := range []struct {
		name     string
		tol, cos float64
	}{
		{"tinyqwen2-f32", 1e-5, 0.9999999},
		{"tiny-f16", 2e-3, 0.9999},
		{"tinyqwen2-q4_k_m", goldenTolerance["tinyqwen2-q4_k_m"], minCosine("q4_k_m")},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := loadModel(t, c.name)
			tokens := []int32{1, 17, 400, 999, 3, 250, 42, 42, 7, 5, 600, 12}
			c1, _ := m.NewCache(16, tensor.F32)
			batch, err := m.Forward(tokens, 0, c1, true)
			if err != nil {
				t.Fatal(err)
			}
			c2, _ := m.NewCache(16, tensor.F32)
			var incr []float32
			for pos, chunk := 0, 1; pos < len(tokens); chunk++ {
				end := min(len(tokens), pos+chunk)
				l, err := m.Forward(tokens[pos:end], pos, c2, true)
				if err != nil {
					t.Fatal(err)
				}
				incr = append(incr, l...)
				pos = end
			}
			compare(t, incr, batch, m.Config.Vocab, c.tol, c.cos)
		})
	}
}

func TestForwardErrors(t *testing.T) {
	m := loadModel(t, "tiny-q8_0")
	cache, _ := m.NewCache(4, tensor.F32)
	cases := []struct {
		tokens []int32
		pos    int
		want   string
	}{
		{nil, 0, "no tokens"},
		{[]int32{1000}, 0, "outside the vocabulary"},
		{[]int32{-1}, 0, "outside the vocabulary"},
		{[]int32{1, 2, 3, 4, 5}, 0, "exceed the context of 4"},
		{[]int32{1}, 2, "cache holds 0"},
	}
	for _, c := range cases {
		_, err := m.Forward(c.tokens, c.pos, cache, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Forward(%v, %d): err = %v, want %q", c.tokens, c.pos, err, c.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	src, err := gguf.Open(fixturePath(t, "gguf/tiny-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// rebuild copies src with one metadata value set (nil drops it)
	// and the named tensor dropped.
	rebuild := func(key string, val *gguf.Value, dropTensor string) *gguf.File {
		var kvs []gguf.KV
		found := false
		for _, kv := range src.KVs {
			if kv.Key == key {
				found = true
				if val == nil {
					continue
				}
				kv.Value = *val
			}
			kvs = append(kvs, kv)
		}
		if !found && val != nil {
			kvs = append(kvs, gguf.KV{Key: key, Value: *val})
		}
		return copyGGUF(t, src, kvs, dropTensor)
	}
	ptr := func(v gguf.Value) *gguf.Value { return &v }
	cases := []struct {
		key  string
		val  *gguf.Value
		drop string
		want string
	}{
		{"general.architecture", ptr(gguf.String("gpt-j")), "", `unsupported architecture "gpt-j"`},
		{"general.architecture", nil, "", "general.architecture is missing"},
		{"llama.block_count", nil, "", "llama.block_count is missing"},
		{"llama.attention.head_count", ptr(gguf.Uint32(0)), "", "head_count = 0"},
		{"llama.attention.head_count_kv", ptr(gguf.Uint32(3)), "", "not a multiple of 3 KV heads"},
		{"llama.embedding_length", ptr(gguf.String("x")), "", "want an integer"},
		{"llama.rope.scaling.type", ptr(gguf.String("longrope")), "", `"longrope" is not supported`},
		{"llama.vocab_size", ptr(gguf.Uint32(999)), "", "vocab_size 999"},
		{"", nil, "blk.2.ffn_up.weight", "tensor blk.2.ffn_up.weight is missing"},
		{"llama.feed_forward_length", ptr(gguf.Uint32(512)), "", "blk.0.ffn_gate.weight has shape [256 768], want [256 512]"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.key, c.drop), func(t *testing.T) {
			f := rebuild(c.key, c.val, c.drop)
			_, err := Load(f)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// A batch of sequences at different positions gives each sequence the
// logits it gets alone.
func TestForwardBatchMatchesSingle(t *testing.T) {
	m := loadModel(t, "tinyqwen2-q8_0")
	prompts := [][]int32{{1, 5, 9, 300}, {1, 77}, {1, 2, 3, 4, 5, 6, 7}}
	var seqs []Seq
	var want [][]float32
	for i, p := range prompts {
		solo, _ := m.NewCache(16, tensor.F32)
		if _, err := m.Forward(p[:len(p)-1], 0, solo, false); err != nil {
			t.Fatal(err)
		}
		l, err := m.Forward(p[len(p)-1:], len(p)-1, solo, false)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, l)
		// In the batch: sequence 0 decodes its last token, 1 prefills all
		// with every row's logits, 2 prefills all.
		c, _ := m.NewCache(16, tensor.F32)
		s := Seq{Tokens: p, Pos: 0, Cache: c, All: i == 1}
		if i == 0 {
			m.Forward(p[:len(p)-1], 0, c, false)
			s = Seq{Tokens: p[len(p)-1:], Pos: len(p) - 1, Cache: c}
		}
		seqs = append(seqs, s)
	}
	got, err := m.ForwardBatch(seqs)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.Vocab
	if len(got[1]) != 2*V {
		t.Fatalf("sequence 1 wanted all rows: %d logits", len(got[1]))
	}
	got[1] = got[1][V:]
	for i := range prompts {
		compare(t, got[i], want[i], V, 1e-5, 0.9999999)
	}
	if _, err := m.ForwardBatch(nil); err == nil {
		t.Error("empty batch accepted")
	}
	c, _ := m.NewCache(2, tensor.F32)
	if _, err := m.ForwardBatch([]Seq{{Tokens: []int32{1}, Cache: c}, {Tokens: []int32{1, 2, 3}, Cache: c}}); err == nil || !strings.Contains(err.Error(), "sequence 1") {
		t.Errorf("overflowing second sequence: %v", err)
	}
}

// RoPE scaling keys are read as llama.cpp reads them for these
// architectures: a factor without a type is linear scaling, and YaRN's
// beta keys are ignored (its ramp is 32/1).
func TestRopeScalingKeysAsLlamaCpp(t *testing.T) {
	src, err := gguf.Open(fixturePath(t, "gguf/tiny-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	with := func(extra ...gguf.KV) *Model {
		t.Helper()
		m, err := Load(copyGGUF(t, src, append(slices.Clone(src.KVs), extra...), ""))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if r := with(gguf.KV{Key: "llama.rope.scaling.factor", Value: gguf.Float32(4)}).Config.Rope; r.Type != "linear" || r.Factor != 4 {
		t.Errorf("factor without a type: %+v", r)
	}
	if r := with(gguf.KV{Key: "llama.rope.scaling.factor", Value: gguf.Float32(1)}).Config.Rope; r.Type != "none" {
		t.Errorf("factor 1 without a type: %+v", r)
	}
	r := with(gguf.KV{Key: "llama.rope.scaling.type", Value: gguf.String("yarn")}, gguf.KV{Key: "llama.rope.scaling.factor", Value: gguf.Float32(8)},
		gguf.KV{Key: "llama.rope.scaling.yarn_beta_fast", Value: gguf.Float32(16)}, gguf.KV{Key: "llama.rope.scaling.yarn_beta_slow", Value: gguf.Float32(2)}).Config.Rope
	if r.Type != "yarn" || r.BetaFast != 32 || r.BetaSlow != 1 {
		t.Errorf("yarn with beta keys: %+v", r)
	}
}

// copyGGUF is src with the metadata kvs and every tensor but dropTensor.
func copyGGUF(t *testing.T, src *gguf.File, kvs []gguf.KV, dropTensor string) *gguf.File {
	t.Helper()
	w := gguf.NewWriter()
	for _, kv := range kvs {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	for _, ti := range src.Tensors {
		if ti.Name != dropTensor {
			if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	var sb strings.Builder
	if _, err := w.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse([]byte(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}
