package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(r *rand.Rand, n int, std float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * std)
	}
	return x
}

// opCase is one op under a finite-difference check: fwd computes the
// output from the inputs, back returns the inputs' gradients for an output
// gradient dy.
type opCase struct {
	name   string
	inputs [][]float32
	fwd    func(in [][]float32) []float32
	back   func(in [][]float32, dy []float32) [][]float32
	tol    float64
}

// checkGrad compares back's gradient of L = Σ fwd(in)·R with central
// differences of L (summed in float64) for every input element.
func checkGrad(t *testing.T, c opCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	out := c.fwd(c.inputs)
	R := randVec(r, len(out), 1)
	loss := func() float64 {
		o := c.fwd(c.inputs)
		var s float64
		for i, v := range o {
			s += float64(v) * float64(R[i])
		}
		return s
	}
	grads := c.back(c.inputs, R)
	const h = 1e-2
	worst := 0.0
	for ii, in := range c.inputs {
		for j := range in {
			old := in[j]
			in[j] = old + h
			lp := loss()
			in[j] = old - h
			lm := loss()
			in[j] = old
			num := (lp - lm) / (2 * h)
			got := float64(grads[ii][j])
			err := math.Abs(num-got) / math.Max(1, math.Abs(num))
			worst = max(worst, err)
			if err > c.tol {
				t.Errorf("%s: input %d[%d]: analytic %.6g, numeric %.6g", c.name, ii, j, got, num)
				return
			}
		}
	}
	t.Logf("%s: worst relative error %.2g", c.name, worst)
}

func TestOpGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const rows, width = 3, 8
	segs := []segment{{0, 5}, {5, 3}}
	shape := attnShape{heads: 4, kvHeads: 2, hd: 4, segs: segs}
	n := 8
	cs := make([]float32, 0)
	rp := newRope(4, 10000)
	tab := rp.table(5)
	cs = append(cs, tab[:5*4]...)
	cs = append(cs, tab[:3*4]...)
	cases := []opCase{
		{
			name:   "rmsnorm",
			inputs: [][]float32{randVec(r, rows*width, 1), randVec(r, width, 1)},
			fwd: func(in [][]float32) []float32 {
				y, inv := make([]float32, rows*width), make([]float32, rows)
				rmsNorm(y, inv, in[0], in[1], width, 1e-5)
				return y
			},
			back: func(in [][]float32, dy []float32) [][]float32 {
				y, inv := make([]float32, rows*width), make([]float32, rows)
				rmsNorm(y, inv, in[0], in[1], width, 1e-5)
				dx, dw := make([]float32, rows*width), make([]float32, width)
				rmsNormBack(dx, dw, dy, in[0], inv, in[1], width)
				return [][]float32{dx, dw}
			},
			tol: 2e-3,
		},
		{
			name:   "linear",
			inputs: [][]float32{randVec(r, rows*width, 1), randVec(r, 5*width, 1)},
			fwd: func(in [][]float32) []float32 {
				y := make([]float32, rows*5)
				linear(y, in[0], &Tensor{Rows: 5, Cols: width, W: in[1]}, rows)
				return y
			},
			back: func(in [][]float32, dy []float32) [][]float32 {
				w := &Tensor{Rows: 5, Cols: width, W: in[1], G: make([]float32, 5*width)}
				dx := make([]float32, rows*width)
				linearBack(dx, dy, in[0], w, rows)
				return [][]float32{dx, w.G}
			},
			tol: 1e-3,
		},
		{
			name:   "rope",
			inputs: [][]float32{randVec(r, n*2*4, 1)},
			fwd: func(in [][]float32) []float32 {
				y := append([]float32(nil), in[0]...)
				ropeRows(y, n, 2, 4, cs, false)
				return y
			},
			back: func(in [][]float32, dy []float32) [][]float32 {
				dx := append([]float32(nil), dy...)
				ropeRows(dx, n, 2, 4, cs, true)
				return [][]float32{dx}
			},
			tol: 1e-3,
		},
		{
			name:   "swiglu",
			inputs: [][]float32{randVec(r, 20, 2), randVec(r, 20, 1)},
			fwd: func(in [][]float32) []float32 {
				y := make([]float32, 20)
				swiglu(y, in[0], in[1])
				return y
			},
			back: func(in [][]float32, dy []float32) [][]float32 {
				dg, du := make([]float32, 20), make([]float32, 20)
				swigluBack(dg, du, dy, in[0], in[1])
				return [][]float32{dg, du}
			},
			tol: 2e-3,
		},
		{
			name:   "attention(gqa,2 seqs)",
			inputs: [][]float32{randVec(r, n*16, 1), randVec(r, n*8, 1), randVec(r, n*8, 1)},
			fwd: func(in [][]float32) []float32 {
				o, lse := make([]float32, n*16), make([]float32, n*4)
				attention(o, lse, in[0], in[1], in[2], shape)
				return o
			},
			back: func(in [][]float32, dy []float32) [][]float32 {
				o, lse := make([]float32, n*16), make([]float32, n*4)
				attention(o, lse, in[0], in[1], in[2], shape)
				dq, dk, dv := make([]float32, n*16), make([]float32, n*8), make([]float32, n*8)
				attentionBack(dq, dk, dv, dy, o, lse, in[0], in[1], in[2], shape, make([]float32, 2*4*n*4))
				return [][]float32{dq, dk, dv}
			},
			tol: 2e-3,
		},
		{
			name:   "cross-entropy",
			inputs: [][]float32{randVec(r, 3*7, 2)},
			fwd: func(in [][]float32) []float32 {
				p := append([]float32(nil), in[0]...)
				return []float32{float32(crossEntropy(p, []int32{1, 6, 0}, []float32{1, 0.5, 2}, 7))}
			},
			back: func(in [][]float32, dy []float32) [][]float32 {
				p := append([]float32(nil), in[0]...)
				crossEntropy(p, []int32{1, 6, 0}, []float32{1, 0.5, 2}, 7)
				for r, tg := range []int32{1, 6, 0} {
					p[r*7+int(tg)] -= 1
					for i := r * 7; i < (r+1)*7; i++ {
						p[i] *= dy[0] * []float32{1, 0.5, 2}[r]
					}
				}
				return [][]float32{p}
			},
			tol: 2e-3,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, c) })
	}
}

