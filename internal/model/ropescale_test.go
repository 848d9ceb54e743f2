package model

import (
	"math"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// TestSetRopeScaling checks each override against the rotation it must
// equal: linear x2 at position 2p is none at p; NTK's lowest frequency
// is stretched by the factor and its highest kept; yarn matches a config
// read from a file's keys; none restores the original table.
func TestSetRopeScaling(t *testing.T) {
	m := &Model{Config: Config{RopeDims: 64, RopeBase: 10000, CtxTrain: 2048, Rope: RopeScaling{Type: "none", Factor: 1, AttnFactor: 1}}}
	m.fileRopeBase = 10000
	m.rope = newRopeTable(&m.Config)
	cs := func(pos int) []float32 {
		out := make([]float32, 64)
		m.rope.cosSin(pos, out)
		return out
	}
	near := func(what string, a, b []float32, tol float64) {
		t.Helper()
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > tol {
				t.Fatalf("%s: element %d: %g vs %g", what, i, a[i], b[i])
			}
		}
	}
	plain := cs(300)
	if err := m.SetRopeScaling("linear", 2); err != nil {
		t.Fatal(err)
	}
	near("linear x2 at 600 vs none at 300", cs(600), plain, 1e-5)

	if err := m.SetRopeScaling("ntk", 4); err != nil {
		t.Fatal(err)
	}
	// Pair 0 rotates at 1 rad/position regardless of base.
	if got := cs(1); math.Abs(float64(got[0])-math.Cos(1)) > 1e-6 {
		t.Fatalf("ntk changed the highest frequency: cos %g", got[0])
	}
	// The lowest pair's angle per position shrinks by the factor.
	last := func(pos int, base float64) float64 { return float64(pos) * math.Pow(base, -62.0/64) }
	if want := last(1, 10000) / 4; math.Abs(last(1, float64(m.Config.RopeBase))-want) > 1e-9 {
		t.Fatalf("ntk base %g: lowest frequency %g, want %g", m.Config.RopeBase, last(1, float64(m.Config.RopeBase)), want)
	}

	if err := m.SetRopeScaling("yarn", 4); err != nil {
		t.Fatal(err)
	}
	ref := Config{RopeDims: 64, RopeBase: 10000, CtxTrain: 2048,
		Rope: RopeScaling{Type: "yarn", Factor: 4, OrigCtx: 2048, ExtFactor: 1, AttnFactor: 1, BetaFast: 32, BetaSlow: 1}}
	want := make([]float32, 64)
	newRopeTable(&ref).cosSin(5000, want)
	near("yarn", cs(5000), want, 0)

	if err := m.SetRopeScaling("none", 0); err != nil {
		t.Fatal(err)
	}
	near("none again", cs(300), plain, 0)
	for _, bad := range []struct {
		typ    string
		factor float32
	}{{"yarn", 1}, {"linear", 0}, {"ntk", float32(math.NaN())}, {"dynamic", 2}} {
		if err := m.SetRopeScaling(bad.typ, bad.factor); err == nil {
			t.Errorf("SetRopeScaling(%q, %g) accepted", bad.typ, bad.factor)
		}
	}
}

// TestPackedWeightsSameLogits checks that packed weights give the logits
// of the file layout, for a batch small enough for the packed kernels and
// one large enough for the tiles.
func TestPackedWeightsSameLogits(t *testing.T) {
	for _, name := range []string{"tiny-q8_0", "tiny-q4_k_m", "tiny-q4_0"} {
		m := loadModel(t, name)
		toks := make([]int32, 40)
		for i := range toks {
			toks[i] = int32(1 + i*37%999)
		}
		run := func(n int) []float32 {
			c, err := m.NewCache(64, tensor.F32)
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Forward(toks[:n], 0, c, true)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		plain4, plain40 := run(4), run(40)
		if _, err := m.PackWeights(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			n    int
			want []float32
		}{{4, plain4}, {40, plain40}} {
			got := run(c.n)
			for i := range got {
				if d := math.Abs(float64(got[i] - c.want[i])); d > 0.02 { // other summation orders; llama.cpp itself is 0.03 away for q4 types
					t.Fatalf("%s, %d tokens: logit %d differs by %g after packing", name, c.n, i, d)
				}
			}
		}
	}
}
