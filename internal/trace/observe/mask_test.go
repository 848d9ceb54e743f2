package observe

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

func TestParseHeads(t *testing.T) {
	tests := []struct {
		in   string
		want []Head
		err  bool
	}{
		{"3:1", []Head{{3, 1}}, false},
		{" 0:0, 5:3 ,", []Head{{0, 0}, {5, 3}}, false},
		{"", nil, true},
		{"3", nil, true},
		{"a:1", nil, true},
		{"1:-2", nil, true},
	}
	for _, tc := range tests {
		got, err := ParseHeads(tc.in)
		if (err != nil) != tc.err {
			t.Fatalf("%q: err %v", tc.in, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%q: %v, want %v", tc.in, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%q: %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

func TestMask(t *testing.T) {
	g := Geometry{Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 4}
	const n = 6
	shape := kv.Shape{Layers: 2, Ctx: 8, KVHeads: 2, HeadDim: 4, ElemType: tensor.F32}
	r := rand.New(rand.NewPCG(3, 4))
	kvDim, qDim := g.KVHeads*g.HeadDim, g.Heads*g.HeadDim
	k, v, q := randSlice(r, n*kvDim), randSlice(r, n*kvDim), randSlice(r, n*qDim)
	qCopy := append([]float32(nil), q...)
	plain, _ := kv.NewContiguous(shape)
	plain.Store(1, 0, k, v, n)
	want := make([]float32, n*qDim)
	plain.Attend(1, 0, q, n, g.Heads, 0.5, want)
	masked := []Head{{1, 2}}
	for _, mode := range []MaskMode{MaskUniform, MaskZero} {
		c, _ := kv.NewContiguous(shape)
		m, err := NewMask(c, g, masked, mode)
		if err != nil {
			t.Fatal(err)
		}
		m.Store(1, 0, k, v, n)
		out := make([]float32, n*qDim)
		if err := m.Attend(1, 0, q, n, g.Heads, 0.5, out); err != nil {
			t.Fatal(err)
		}
		for i := range q {
			if q[i] != qCopy[i] {
				t.Fatal("mask modified the caller's queries")
			}
		}
		for i := 0; i < n; i++ {
			for h := 0; h < g.Heads; h++ {
				for d := 0; d < g.HeadDim; d++ {
					got := out[(i*g.Heads+h)*g.HeadDim+d]
					exp := want[(i*g.Heads+h)*g.HeadDim+d]
					if h == 2 {
						exp = 0
						if mode == MaskUniform { // mean of the visible values of KV head 1
							var s float64
							for j := 0; j <= i; j++ {
								s += float64(v[j*kvDim+1*g.HeadDim+d])
							}
							exp = float32(s / float64(i+1))
						}
					}
					if math.Abs(float64(got-exp)) > 1e-6 {
						t.Fatalf("mode %d query %d head %d dim %d: %g, want %g", mode, i, h, d, got, exp)
					}
				}
			}
		}
		if hs := m.Heads(); len(hs) != 1 || hs[0] != masked[0] {
			t.Fatalf("Heads() = %v", hs)
		}
	}
	// Layer 0 has no masked head: identical to the plain cache.
	c, _ := kv.NewContiguous(shape)
	m, _ := NewMask(c, g, masked, MaskUniform)
	m.Store(0, 0, k, v, n)
	plain.Store(0, 0, k, v, n)
	a, b := make([]float32, n*qDim), make([]float32, n*qDim)
	m.Attend(0, 0, q, n, g.Heads, 0.5, a)
	plain.Attend(0, 0, q, n, g.Heads, 0.5, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("an unmasked layer changed")
		}
	}
	if _, err := NewMask(c, g, []Head{{2, 0}}, MaskUniform); err == nil {
		t.Fatal("a head outside the model was accepted")
	}
}
