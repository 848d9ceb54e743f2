package kv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// SpanMaxDots equals the best dot product of the queries with ReadKeys'
// rows per span, for every element type, on a contiguous cache and on a
// paged one whose blocks are partly spilled to disk, over spans that
// start and end inside groups, touch and cross blocks, with up to six
// query rows (two passes of the four-row kernels).
func TestSpanMaxDotsMatchesReadKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, typ := range []tensor.Type{tensor.F32, tensor.F16, tensor.Q8_0, tensor.Q4_0} {
		s := Shape{Layers: 2, KVHeads: 2, HeadDim: 64, Ctx: 300, ElemType: typ}
		c, k, v := filledCache(t, r, s)
		p, err := NewPool(s, PoolOptions{BlockSize: 32})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if err := p.SetRAM(3 * p.BlockBytes()); err != nil {
			t.Fatal(err)
		}
		seq := p.NewSeq()
		for l := range s.Layers {
			if err := seq.Store(l, 0, k, v, s.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		if p.Stats().Spilled == 0 {
			t.Fatalf("%v: nothing spilled", typ)
		}
		for name, sc := range map[string]Selective{"contiguous": c, "paged": seq} {
			for _, spans := range [][]Span{{{0, 300}}, {{5, 6}}, {{16, 32}, {32, 48}, {64, 80}}, {{30, 70}, {70, 71}, {90, 130}}, {{7, 7}, {250, 300}}, nil} {
				for _, rows := range []int{1, 4, 6} {
					t.Run(fmt.Sprintf("%v/%s/%v/rows=%d", typ, name, spans, rows), func(t *testing.T) {
						q := randVec(r, rows*64)
						got := make([]float32, len(spans))
						if err := sc.SpanMaxDots(1, 1, spans, q, rows, got); err != nil {
							t.Fatal(err)
						}
						for i, sp := range spans {
							keys := make([]float32, (sp.To-sp.From)*64)
							if err := sc.ReadKeys(1, 1, sp.From, sp.To, keys); err != nil {
								t.Fatal(err)
							}
							want := float32(math.Inf(-1))
							for p := range sp.To - sp.From {
								for row := range rows {
									want = max(want, tensor.DotF32(q[row*64:(row+1)*64], keys[p*64:(p+1)*64]))
								}
							}
							if d := math.Abs(float64(got[i] - want)); !(d <= 1e-3*(1+math.Abs(float64(want)))) && got[i] != want {
								t.Fatalf("span %v: %v, want %v", sp, got[i], want)
							}
						}
					})
				}
			}
		}
	}
}

func TestSpanMaxDotsRejectsBadArguments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c, _, _ := filledCache(t, r, Shape{Layers: 1, KVHeads: 1, HeadDim: 32, Ctx: 40, ElemType: tensor.F16})
	q, dst := make([]float32, 5*32), make([]float32, 2)
	for _, a := range []struct {
		layer, head int
		spans       []Span
		rows        int
	}{
		{1, 0, []Span{{0, 8}}, 1}, {0, 1, []Span{{0, 8}}, 1}, {0, 0, []Span{{-1, 8}}, 1},
		{0, 0, []Span{{8, 4}}, 1}, {0, 0, []Span{{0, 41}}, 1}, {0, 0, []Span{{0, 8}, {4, 9}}, 1},
		{0, 0, []Span{{0, 8}}, 0}, {0, 0, []Span{{0, 8}}, 6}, {0, 0, []Span{{0, 1}, {2, 3}, {4, 5}}, 1},
	} {
		if err := c.SpanMaxDots(a.layer, a.head, a.spans, q, a.rows, dst); err == nil {
			t.Errorf("%+v: no error", a)
		}
	}
}
