package kv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

var _ Selective = (*Contiguous)(nil)

// naiveSpanAttention is softmax attention of one query head over the
// positions in spans (clipped to seen), in float64; zero if none.
func naiveSpanAttention(q, k, v []float64, nKV, kvh, hd, seen int, spans []Span, scale float64) []float64 {
	var pos []int
	for _, s := range spans {
		for p := s.From; p < min(s.To, seen); p++ {
			pos = append(pos, p)
		}
	}
	out := make([]float64, hd)
	if len(pos) == 0 {
		return out
	}
	s := make([]float64, len(pos))
	m := math.Inf(-1)
	for i, p := range pos {
		for j := 0; j < hd; j++ {
			s[i] += q[j] * k[(p*nKV+kvh)*hd+j]
		}
		s[i] *= scale
		m = math.Max(m, s[i])
	}
	var sum float64
	for i := range s {
		s[i] = math.Exp(s[i] - m)
		sum += s[i]
	}
	for i, p := range pos {
		for j := 0; j < hd; j++ {
			out[j] += s[i] / sum * v[(p*nKV+kvh)*hd+j]
		}
	}
	return out
}

func randVec(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// filledCache stores ctx random positions in every layer of a new cache.
func filledCache(t *testing.T, r *rand.Rand, s Shape) (c *Contiguous, k, v []float32) {
	t.Helper()
	c, err := NewContiguous(s)
	if err != nil {
		t.Fatal(err)
	}
	d := s.KVDim()
	k, v = randVec(r, s.Ctx*d), randVec(r, s.Ctx*d)
	for l := 0; l < s.Layers; l++ {
		if err := c.Store(l, 0, k, v, s.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	return c, k, v
}

func TestAttendSpansMatchesNaive(t *testing.T) {
	for _, n := range []int{3, 1} { // n = 1: runSelected
		t.Run(fmt.Sprint(n), func(t *testing.T) { testAttendSpansMatchesNaive(t, n) })
	}
}

func testAttendSpansMatchesNaive(t *testing.T, n int) {
	const ctx, nKV, nHead, hd = 50, 2, 4, 8
	r := rand.New(rand.NewPCG(3, 4))
	// Per head: a few ranges, one reaching past the queries' positions, one
	// head with nothing visible to the first query, one head with nothing.
	spans := [][]Span{
		{{0, 4}, {10, 20}, {45, 60}},
		{{48, 49}},
		{{3, 4}, {5, 6}, {7, 8}, {30, 31}},
		nil,
	}
	for _, elem := range []tensor.Type{tensor.F32, tensor.F16} {
		c, k, v := filledCache(t, r, Shape{Layers: 1, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: elem})
		q := randVec(r, n*nHead*hd)
		out := make([]float32, len(q))
		pos := ctx - n
		if err := c.AttendSpans(0, pos, q, n, nHead, 0.4, spans, out); err != nil {
			t.Fatal(err)
		}
		tol := 1e-5
		if elem == tensor.F16 {
			tol = 5e-3
		}
		k64, v64 := to64(k), to64(v)
		for i := 0; i < n; i++ {
			for h := 0; h < nHead; h++ {
				off := (i*nHead + h) * hd
				want := naiveSpanAttention(to64(q[off:off+hd]), k64, v64, nKV, h/(nHead/nKV), hd, pos+i+1, spans[h], 0.4)
				for j, w := range want {
					if d := math.Abs(w - float64(out[off+j])); !(d <= tol) {
						t.Fatalf("%s: query %d head %d dim %d: got %g, want %g", elem, i, h, j, out[off+j], w)
					}
				}
			}
		}
	}
}

// A decode step over spans scattered across many chunks (runSelected's
// pieces), shared by a KV head's query heads or not, matches the naive
// computation; spans covering everything give Attend's result bit for
// bit.
func TestAttendSpansSelectedDecode(t *testing.T) {
	const ctx, nKV, nHead, hd = 5000, 2, 8, 16
	r := rand.New(rand.NewPCG(9, 9))
	shared := make([]Span, 0, 64)
	for b := 0; b < ctx/16; b += 1 + r.IntN(9) {
		shared = append(shared, Span{b * 16, b*16 + 16})
	}
	spans := make([][]Span, nHead)
	for h := range spans {
		switch {
		case h < 4:
			spans[h] = shared
		case h == 4:
			spans[h] = []Span{{0, 4}, {1000, 1003}, {1010, 2100}, {4990, 5000}}
		case h == 5:
			spans[h] = []Span{{7, 9}, {4000, 4001}}
		default:
			spans[h] = []Span{{0, 4}, {1002, 1005}}
		}
	}
	covering := make([][]Span, nHead)
	for h := range covering {
		covering[h] = []Span{{0, ctx}}
	}
	for _, elem := range []tensor.Type{tensor.F32, tensor.F16} {
		c, k, v := filledCache(t, r, Shape{Layers: 1, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: elem})
		q := randVec(r, nHead*hd)
		out := make([]float32, len(q))
		pos := ctx - 1
		if err := c.AttendSpans(0, pos, q, 1, nHead, 0.3, spans, out); err != nil {
			t.Fatal(err)
		}
		tol := 1e-5
		if elem == tensor.F16 {
			tol = 5e-3
		}
		k64, v64 := to64(k), to64(v)
		for h := 0; h < nHead; h++ {
			want := naiveSpanAttention(to64(q[h*hd:(h+1)*hd]), k64, v64, nKV, h/(nHead/nKV), hd, pos+1, spans[h], 0.3)
			for j, w := range want {
				if d := math.Abs(w - float64(out[h*hd+j])); !(d <= tol) {
					t.Fatalf("%s: head %d dim %d: got %g, want %g", elem, h, j, out[h*hd+j], w)
				}
			}
		}
		want := make([]float32, len(q))
		if err := c.Attend(0, pos, q, 1, nHead, 0.3, want); err != nil {
			t.Fatal(err)
		}
		if err := c.AttendSpans(0, pos, q, 1, nHead, 0.3, covering, out); err != nil {
			t.Fatal(err)
		}
		for i := range out {
			if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: covering spans, element %d: AttendSpans %g, Attend %g", elem, i, out[i], want[i])
			}
		}
	}
}

// Spans covering every position, however split, give Attend's result bit
// for bit.
func TestAttendSpansCoveringAllIsAttend(t *testing.T) {
	const ctx, nKV, nHead, hd, n = 40, 2, 6, 16, 5
	r := rand.New(rand.NewPCG(5, 6))
	for _, elem := range []tensor.Type{tensor.F32, tensor.F16} {
		c, _, _ := filledCache(t, r, Shape{Layers: 2, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: elem})
		q := randVec(r, n*nHead*hd)
		want := make([]float32, len(q))
		if err := c.Attend(1, ctx-n, q, n, nHead, 0.25, want); err != nil {
			t.Fatal(err)
		}
		spans := make([][]Span, nHead)
		for h := range spans {
			switch h % 3 {
			case 0:
				spans[h] = []Span{{0, ctx}}
			case 1:
				spans[h] = []Span{{0, 7}, {7, 8}, {8, 100}}
			case 2:
				spans[h] = []Span{{0, 1}, {1, 1}, {1, ctx - 2}, {ctx - 2, ctx}}
			}
		}
		got := make([]float32, len(q))
		if err := c.AttendSpans(1, ctx-n, q, n, nHead, 0.25, spans, got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d: AttendSpans %g, Attend %g", elem, i, got[i], want[i])
			}
		}
	}
}

func TestReadKeysValues(t *testing.T) {
	const ctx, nKV, hd = 9, 3, 4
	r := rand.New(rand.NewPCG(7, 8))
	for _, elem := range []tensor.Type{tensor.F32, tensor.F16} {
		c, k, v := filledCache(t, r, Shape{Layers: 2, Ctx: ctx, KVHeads: nKV, HeadDim: hd, ElemType: elem})
		round := func(x float32) float32 {
			if elem == tensor.F16 {
				return tensor.F16ToF32(tensor.F32ToF16(x))
			}
			return x
		}
		from, to := 2, 7
		gotK := make([]float32, (to-from)*hd)
		gotV := make([]float32, (to-from)*hd)
		for h := 0; h < nKV; h++ {
			if err := c.ReadKeys(1, h, from, to, gotK); err != nil {
				t.Fatal(err)
			}
			if err := c.ReadValues(1, h, from, to, gotV); err != nil {
				t.Fatal(err)
			}
			for p := from; p < to; p++ {
				for j := 0; j < hd; j++ {
					src := (p*nKV+h)*hd + j
					if g, w := gotK[(p-from)*hd+j], round(k[src]); g != w {
						t.Fatalf("%s key pos %d head %d dim %d: %g, want %g", elem, p, h, j, g, w)
					}
					if g, w := gotV[(p-from)*hd+j], round(v[src]); g != w {
						t.Fatalf("%s value pos %d head %d dim %d: %g, want %g", elem, p, h, j, g, w)
					}
				}
			}
		}
	}
}

func TestSelectiveErrors(t *testing.T) {
	c, _ := NewContiguous(Shape{Layers: 1, Ctx: 4, KVHeads: 1, HeadDim: 2, ElemType: tensor.F32})
	x := make([]float32, 16)
	if err := c.Store(0, 0, x, x, 2); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		err  error
		want string
	}{
		{c.AttendSpans(0, 1, x, 1, 2, 1, [][]Span{{{0, 2}}}, x), "1 span lists for 2"},
		{c.AttendSpans(0, 1, x, 1, 1, 1, [][]Span{{{1, 2}, {0, 1}}}, x), "unsorted"},
		{c.AttendSpans(0, 1, x, 1, 1, 1, [][]Span{{{0, 2}, {1, 3}}}, x), "overlaps"},
		{c.AttendSpans(0, 1, x, 1, 1, 1, [][]Span{{{-1, 2}}}, x), "head 0"},
		{c.ReadKeys(1, 0, 0, 1, x), "layer 1"},
		{c.ReadKeys(0, 1, 0, 1, x), "KV head 1"},
		{c.ReadValues(0, 0, 0, 3, x), "but 2 are stored"},
		{c.ReadValues(0, 0, 1, 0, x), "[1, 0)"},
		{c.ReadKeys(0, 0, 0, 2, x[:3]), "needs 4 floats"},
	}
	for i, cs := range cases {
		if cs.err == nil || !strings.Contains(cs.err.Error(), cs.want) {
			t.Errorf("case %d: err = %v, want %q", i, cs.err, cs.want)
		}
	}
}
