package testmodel

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

const fixtures = "../../../shared/fixtures/gguf"

func generate(t *testing.T, o Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(f, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func open(t *testing.T, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestTinyModelsRun loads every architecture and type of the tiny shape
// with model.Load and runs a forward pass.
func TestTinyModelsRun(t *testing.T) {
	for _, arch := range Archs {
		for _, typ := range Types() {
			t.Run(arch+"-"+typ, func(t *testing.T) {
				f := open(t, generate(t, Options{Arch: arch, Shape: "tiny", Type: typ, Seed: 1}))
				m, err := model.Load(f)
				if err != nil {
					t.Fatal(err)
				}
				cache, err := m.NewCache(8, tensor.F16)
				if err != nil {
					t.Fatal(err)
				}
				logits, err := m.Forward([]int32{1, 300, 301, 999}, 0, cache, false)
				if err != nil {
					t.Fatal(err)
				}
				if len(logits) != 1000 {
					t.Fatalf("%d logits, want 1000", len(logits))
				}
				var maxAbs float64
				for _, x := range logits {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						t.Fatalf("non-finite logit %g", x)
					}
					maxAbs = max(maxAbs, math.Abs(float64(x)))
				}
				// The fixtures (same distribution) have max |logit| 1.2-1.5.
				if maxAbs < 0.2 || maxAbs > 5 {
					t.Fatalf("max |logit| %g, want about 1 for N(0, 0.02) weights", maxAbs)
				}
			})
		}
	}
}

// TestMatchesFixtureLayout compares the tiny llama files with the fixtures
// llama.cpp wrote: the same metadata values, the same vocabulary, and the
// same tensor names, shapes and types (which checks the Q4_K_M mix).
func TestMatchesFixtureLayout(t *testing.T) {
	for _, typ := range []string{"f32", "q8_0", "q4_k_m"} {
		t.Run(typ, func(t *testing.T) {
			ref := filepath.Join(fixtures, "tiny-"+typ+".gguf")
			if _, err := os.Stat(ref); err != nil {
				t.Fatalf("fixture missing: %v", err)
			}
			want := open(t, ref)
			got := open(t, generate(t, Options{Arch: "llama", Shape: "tiny", Type: typ, Seed: 1}))
			for _, key := range []string{"llama.vocab_size", "llama.embedding_length", "llama.block_count",
				"llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
				"llama.rope.dimension_count", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
				"general.file_type"} {
				w, _ := want.Uint(key)
				g, ok := got.Uint(key)
				if !ok || g != w {
					t.Errorf("%s = %d (present %v), fixture has %d", key, g, ok, w)
				}
			}
			for _, key := range []string{"llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon"} {
				w, _ := want.Float(key)
				if g, _ := got.Float(key); g != w {
					t.Errorf("%s = %g, fixture has %g", key, g, w)
				}
			}
			wt, _ := want.Strings("tokenizer.ggml.tokens")
			gt, _ := got.Strings("tokenizer.ggml.tokens")
			wk, _ := want.Int32s("tokenizer.ggml.token_type")
			gk, _ := got.Int32s("tokenizer.ggml.token_type")
			if len(gt) != len(wt) || len(gk) != len(wk) {
				t.Fatalf("vocab of %d tokens / %d types, fixture %d / %d", len(gt), len(gk), len(wt), len(wk))
			}
			for i := 0; i < 259; i++ { // special and byte tokens are fixed; the rest is made up in both
				if gt[i] != wt[i] || gk[i] != wk[i] {
					t.Errorf("token %d = %q type %d, fixture %q type %d", i, gt[i], gk[i], wt[i], wk[i])
				}
			}
			seen := map[string]bool{}
			for _, s := range gt {
				if seen[s] {
					t.Fatalf("token %q repeated", s)
				}
				seen[s] = true
			}
			if len(got.Tensors) != len(want.Tensors) {
				t.Errorf("%d tensors, fixture has %d", len(got.Tensors), len(want.Tensors))
			}
			for _, wti := range want.Tensors {
				gti, ok := got.Tensor(wti.Name)
				if !ok {
					t.Errorf("tensor %s missing", wti.Name)
					continue
				}
				if gti.Type != wti.Type || !equalDims(gti.Dims, wti.Dims) {
					t.Errorf("tensor %s: %s %v, fixture %s %v", wti.Name, gti.Type, gti.Dims, wti.Type, wti.Dims)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	for _, x := range []struct {
		buf  *bytes.Buffer
		seed uint64
	}{{&a, 5}, {&b, 5}, {&c, 6}} {
		if _, err := Generate(x.buf, Options{Arch: "qwen3", Shape: "tiny", Type: "q4_k_m", Seed: x.seed}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with seed 5 differ")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("seeds 5 and 6 give the same file")
	}
}

func TestMoreBitsMatchesFixture(t *testing.T) {
	// The fixtures' Q4_K_M mix (4 layers) gives layers 2 and 3 Q6_K; for 16
	// layers the rule selects 0, 1, 4, 7, 10, 13, 14, 15.
	for layers, want := range map[int][]int{4: {2, 3}, 16: {0, 1, 4, 7, 10, 13, 14, 15}} {
		var got []int
		for l := 0; l < layers; l++ {
			if moreBits(l, layers) {
				got = append(got, l)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d layers: %v, want %v", layers, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%d layers: %v, want %v", layers, got, want)
				break
			}
		}
	}
}

func TestErrors(t *testing.T) {
	for _, o := range []Options{
		{Arch: "gpt2", Shape: "tiny", Type: "f32"},
		{Arch: "llama", Shape: "huge", Type: "f32"},
		{Arch: "llama", Shape: "tiny", Type: "q3_k"},
	} {
		if _, err := Generate(&bytes.Buffer{}, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func equalDims(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
