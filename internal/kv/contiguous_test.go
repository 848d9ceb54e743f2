package kv

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// naiveAttention is the textbook definition, in float64.
func naiveAttention(q, k, v []float64, nHead, nKV, hd, seen int, scale float64) []float64 {
	out := make([]float64, nHead*hd)
	for h := 0; h < nHead; h++ {
		kvh := h / (nHead / nKV)
		s := make([]float64, seen)
		m := math.Inf(-1)
		for t := 0; t < seen; t++ {
			for j := 0; j < hd; j++ {
				s[t] += q[h*hd+j] * k[(t*nKV+kvh)*hd+j]
			}
			s[t] *= scale
			m = math.Max(m, s[t])
		}
		var sum float64
		for t := range s {
			s[t] = math.Exp(s[t] - m)
			sum += s[t]
		}
		for t := range s {
			for j := 0; j < hd; j++ {
				out[h*hd+j] += s[t] / sum * v[(t*nKV+kvh)*hd+j]
			}
		}
	}
	return out
}

func TestAttendMatchesNaive(t *testing.T) {
	const layers, ctx, nKV, nHead, hd = 2, 37, 2, 6, 8
	r := rand.New(rand.NewPCG(1, 2))
	randf := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	for _, elem := range []tensor.Type{tensor.F32, tensor.F16} {
		c, err := NewContiguous(Shape{Layers: layers, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: elem})
		if err != nil {
			t.Fatal(err)
		}
		kvDim := nKV * hd
		k, v := randf(ctx*kvDim), randf(ctx*kvDim)
		q := randf(ctx * nHead * hd)
		// Store in uneven chunks, attending after each as a model would.
		out := make([]float32, ctx*nHead*hd)
		for pos, chunk := 0, 1; pos < ctx; chunk += 2 {
			n := min(chunk, ctx-pos)
			for l := 0; l < layers; l++ {
				if err := c.Store(l, pos, k[pos*kvDim:], v[pos*kvDim:], n); err != nil {
					t.Fatal(err)
				}
				if err := c.Attend(l, pos, q[pos*nHead*hd:], n, nHead, 0.3, out[pos*nHead*hd:]); err != nil {
					t.Fatal(err)
				}
			}
			pos += n
		}
		tol := 1e-5
		if elem == tensor.F16 {
			tol = 5e-3
		}
		k64, v64 := to64(k), to64(v)
		worst := 0.0
		for i := 0; i < ctx; i++ {
			want := naiveAttention(to64(q[i*nHead*hd:(i+1)*nHead*hd]), k64, v64, nHead, nKV, hd, i+1, 0.3)
			for j, w := range want {
				worst = math.Max(worst, math.Abs(w-float64(out[i*nHead*hd+j])))
			}
		}
		if worst > tol {
			t.Errorf("%s cache: max |diff| from naive attention %.3g > %.3g", elem, worst, tol)
		}
		if c.Len() != ctx {
			t.Errorf("Len = %d", c.Len())
		}
		c.Truncate(5)
		if c.Len() != 5 {
			t.Errorf("after Truncate(5), Len = %d", c.Len())
		}
	}
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestErrors(t *testing.T) {
	if _, err := NewContiguous(Shape{Layers: 1, Ctx: 4, KVHeads: 1, HeadDim: 4, ElemType: tensor.Q8_0}); err == nil {
		t.Error("q8_0 cache with head size 4 accepted")
	}
	if _, err := NewContiguous(Shape{Layers: 0, Ctx: 4, KVHeads: 1, HeadDim: 4, ElemType: tensor.F32}); err == nil {
		t.Error("zero layers accepted")
	}
	c, _ := NewContiguous(Shape{Layers: 1, Ctx: 4, KVHeads: 2, HeadDim: 2, ElemType: tensor.F32})
	x := make([]float32, 64)
	cases := []struct {
		err  error
		want string
	}{
		{c.Store(1, 0, x, x, 1), "layer 1"},
		{c.Store(0, 3, x, x, 2), "exceed"},
		{c.Store(0, 2, x, x, 1), "gap"},
		{c.Store(0, 0, x[:3], x, 1), "needs 4 floats"},
		{c.Attend(0, 0, x, 1, 4, 1, x), "only 0 are stored"},
		{c.Attend(0, 0, x, 1, 3, 1, x), "do not group"},
	}
	for i, cs := range cases {
		if cs.err == nil || !strings.Contains(cs.err.Error(), cs.want) {
			t.Errorf("case %d: err = %v, want %q", i, cs.err, cs.want)
		}
	}
}
