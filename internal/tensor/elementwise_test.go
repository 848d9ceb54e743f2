package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The exported elementwise kernels are checked against float64 math on
// random data of odd lengths (whatever implementation the CPU selects);
// elementwise_amd64_test.go holds the assembly to the Go versions.

var elementwiseLengths = []int{1, 7, 8, 9, 31, 64, 100, 2048, 2051}

func randomFloats(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func TestRMSNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 1))
	for _, width := range elementwiseLengths {
		x := randomFloats(r, 3*width, 2)
		w := randomFloats(r, width, 1)
		got := make([]float32, len(x))
		if err := RMSNorm(got, x, w, 1e-5); err != nil {
			t.Fatal(err)
		}
		for row := 0; row < 3; row++ {
			var ss float64
			for _, v := range x[row*width : (row+1)*width] {
				ss += float64(v) * float64(v)
			}
			s := 1 / math.Sqrt(ss/float64(width)+1e-5)
			for i := 0; i < width; i++ {
				want := float64(x[row*width+i]) * s * float64(w[i])
				if g := float64(got[row*width+i]); math.Abs(g-want) > 4e-7*math.Abs(want)+1e-30 {
					t.Fatalf("width %d row %d [%d]: %g, want %g", width, row, i, g, want)
				}
			}
		}
	}
	if err := RMSNorm(make([]float32, 5), make([]float32, 5), make([]float32, 2), 1e-5); err == nil {
		t.Error("RMSNorm accepted 5 values in rows of 2")
	}
}

func TestSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 2))
	for _, n := range elementwiseLengths {
		g, u := randomFloats(r, n, 4), randomFloats(r, n, 1)
		g[0] = -100 // exp(-g) beyond float32 range: silu is ~0 (the
		// assembly exp saturates at 2.4e38, leaving ~1e-36)
		got := make([]float32, n)
		if err := SwiGLU(got, g, u); err != nil {
			t.Fatal(err)
		}
		for i := range g {
			gi := float64(g[i])
			want := gi / (1 + math.Exp(-gi)) * float64(u[i])
			if d := math.Abs(float64(got[i]) - want); d > 5e-7*math.Abs(want)+1e-35 {
				t.Fatalf("n=%d [%d] g=%g u=%g: %g, want %g", n, i, g[i], u[i], got[i], want)
			}
		}
	}
	if err := SwiGLU(make([]float32, 3), make([]float32, 3), make([]float32, 4)); err == nil {
		t.Error("SwiGLU accepted mismatched lengths")
	}
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 3))
	for _, n := range elementwiseLengths {
		x := randomFloats(r, n, 5)
		x[n/2] = -1e30 // underflows to 0
		want := make([]float64, n)
		m := math.Inf(-1)
		for _, v := range x {
			m = math.Max(m, float64(v))
		}
		var sum float64
		for i, v := range x {
			want[i] = math.Exp(float64(v) - m)
			sum += want[i]
		}
		orig := append([]float32(nil), x...)
		Softmax(x)
		for i := range x {
			// x-max is rounded to float32 before the exp
			tol := 3e-7 * (1 + math.Abs(float64(orig[i])-m))
			if w := want[i] / sum; math.Abs(float64(x[i])-w) > tol*w {
				t.Fatalf("n=%d [%d]: %g, want %g", n, i, x[i], w)
			}
		}
	}
	Softmax(nil)
}

func TestRope(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 4))
	for _, neox := range []bool{false, true} {
		for _, c := range []struct{ heads, hd, dims int }{{1, 2, 2}, {3, 64, 64}, {2, 128, 128}, {4, 80, 32}, {2, 96, 90}} {
			x := randomFloats(r, c.heads*c.hd, 1)
			cs := make([]float32, c.dims)
			for i := 0; i < c.dims/2; i++ {
				a := r.Float64() * 6
				cs[2*i], cs[2*i+1] = float32(math.Cos(a)), float32(math.Sin(a))
			}
			orig := append([]float32(nil), x...)
			if err := Rope(x, c.heads, c.hd, c.dims, neox, cs); err != nil {
				t.Fatal(err)
			}
			for h := 0; h < c.heads; h++ {
				v, o := x[h*c.hd:(h+1)*c.hd], orig[h*c.hd:(h+1)*c.hd]
				for i := 0; i < c.dims/2; i++ {
					a, b := 2*i, 2*i+1
					if neox {
						a, b = i, i+c.dims/2
					}
					co, si := cs[2*i], cs[2*i+1]
					// exactly ggml's float32 operations
					wa := float32(o[a]*co) - float32(o[b]*si)
					wb := float32(o[a]*si) + float32(o[b]*co)
					if v[a] != wa || v[b] != wb {
						t.Fatalf("neox=%v %+v head %d pair %d: (%g, %g), want (%g, %g)", neox, c, h, i, v[a], v[b], wa, wb)
					}
				}
				for i := c.dims; i < c.hd; i++ {
					if v[i] != o[i] {
						t.Fatalf("neox=%v %+v head %d: element %d beyond dims changed", neox, c, h, i)
					}
				}
			}
		}
	}
	if err := Rope(make([]float32, 8), 1, 8, 6, false, make([]float32, 4)); err == nil {
		t.Error("Rope accepted 4 cos/sin values for 6 dims")
	}
}