// TestModelGradient checks the whole model (embedding, tied and separate
// output, every block tensor) against finite differences of the mean loss,
// on a handful of elements per tensor; once under YaRN, whose rotation
// also scales.
func TestModelGradient(t *testing.T) {
	for _, c := range []struct {
		tied    bool
		scaling string
	}{{false, "none"}, {true, "none"}, {true, "yarn"}} {
		tied := c.tied
		cfg := Config{Vocab: 11, Embd: 8, Layers: 2, Heads: 4, KVHeads: 2, FFN: 12, Ctx: 16, RopeBase: 10000, RMSEps: 1e-5, Tied: tied}
		m, err := NewModel(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SetRopeScaling(c.scaling, 4); err != nil {
			t.Fatal(err)
		}
		// Larger weights than the init so that every path carries signal.
		r := rand.New(rand.NewPCG(5, 5))
		for _, tn := range m.Tensors {
			for i := range tn.W {
				if tn.Vector {
					tn.W[i] = 1 + float32(r.NormFloat64()*0.3)
				} else {
					tn.W[i] = float32(r.NormFloat64() * 0.3)
				}
			}
		}
		ex := []Example{
			{Tokens: []int32{1, 4, 2, 9, 3, 7}, Weight: []float32{0, 0, 1, 0.5, 0, 2}},
			{Tokens: []int32{10, 0, 5, 5}, Weight: []float32{0, 1, 1, 0.25}},
		}
		m.ZeroGrad()
		if _, _, err := m.Backward(ex); err != nil {
			t.Fatal(err)
		}
		loss := func() float64 {
			l, _, err := m.Loss(ex)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		const h = 3e-3
		for _, tn := range m.Tensors {
			for k := 0; k < 6; k++ {
				j := r.IntN(len(tn.W))
				old := tn.W[j]
				tn.W[j] = old + h
				lp := loss()
				tn.W[j] = old - h
				lm := loss()
				tn.W[j] = old
				num := (lp - lm) / (2 * h)
				got := float64(tn.G[j])
				if math.Abs(num-got) > 3e-3*math.Max(1, math.Abs(num)) {
					t.Errorf("tied=%v %s %s[%d]: analytic %.6g, numeric %.6g", tied, c.scaling, tn.Name, j, got, num)
				}
			}
		}
	}
}

func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x < 88; x += 0.001 {
		want := math.Exp(float64(x))
		got := float64(expf(x))
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 4e-7 {
		t.Fatalf("expf relative error %.3g", worst)
	}
	if expf(-100) != 0 {
		t.Fatal("expf(-100) != 0")
	}
}
