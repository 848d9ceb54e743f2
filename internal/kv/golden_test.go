package kv_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

const fixtures = "../../../shared/fixtures"

func fixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(fixtures, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing (the shared/ folder must sit beside the repository): %v", p, err)
	}
	return p
}

// golden reads llama.cpp's logits for a fixture sequence and its tokens.
func golden(t *testing.T, name string) ([]int32, []float32) {
	t.Helper()
	meta, err := os.ReadFile(fixture(t, "golden/"+name+".meta.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var tokens []int32
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
	raw, err := os.ReadFile(fixture(t, "golden/"+name+".logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, len(raw)/4)
	for i := range logits {
		logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return tokens, logits
}

// run feeds tokens through m on c: a prefill of the first 150, then one at
// a time, returning every position's logits.
func run(t *testing.T, m *model.Model, c kv.Cache, tokens []int32) []float32 {
	t.Helper()
	const prefill = 150
	out, err := m.Forward(tokens[:prefill], 0, c, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := prefill; i < len(tokens); i++ {
		l, err := m.Forward(tokens[i:i+1], i, c, false)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l...)
	}
	return out
}

// worst is the largest |got-want| and the smallest per-position cosine.
func worst(got, want []float32, vocab int) (maxDiff, minCos float64) {
	minCos = 1
	for p := 0; p*vocab < len(want); p++ {
		var dot, na, nb float64
		for i := p * vocab; i < (p+1)*vocab; i++ {
			a, b := float64(got[i]), float64(want[i])
			maxDiff = math.Max(maxDiff, math.Abs(a-b))
			dot, na, nb = dot+a*b, na+a*a, nb+b*b
		}
		minCos = math.Min(minCos, dot/math.Sqrt(na*nb))
	}
	return maxDiff, minCos
}

// TestModelLogitsPerKVType runs the fixture models over the 200-token
// golden sequence on a paged cache (blocks of 64, a RAM budget of two
// blocks, so most of it is read back from the spill file) for every
// element type, and compares with llama.cpp's logits (f32 KV cache).
//
// Measured max |logit diff| vs llama.cpp (|logit| ≤ 1.5), min cosine:
//
//	             f32             f16                q8_0                q4_0
//	tiny-f32       1.0e-6 (1.0)  4.0e-4 (0.9999999)  9.5e-3 (0.9999675)  0.15 (0.9928)
//	tinyqwen2-f32  1.3e-6 (1.0)  3.9e-4 (0.9999999)  1.0e-2 (0.9999609)  0.16 (0.9908)
//
// q8_0 KV costs about 25× the f16 rounding error (0.7% of the logit
// range), q4_0 15× more than q8_0; the bounds below are these with a
// margin. The paged, spilled cache also gives the contiguous cache's
// logits bit for bit.
func TestModelLogitsPerKVType(t *testing.T) {
	bounds := map[tensor.Type][2]float64{ // max |diff|, min cosine
		tensor.F32: {1e-5, 0.9999999}, tensor.F16: {2e-3, 0.99999},
		tensor.Q8_0: {2e-2, 0.9999}, tensor.Q4_0: {0.3, 0.98},
	}
	for _, name := range []string{"tiny-f32", "tinyqwen2-f32"} {
		f, err := gguf.Open(fixture(t, "gguf/"+name+".gguf"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, err := model.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		tokens, want := golden(t, name+".seqB.batch.kvf32")
		c := m.Config
		for _, typ := range []tensor.Type{tensor.F32, tensor.F16, tensor.Q8_0, tensor.Q4_0} {
			t.Run(fmt.Sprintf("%s/%s", name, typ), func(t *testing.T) {
				shape := kv.Shape{Layers: c.Layers, Ctx: len(tokens), KVHeads: c.KVHeads, HeadDim: c.HeadDim, ElemType: typ}
				p, err := kv.NewPool(shape, kv.PoolOptions{BlockSize: 64, Shifter: m})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if err := p.SetRAM(2 * p.BlockBytes()); err != nil {
					t.Fatal(err)
				}
				got := run(t, m, p.NewSeq(), tokens)
				d, cos := worst(got, want, c.Vocab)
				t.Logf("max |diff| %.2g, min cosine %.7f", d, cos)
				if b := bounds[typ]; !(d <= b[0] && cos >= b[1]) {
					t.Errorf("max |diff| %.3g (bound %g), min cosine %.7f (bound %g)", d, b[0], cos, b[1])
				}
				cc, err := kv.NewContiguous(shape)
				if err != nil {
					t.Fatal(err)
				}
				ref := run(t, m, cc, tokens)
				for i := range ref {
					if math.Float32bits(ref[i]) != math.Float32bits(got[i]) {
						t.Fatalf("logit %d: paged+spilled %g, contiguous %g", i, got[i], ref[i])
					}
				}
			})
		}
	}
}
