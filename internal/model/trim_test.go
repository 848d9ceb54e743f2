package model

import (
	"slices"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// allRows hides a cache's kv.RowIndependent, so the model runs its last
// layer for every row: the reference the trimmed pass must equal.
type allRows struct{ kv.Cache }

// The last layer run for the returned rows only gives bit-identical logits
// and leaves the cache as the full pass does (the decode after it agrees).
// The multi-token tiles are off: with them a row's sums are ordered by the
// tile it falls in, so a batch of 5 rows and the last row alone differ in
// the last bits, as any two batch sizes do.
func TestTrimmedLastLayerIsExact(t *testing.T) {
	tensor.SetTiling(false)
	defer tensor.SetTiling(true)
	tokens := []int32{1, 17, 400, 999, 3, 250, 42, 42, 7, 5, 600, 12, 9, 31}
	for _, name := range []string{"tinyqwen2-f32", "tinyqwen2-q8_0", "tinyqwen2-q4_k_m", "tiny-f16", "tiny-f32", "tiny-q4_0"} {
		t.Run(name, func(t *testing.T) {
			m := loadModel(t, name)
			run := func(c kv.Cache) []float32 {
				var out []float32
				for pos := 0; pos < len(tokens)-2; pos += 5 { // chunks of 5, 5, 2
					end := min(len(tokens)-2, pos+5)
					l, err := m.Forward(tokens[pos:end], pos, c, false)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, l...)
				}
				for pos := len(tokens) - 2; pos < len(tokens); pos++ {
					l, err := m.Forward(tokens[pos:pos+1], pos, c, false)
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, l...)
				}
				return out
			}
			for _, elem := range []tensor.Type{tensor.F32, tensor.F16, tensor.Q8_0} {
				plain, _ := m.NewCache(16, elem)
				if !kv.IsRowIndependent(plain) {
					t.Fatal("a plain cache is not row-independent")
				}
				ref, _ := m.NewCache(16, elem)
				got, want := run(plain), run(allRows{ref})
				if !slices.Equal(got, want) {
					t.Fatalf("%s KV: trimmed last layer changed the logits", elem)
				}
			}
		})
	}
}

// In a batch, sequences on row-independent caches are trimmed while the
// others, and those wanting every row's logits, run whole.
func TestTrimmedBatchIsExact(t *testing.T) {
	tensor.SetTiling(false)
	defer tensor.SetTiling(true)
	m := loadModel(t, "tinyqwen2-q8_0")
	prompts := [][]int32{{1, 5, 9, 300, 8}, {1, 77, 4}, {1, 2, 3, 4, 5, 6, 7}}
	batch := func(wrap bool) [][]float32 {
		var seqs []Seq
		for i, p := range prompts {
			c, _ := m.NewCache(16, tensor.F32)
			var cache kv.Cache = c
			if wrap || i == 2 {
				cache = allRows{c}
			}
			seqs = append(seqs, Seq{Tokens: p, Cache: cache, All: i == 1})
		}
		out, err := m.ForwardBatch(seqs)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	got, want := batch(false), batch(true)
	for i := range prompts {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("sequence %d: trimmed batch logits differ", i)
		}
	}
}
