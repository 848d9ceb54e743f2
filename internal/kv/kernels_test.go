package kv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// randomGroups fills ngroups groups of keys and values with random
// vectors through the codec, as a cache stores them.
func randomGroups(r *rand.Rand, typ tensor.Type, hd, ngroups int) (l layout, tile []byte) {
	l, err := newLayout(Shape{Layers: 1, Ctx: ngroups * groupLen, KVHeads: 1, HeadDim: hd, ElemType: typ}, ngroups*groupLen)
	if err != nil {
		panic(err)
	}
	tile = make([]byte, l.tileBytes)
	cd := l.codec()
	for t := 0; t < ngroups*groupLen; t++ {
		cd.putKey(tile, t, randVec(r, hd))
		cd.putValue(tile, t, randVec(r, hd))
	}
	return l, tile
}

// asmVariant switches the assembly kernels to another instruction set
// than the best one; set returns the function that switches back.
type asmVariant struct {
	name string
	set  func() (restore func())
}

// asmVariants lists the machine's other kernel variants (amd64 tests add
// AVX2 where AVX-512 is the default).
var asmVariants = []asmVariant{{"best", func() func() { return func() {} }}}

// The assembly kernels compute what the Go kernels do, to float rounding
// (they fuse multiply-adds), in every variant the machine can run.
func TestKernelsMatchGo(t *testing.T) {
	if len(kernelsAsm) == 0 {
		t.Skip("no assembly kernels on this machine")
	}
	for _, v := range asmVariants {
		t.Run(v.name, func(t *testing.T) {
			defer v.set()()
			testKernelsMatchGo(t)
		})
	}
}

func testKernelsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, typ := range kvTypes {
		hds := []int{32, 64, 128}
		if typ == tensor.F32 || typ == tensor.F16 {
			hds = append(hds, 16, 48)
		}
		for _, hd := range hds {
			for _, ng := range []int{1, 3, 17} {
				t.Run(fmt.Sprintf("%s/hd%d/groups%d", typ, hd, ng), func(t *testing.T) {
					l, tile := randomGroups(r, typ, hd, ng)
					k, v := l.keyGroups(tile, 0, ng), l.valueGroups(tile, 0, ng)
					q := randVec(r, quad*hd)
					os := ng*groupLen + 5
					want, got := make([]float32, quad*os), make([]float32, quad*os)
					kernelsGo[typ].scores(q, k, ng, hd, want, os, 0.7)
					kernelsAsm[typ].scores(q, k, ng, hd, got, os, 0.7)
					closeTo(t, "scores", got, want, 1e-5)

					w := randVec(r, quad*os)
					o0 := randVec(r, quad*hd)
					want, got = append([]float32(nil), o0...), append([]float32(nil), o0...)
					kernelsGo[typ].values(w, os, v, ng, hd, want)
					kernelsAsm[typ].values(w, os, v, ng, hd, got)
					closeTo(t, "values", got, want, 1e-5)
				})
			}
		}
	}
}

// closeTo fails if any |got-want| exceeds tol times the largest |want|.
func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol*scale) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestExpSubAndMax(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{8, 16, 48, 1024} {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64() * 30)
		}
		s[0] = float32(math.Inf(-1))
		if n > 8 {
			s[9] = -200 // underflows to 0
			s[10] = 95  // the maximum: exp(0) = 1
		}
		m := maxOf(s)
		if want := maxOfGo(s); m != want {
			t.Fatalf("n=%d: maxOf = %g, want %g", n, m, want)
		}
		want := append([]float32(nil), s...)
		var wantLanes, lanes [8]float32
		expSubGo(want, m, &wantLanes)
		expSub(s, m, &lanes)
		wantSum, sum := sumLanes(wantLanes), sumLanes(lanes)
		for i := range s {
			// Results below the smallest normal float become 0.
			if d := math.Abs(float64(s[i] - want[i])); d > 2e-7*float64(want[i]) && want[i] > 0x1p-126 {
				t.Fatalf("n=%d: exp(%g) = %g, want %g", n, want[i], s[i], want[i])
			}
		}
		if math.Abs(float64(sum-wantSum)) > 1e-6*float64(wantSum) {
			t.Fatalf("n=%d: sum %g, want %g", n, sum, wantSum)
		}
	}
}

// scaleRoundF16 is bit-identical to scaling then rounding through
// tensor.F32ToF16 (nearest, ties to even), on every length.
func TestScaleRoundF16(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{0, 1, 7, 8, 16, 33, 1024} {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.Float64())
		}
		if n > 3 {
			s[1], s[2], s[3] = 0, 1, 6.1035156e-05 // zero, one, the smallest normal f16
		}
		want := slices.Clone(s)
		for i := range want {
			want[i] = tensor.F16ToF32(tensor.F32ToF16(want[i] * 0.37))
		}
		scaleRoundF16(s, 0.37)
		for i := range s {
			if math.Float32bits(s[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d [%d]: %g, want %g", n, i, s[i], want[i])
			}
		}
	}
}
