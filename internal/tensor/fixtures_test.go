package tensor_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tensor"
)

// fixtureDir is where the shared llama.cpp fixtures live (see
// ../shared/fixtures/README.md from the repository root).
const fixtureDir = "../../../shared/fixtures/gguf"

func openFixture(t *testing.T, name string) *gguf.File {
	t.Helper()
	path := filepath.Join(fixtureDir, name)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatalf("fixture %s (from the repository root: ../shared/fixtures/gguf): %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestQuantizeMatchesLlamaCpp re-quantizes the F32 weights of the tiny
// fixture models and requires llama.cpp's bytes exactly: its quantize tool
// (no importance matrix) runs the same reference quantizers, and F16 is a
// plain round-to-nearest-even conversion.
func TestQuantizeMatchesLlamaCpp(t *testing.T) {
	cases := []struct{ quantized, source string }{
		{"tiny-q8_0.gguf", "tiny-f32.gguf"},
		{"tiny-q4_0.gguf", "tiny-f32.gguf"},
		{"tiny-q4_k_m.gguf", "tiny-f32.gguf"},
		{"tiny-f16.gguf", "tiny-f32.gguf"},
		{"tinyqwen2-q8_0.gguf", "tinyqwen2-f32.gguf"},
		{"tinyqwen2-q4_k_m.gguf", "tinyqwen2-f32.gguf"},
	}
	// Root-mean-square error of llama.cpp's dequantized weights relative to
	// the RMS of the F32 weights (N(0, 0.02) draws): what each format should
	// achieve, to catch a layout misread that still round-trips.
	maxRelRMS := map[tensor.Type]float64{
		tensor.F16: 1e-3, tensor.Q8_0: 0.01, tensor.Q6_K: 0.03, tensor.Q4_K: 0.12, tensor.Q4_0: 0.15,
	}
	for _, c := range cases {
		t.Run(c.quantized, func(t *testing.T) {
			q := openFixture(t, c.quantized)
			src := openFixture(t, c.source)
			checked := 0
			for i := range q.Tensors {
				qt := &q.Tensors[i]
				if qt.Type == tensor.F32 {
					continue
				}
				st, ok := src.Tensor(qt.Name)
				if !ok || st.Type != tensor.F32 {
					t.Fatalf("%s: no F32 source tensor", qt.Name)
				}
				n := int(st.Elements())
				x := make([]float32, n)
				if err := tensor.Dequantize(tensor.F32, st.Data, x); err != nil {
					t.Fatalf("%s: %v", qt.Name, err)
				}
				got := make([]byte, len(qt.Data))
				if err := tensor.Quantize(qt.Type, x, got); err != nil {
					t.Fatalf("%s: %v", qt.Name, err)
				}
				if diff := diffBlocks(got, qt.Data, qt.Type.TypeSize()); len(diff) > 0 {
					t.Errorf("%s (%s): %d of %d blocks differ from llama.cpp's, first %v",
						qt.Name, qt.Type, len(diff), len(got)/qt.Type.TypeSize(), diff[:min(len(diff), 5)])
				}
				deq := make([]float32, n)
				if err := tensor.Dequantize(qt.Type, qt.Data, deq); err != nil {
					t.Fatalf("%s: %v", qt.Name, err)
				}
				var se, ss float64
				for j, v := range x {
					d := float64(deq[j]) - float64(v)
					se += d * d
					ss += float64(v) * float64(v)
				}
				if rel := math.Sqrt(se / ss); !(rel <= maxRelRMS[qt.Type]) {
					t.Errorf("%s (%s): dequantized RMS error %.3g of the weights' RMS, want <= %g", qt.Name, qt.Type, rel, maxRelRMS[qt.Type])
				}
				checked++
			}
			if checked == 0 {
				t.Fatal("no quantized tensors")
			}
		})
	}
}

// diffBlocks returns the indices of the blocks of size bs where a and b differ.
func diffBlocks(a, b []byte, bs int) []int {
	var out []int
	for i := 0; i < len(a); i += bs {
		if string(a[i:i+bs]) != string(b[i:i+bs]) {
			out = append(out, i/bs)
		}
	}
	return out
}
