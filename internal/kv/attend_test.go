package kv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// kvTypes are the element types a cache can store.
var kvTypes = []tensor.Type{tensor.F32, tensor.F16, tensor.Q8_0, tensor.Q4_0}

// stored reads back every key and value of layer as rows of KVDim floats
// (dequantized), the data a reference attention should see.
func stored(t *testing.T, c Selective, layer, n int) (k, v []float64) {
	t.Helper()
	s := c.Shape()
	hd, nkv := s.HeadDim, s.KVHeads
	k, v = make([]float64, n*nkv*hd), make([]float64, n*nkv*hd)
	buf := make([]float32, n*hd)
	for h := 0; h < nkv; h++ {
		for pass, dst := range [][]float64{k, v} {
			read := c.ReadKeys
			if pass == 1 {
				read = c.ReadValues
			}
			if err := read(layer, h, 0, n, buf); err != nil {
				t.Fatal(err)
			}
			for p := 0; p < n; p++ {
				for j := 0; j < hd; j++ {
					dst[(p*nkv+h)*hd+j] = float64(buf[p*hd+j])
				}
			}
		}
	}
	return k, v
}

// checkAgainstNaive compares out (n queries from pos) with the float64
// reference over what c stores, relative to the largest |value|.
func checkAgainstNaive(t *testing.T, c Selective, layer, pos, n, nHead int, q, out []float32, scale float64, tol float64) {
	t.Helper()
	s := c.Shape()
	hd, nkv := s.HeadDim, s.KVHeads
	k, v := stored(t, c, layer, pos+n)
	vmax := 0.0
	for _, x := range v {
		vmax = math.Max(vmax, math.Abs(x))
	}
	qq := to64(q)
	if s.ElemType == tensor.F16 {
		for i, x := range q {
			qq[i] = float64(tensor.F16ToF32(tensor.F32ToF16(x)))
		}
	}
	worst := 0.0
	for i := 0; i < n; i++ {
		want := naiveAttention(qq[i*nHead*hd:(i+1)*nHead*hd], k, v, nHead, nkv, hd, pos+i+1, scale)
		for j, w := range want {
			worst = math.Max(worst, math.Abs(w-float64(out[i*nHead*hd+j]))/vmax)
		}
	}
	if !(worst <= tol) {
		t.Errorf("max |diff| from naive attention %.3g (relative to max |v|) > %.3g", worst, tol)
	}
}

func TestAttendAllTypesMatchNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	tols := map[tensor.Type]float64{tensor.F32: 2e-6, tensor.F16: 2e-3, tensor.Q8_0: 2e-6, tensor.Q4_0: 2e-6}
	for _, elem := range kvTypes {
		for _, g := range []struct{ ctx, nKV, nHead, hd, n int }{
			{2100, 2, 8, 64, 1},  // decode over three chunks (split-K)
			{1300, 1, 3, 32, 40}, // prefill run over two chunks
			{70, 2, 2, 32, 70},   // whole prompt in one call
		} {
			t.Run(fmt.Sprintf("%s/%+v", elem, g), func(t *testing.T) {
				s := Shape{Layers: 1, Ctx: g.ctx, KVHeads: g.nKV, HeadDim: g.hd, ElemType: elem}
				c, _, _ := filledCache(t, r, s)
				q := randVec(r, g.n*g.nHead*g.hd)
				for i := range q {
					q[i] *= 0.5 // peaked but not one-hot attention
				}
				out := make([]float32, len(q))
				pos := g.ctx - g.n
				if err := c.Attend(0, pos, q, g.n, g.nHead, 0.3, out); err != nil {
					t.Fatal(err)
				}
				checkAgainstNaive(t, c, 0, pos, g.n, g.nHead, q, out, 0.3, tols[elem])
			})
		}
	}
}

// A query's result does not depend on the batch it came in or on the
// thread count: chunks are fixed and merged in order.
func TestAttendIndependentOfBatchAndThreads(t *testing.T) {
	const ctx, nKV, nHead, hd, n = 2200, 2, 4, 32, 9
	r := rand.New(rand.NewPCG(13, 14))
	c, _, _ := filledCache(t, r, Shape{Layers: 1, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: tensor.Q8_0})
	q := randVec(r, n*nHead*hd)
	batch := make([]float32, len(q))
	if err := c.Attend(0, ctx-n, q, n, nHead, 0.2, batch); err != nil {
		t.Fatal(err)
	}
	defer parallel.SetThreads(parallel.Threads())
	for _, threads := range []int{1, 3} {
		parallel.SetThreads(threads)
		for i := 0; i < n; i++ {
			one := make([]float32, nHead*hd)
			if err := c.Attend(0, ctx-n+i, q[i*nHead*hd:], 1, nHead, 0.2, one); err != nil {
				t.Fatal(err)
			}
			for j, x := range one {
				if y := batch[i*nHead*hd+j]; math.Float32bits(x) != math.Float32bits(y) {
					t.Fatalf("%d threads, token %d element %d: alone %g, in batch %g", threads, i, j, x, y)
				}
			}
		}
	}
}
