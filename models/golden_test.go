package models

import (
	"encoding/binary"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/tensor"
)

// TestGoldenLogits guards the embedded model against drift: llama.cpp
// (its C API, f32 KV cache, flash attention off, all tokens in one batch)
// tokenized testdata/golden-prompt.txt and wrote the logits of every
// position listed in golden-positions.txt; see testdata/README.md. Our
// tokenizer must give the same ids and our forward pass the same logits
// within Q8_0 activation-rounding tolerance.
func TestGoldenLogits(t *testing.T) {
	f, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(f)
	if err != nil {
		t.Fatal(err)
	}
	prompt := readFile(t, "golden-prompt.txt")
	want := ints(t, readFile(t, "golden-ids.txt"))
	positions := ints(t, readFile(t, "golden-positions.txt"))
	raw := []byte(readFile(t, "golden-logits.f32"))
	nv := e.Model.Config.Vocab
	if len(raw) != 4*nv*len(positions) {
		t.Fatalf("golden-logits.f32 has %d bytes, want %d positions x %d floats", len(raw), len(positions), nv)
	}

	got, err := e.PromptTokens(&engine.Request{Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("token ids differ from llama.cpp's:\n got %v\nwant %v", got, want)
	}
	cache, err := e.Model.NewCache(len(got), tensor.F32)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := e.Model.Forward(got, 0, cache, true)
	if err != nil {
		t.Fatal(err)
	}
	var worst, minCos float64 = 0, 1
	for i, p := range positions {
		ref := make([]float32, nv)
		for j := range ref {
			ref[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*nv+j):]))
		}
		row := logits[int(p)*nv : (int(p)+1)*nv]
		var dot, nr, no float64
		for j := range ref {
			worst = max(worst, math.Abs(float64(ref[j]-row[j])))
			dot += float64(ref[j]) * float64(row[j])
			nr += float64(ref[j]) * float64(ref[j])
			no += float64(row[j]) * float64(row[j])
		}
		minCos = min(minCos, dot/math.Sqrt(nr*no))
		if top, second := top2(ref); ref[top]-ref[second] > 0.2 && argmax(row) != top {
			t.Errorf("position %d: argmax %d, llama.cpp's is %d (margin %.3f)", p, argmax(row), top, ref[top]-ref[second])
		}
	}
	t.Logf("%d positions: max |logit diff| %.4f, min cosine %.6f", len(positions), worst, minCos)
	// Both sides round activations to Q8_0 blocks; the rest is summation
	// order, amplified by logits of magnitude ~15 (measured: 0.068, 0.99948).
	if worst > 0.15 || minCos < 0.999 {
		t.Fatalf("logits drifted from llama.cpp's: max |diff| %.4f (limit 0.15), min cosine %.6f (limit 0.999)", worst, minCos)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ints(t *testing.T, s string) []int32 {
	t.Helper()
	var out []int32
	for _, f := range strings.Fields(s) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, int32(n))
	}
	return out
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

func top2(x []float32) (int, int) {
	a, b := 0, 1
	if x[b] > x[a] {
		a, b = b, a
	}
	for i := 2; i < len(x); i++ {
		if x[i] > x[a] {
			a, b = i, a
		} else if x[i] > x[b] {
			b = i
		}
	}
	return a, b
}
