package kv

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// Dots equals plain dot products with the f16-rounded vectors, for every
// range, row count and a truncation that cuts a group.
func TestGroupedF16Dots(t *testing.T) {
	const w = 128
	r := rand.New(rand.NewPCG(3, 4))
	g, err := NewGroupedF16(w)
	if err != nil {
		t.Fatal(err)
	}
	var vecs [][]float32
	add := func(n int) {
		for range n {
			v := make([]float32, w)
			for i := range v {
				v[i] = tensor.F16ToF32(tensor.F32ToF16(float32(r.NormFloat64())))
			}
			vecs = append(vecs, v)
			g.Append(v)
		}
	}
	check := func() {
		t.Helper()
		q := make([]float32, 4*w)
		for i := range q {
			q[i] = float32(r.NormFloat64())
		}
		for _, c := range [][2]int{{0, len(vecs)}, {3, len(vecs) - 5}, {17, 18}, {16, 48}, {5, 5}} {
			for rows := 1; rows <= 4; rows++ {
				stride := c[1] - c[0] + 3
				dst := make([]float32, rows*stride)
				if err := g.Dots(q, rows, c[0], c[1], dst, stride); err != nil {
					t.Fatal(err)
				}
				for row := 0; row < rows; row++ {
					for i := c[0]; i < c[1]; i++ {
						var want float64
						for d := range w {
							want += float64(q[row*w+d]) * float64(vecs[i][d])
						}
						if got := float64(dst[row*stride+i-c[0]]); math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
							t.Fatalf("rows %d, range %v: q%d·v%d = %g, want %g", rows, c, row, i, got, want)
						}
					}
				}
			}
		}
	}
	add(53)
	check()
	g.Truncate(37)
	vecs = vecs[:37]
	add(20)
	check()
	if g.Len() != 57 {
		t.Fatalf("%d vectors", g.Len())
	}
	for _, i := range []int{0, 15, 16, 40, 56} {
		if v := g.Vector(nil, i); !slices.Equal(v, vecs[i]) {
			t.Fatalf("vector %d reads back as %v, stored %v", i, v[:4], vecs[i][:4])
		}
	}
	dst := make([]float32, 64)
	for _, bad := range [][3]int{{0, 0, 1}, {5, 0, 1}, {1, 2, 1}, {1, 0, 58}} {
		if err := g.Dots(make([]float32, 4*w), bad[0], bad[1], bad[2], dst, 64); err == nil {
			t.Errorf("Dots(rows %d, %d..%d) accepted", bad[0], bad[1], bad[2])
		}
	}
	if _, err := NewGroupedF16(40); err == nil {
		t.Error("width 40 accepted")
	}
}
