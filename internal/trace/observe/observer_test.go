package observe

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

// recorder materialises every observed row (tests only).
type recorder struct {
	rows map[[3]int][]float32 // (layer, head, row) -> probs from col0
	col0 map[[3]int]int
}

func newRecorder() *recorder {
	return &recorder{rows: map[[3]int][]float32{}, col0: map[[3]int]int{}}
}

func (r *recorder) Observe(layer, head, row, col0 int, probs []float32) {
	k := [3]int{layer, head, row}
	if _, dup := r.rows[k]; dup {
		panic("row observed twice")
	}
	r.rows[k] = append([]float32(nil), probs...)
	r.col0[k] = col0
}

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// roundF16 is what an f16 cache does to a stored or query value.
func roundF16(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = tensor.F16ToF32(tensor.F32ToF16(v))
	}
	return out
}

// naiveProbs is softmax_j(scale·q·k_j) over j = 0..row in float64.
func naiveProbs(q []float32, keys [][]float32, row int, scale float64) []float64 {
	s := make([]float64, row+1)
	m := math.Inf(-1)
	for j := 0; j <= row; j++ {
		var d float64
		for i := range q {
			d += float64(q[i]) * float64(keys[j][i])
		}
		s[j] = d * scale
		m = max(m, s[j])
	}
	var sum float64
	for j := range s {
		s[j] = math.Exp(s[j] - m)
		sum += s[j]
	}
	for j := range s {
		s[j] /= sum
	}
	return s
}

func TestObserverMatchesNaiveSoftmax(t *testing.T) {
	g := Geometry{Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 8}
	const npos, chunk = 23, 5
	tests := []struct {
		name       string
		elem       tensor.Type
		rows, cols kv.Span
	}{
		{"f32 all", tensor.F32, kv.Span{From: 0, To: npos}, kv.Span{From: 0, To: npos}},
		{"f32 tail rows, middle cols", tensor.F32, kv.Span{From: 17, To: npos}, kv.Span{From: 4, To: 12}},
		{"f32 cols past some rows", tensor.F32, kv.Span{From: 3, To: 9}, kv.Span{From: 6, To: 20}},
		{"f16", tensor.F16, kv.Span{From: 10, To: 22}, kv.Span{From: 2, To: 15}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			c, err := kv.NewContiguous(kv.Shape{Layers: g.Layers, Ctx: 32, KVHeads: g.KVHeads, HeadDim: g.HeadDim, ElemType: tc.elem})
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := kv.NewContiguous(kv.Shape{Layers: g.Layers, Ctx: 32, KVHeads: g.KVHeads, HeadDim: g.HeadDim, ElemType: tc.elem})
			rec := newRecorder()
			o, err := New(c, c, g, rec)
			if err != nil {
				t.Fatal(err)
			}
			o.Watch(tc.rows, tc.cols)
			kvDim, qDim := g.KVHeads*g.HeadDim, g.Heads*g.HeadDim
			// keys[layer][kvHead][pos], queries[layer][pos][head]
			keys := make([][][][]float32, g.Layers)
			qs := make([][][][]float32, g.Layers)
			for l := range keys {
				keys[l] = make([][][]float32, g.KVHeads)
				qs[l] = make([][][]float32, npos)
			}
			scale := float32(1 / math.Sqrt(float64(g.HeadDim)))
			for pos := 0; pos < npos; pos += chunk {
				n := min(chunk, npos-pos)
				for l := 0; l < g.Layers; l++ {
					k, v, q := randSlice(r, n*kvDim), randSlice(r, n*kvDim), randSlice(r, n*qDim)
					for i := 0; i < n; i++ {
						for h := 0; h < g.KVHeads; h++ {
							keys[l][h] = append(keys[l][h], k[i*kvDim+h*g.HeadDim:i*kvDim+(h+1)*g.HeadDim])
						}
						for h := 0; h < g.Heads; h++ {
							qs[l][pos+i] = append(qs[l][pos+i], q[i*qDim+h*g.HeadDim:i*qDim+(h+1)*g.HeadDim])
						}
					}
					out, want := make([]float32, n*qDim), make([]float32, n*qDim)
					if err := o.Store(l, pos, k, v, n); err != nil {
						t.Fatal(err)
					}
					if err := o.Attend(l, pos, q, n, g.Heads, scale, out); err != nil {
						t.Fatal(err)
					}
					plain.Store(l, pos, k, v, n)
					plain.Attend(l, pos, q, n, g.Heads, scale, want)
					for i := range out {
						if out[i] != want[i] {
							t.Fatalf("layer %d pos %d: the observer changed the attention output", l, pos)
						}
					}
				}
			}
			observed := 0
			for l := 0; l < g.Layers; l++ {
				for h := 0; h < g.Heads; h++ {
					kvh := h / (g.Heads / g.KVHeads)
					ks := keys[l][kvh]
					for row := 0; row < npos; row++ {
						got, ok := rec.rows[[3]int{l, h, row}]
						c1 := min(tc.cols.To, row+1)
						wantSeen := row >= tc.rows.From && row < tc.rows.To && tc.cols.From < c1
						if ok != wantSeen {
							t.Fatalf("(%d,%d) row %d observed=%v, want %v", l, h, row, ok, wantSeen)
						}
						if !ok {
							continue
						}
						observed++
						q := qs[l][row][h]
						kk := ks
						if tc.elem == tensor.F16 {
							q = roundF16(q)
							kk = make([][]float32, len(ks))
							for j := range ks {
								kk[j] = roundF16(ks[j])
							}
						}
						ref := naiveProbs(q, kk, row, float64(scale))
						if rec.col0[[3]int{l, h, row}] != tc.cols.From || len(got) != c1-tc.cols.From {
							t.Fatalf("(%d,%d) row %d: columns from %d, %d of them; want %d..%d", l, h, row, rec.col0[[3]int{l, h, row}], len(got), tc.cols.From, c1)
						}
						for i, p := range got {
							if d := math.Abs(float64(p) - ref[tc.cols.From+i]); d > 2e-6 {
								t.Fatalf("(%d,%d) row %d col %d: %g, naive %g", l, h, row, tc.cols.From+i, p, ref[tc.cols.From+i])
							}
						}
					}
				}
			}
			if observed == 0 {
				t.Fatal("nothing observed")
			}
		})
	}
}

