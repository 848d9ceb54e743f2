package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// testRope is a plain RoPE (adjacent pairs, base 10000) computed in
// float64: the tests rotate keys for absolute positions with it and the
// policies re-rotate through its ShiftKeys.
type testRope struct{}

func (testRope) rotate(x []float32, nHeads, hd int, pos float64) {
	for h := range nHeads {
		v := x[h*hd : (h+1)*hd]
		for i := 0; i < hd/2; i++ {
			theta := pos * math.Pow(10000, -2*float64(i)/float64(hd))
			c, s := math.Cos(theta), math.Sin(theta)
			a, b := float64(v[2*i]), float64(v[2*i+1])
			v[2*i], v[2*i+1] = float32(a*c-b*s), float32(a*s+b*c)
		}
	}
}

func (r testRope) ShiftKeys(k []float32, nKVHeads, headDim, delta int) {
	row := nKVHeads * headDim
	for i := 0; i+row <= len(k); i += row {
		r.rotate(k[i:i+row], nKVHeads, headDim, float64(delta))
	}
}

// geometry of the Attend-level tests.
type geom struct{ layers, heads, kvHeads, hd, ctx int }

func (g geom) info() ModelInfo {
	return ModelInfo{Layers: g.layers, Heads: g.heads, KVHeads: g.kvHeads, HeadDim: g.hd, TrainCtx: 1 << 20, Shifter: testRope{}}
}

func (g geom) cache(t testing.TB, elem tensor.Type) *kv.Contiguous {
	t.Helper()
	c, err := kv.NewContiguous(kv.Shape{Layers: g.layers, Ctx: g.ctx, KVHeads: g.kvHeads, HeadDim: g.hd, ElemType: elem})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stream is seeded random keys (un-rotated), values and queries for n
// positions of every layer.
type stream struct {
	g       geom
	k, v, q [][]float32 // [layer] rows of KVDim / KVDim / heads·hd
}

func newStream(g geom, n int, seed uint64) *stream {
	r := rand.New(rand.NewPCG(seed, 77))
	s := &stream{g: g}
	fill := func(m int) []float32 {
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	for range g.layers {
		s.k = append(s.k, fill(n*g.kvHeads*g.hd))
		s.v = append(s.v, fill(n*g.kvHeads*g.hd))
		s.q = append(s.q, fill(n*g.heads*g.hd))
	}
	return s
}

// rotated returns rows [from, to) of x (rows of nHeads·hd) rotated for
// their positions.
func rotated(x []float32, from, to, nHeads, hd int) []float32 {
	w := nHeads * hd
	out := append([]float32(nil), x[from*w:to*w]...)
	for p := from; p < to; p++ {
		testRope{}.rotate(out[(p-from)*w:(p-from+1)*w], nHeads, hd, float64(p))
	}
	return out
}

// run feeds positions [from, to) of s through c layer by layer as the
// model does (store, then attend) and returns the attention outputs
// [layer] rows of heads·hd.
func (s *stream) run(t testing.TB, c kv.Cache, from, to int) [][]float32 {
	t.Helper()
	g := s.g
	out := make([][]float32, g.layers)
	for l := range g.layers {
		k := rotated(s.k[l], from, to, g.kvHeads, g.hd)
		q := rotated(s.q[l], from, to, g.heads, g.hd)
		v := s.v[l][from*g.kvHeads*g.hd : to*g.kvHeads*g.hd]
		if err := c.Store(l, from, k, v, to-from); err != nil {
			t.Fatalf("store layer %d [%d, %d): %v", l, from, to, err)
		}
		out[l] = make([]float32, (to-from)*g.heads*g.hd)
		if err := c.Attend(l, from, q, to-from, g.heads, float32(1/math.Sqrt(float64(g.hd))), out[l]); err != nil {
			t.Fatalf("attend layer %d [%d, %d): %v", l, from, to, err)
		}
	}
	return out
}

// refAttend is float64 attention of one query head vector q over keys and
// values (rows of hd), every key at the given positions (the query's is
// qpos): keys and q are rotated here, by rot(j) for key j and by qpos.
func refAttend(q []float32, keys, vals [][]float32, keyPos []float64, qpos float64, scale float64) []float64 {
	hd := len(q)
	qr := append([]float32(nil), q...)
	testRope{}.rotate(qr, 1, hd, qpos)
	logits := make([]float64, len(keys))
	mx := math.Inf(-1)
	for j, k := range keys {
		kr := append([]float32(nil), k...)
		testRope{}.rotate(kr, 1, hd, keyPos[j])
		var d float64
		for i := range hd {
			d += float64(qr[i]) * float64(kr[i])
		}
		logits[j] = d * scale
		mx = math.Max(mx, logits[j])
	}
	out := make([]float64, hd)
	var sum float64
	for j, z := range logits {
		w := math.Exp(z - mx)
		sum += w
		for i := range hd {
			out[i] += w * float64(vals[j][i])
		}
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// headRows returns head h's vectors of positions ps from x (rows of
// nHeads·hd).
func headRows(x []float32, ps []int, nHeads, hd, h int) [][]float32 {
	var out [][]float32
	for _, p := range ps {
		out = append(out, x[p*nHeads*hd+h*hd:p*nHeads*hd+(h+1)*hd])
	}
	return out
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