func TestColumnSumAndArgmax(t *testing.T) {
	cs := NewColumnSum(10, 3)
	cs.Observe(0, 0, 20, 9, []float32{0.5, 0.25, 0.125, 0.125}) // col 9 is outside
	cs.Observe(1, 2, 21, 11, []float32{0.5, 0.5})
	if cs.Rows != 2 {
		t.Fatalf("rows %d", cs.Rows)
	}
	want := []float64{0.25 / 2, (0.125 + 0.5) / 2, (0.125 + 0.5) / 2}
	for j, m := range cs.Mean() {
		if math.Abs(m-want[j]) > 1e-12 {
			t.Fatalf("mean %v, want %v", cs.Mean(), want)
		}
	}
	a := NewArgmax(Geometry{Layers: 2, Heads: 2, KVHeads: 1, HeadDim: 4})
	a.Observe(1, 0, 7, 3, []float32{0.1, 0.4, 0.4, 0.1})
	if a.Pos[1][0] != 4 || a.Pos[0][0] != -1 {
		t.Fatalf("argmax %v (want 4 for (1,0), ties to the earliest, -1 elsewhere)", a.Pos)
	}
}

// tap records the output of every Attend call.
type tap struct {
	kv.Cache
	outs map[int][]float32 // layer -> out of the last call
}

func (t *tap) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	err := t.Cache.Attend(layer, pos, q, n, nHead, scale, out)
	t.outs[layer] = append([]float32(nil), out...)
	return err
}

// On a real model, the observed probabilities times the cached values give
// back the attention output the cache computed.
func TestObserverOnModelReproducesAttention(t *testing.T) {
	const path = "../../../../shared/fixtures/gguf/tiny-q8_0.gguf"
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatalf("fixture %s: %v", path, err)
	}
	defer f.Close()
	m, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config
	g := Geometry{Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim}
	for _, elem := range []tensor.Type{tensor.F32, tensor.F16} {
		cache, err := m.NewCache(64, elem)
		if err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		o, _ := New(cache, cache, g, rec)
		tokens := make([]int32, 40)
		for i := range tokens {
			tokens[i] = int32(1 + (i*37+11)%999)
		}
		o.Watch(kv.Span{From: 36, To: 40}, kv.Span{From: 0, To: 40})
		tp := &tap{Cache: o, outs: map[int][]float32{}}
		if _, err := m.Forward(tokens[:30], 0, tp, false); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Forward(tokens[30:], 30, tp, false); err != nil {
			t.Fatal(err)
		}
		vals := make([]float32, 40*g.HeadDim)
		tol := 1e-5
		if elem == tensor.F16 {
			tol = 2e-3 // the cache rounds probabilities to f16 before the values
		}
		for l := 0; l < g.Layers; l++ {
			for h := 0; h < g.Heads; h++ {
				kvh := h / (g.Heads / g.KVHeads)
				if err := cache.ReadValues(l, kvh, 0, 40, vals); err != nil {
					t.Fatal(err)
				}
				for row := 36; row < 40; row++ {
					p := rec.rows[[3]int{l, h, row}]
					if len(p) != row+1 {
						t.Fatalf("%s (%d,%d) row %d: %d probabilities", elem, l, h, row, len(p))
					}
					out := tp.outs[l][((row-30)*g.Heads+h)*g.HeadDim:]
					for d := 0; d < g.HeadDim; d++ {
						var s float64
						for j, pj := range p {
							s += float64(pj) * float64(vals[j*g.HeadDim+d])
						}
						if math.Abs(s-float64(out[d])) > tol*(1+math.Abs(s)) {
							t.Fatalf("%s (%d,%d) row %d dim %d: Σp·v = %g, attention gave %g", elem, l, h, row, d, s, out[d])
						}
					}
				}
			}
		}
	}
}
