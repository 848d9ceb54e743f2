package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMatMulPacked checks MatMulPacked against the reference dot product
// of every weight row with every quantized activation row, for row counts
// with and without a partial last group of 8, several widths and batch
// sizes (1, 2, 9 and 60 tokens: the packed one-token kernels and the
// batched-decode ones, which packed weights take at any batch size from
// 2-3 tokens).
func TestMatMulPacked(t *testing.T) {
	refs := map[Type]vecDotFunc{Q4_K: dotQ4KQ8K, Q6_K: dotQ6KQ8K, Q8_0: dotQ8_0Q8_0, Q4_0: dotQ4_0Q8_0}
	r := rand.New(rand.NewPCG(21, 22))
	for typ, ref := range refs {
		at := VecDotType(typ)
		for _, rows := range []int{3, 8, 13, 24, 67} {
			for _, nb := range []int{1, 3, 8, 20} {
				cols := nb * typ.BlockSize()
				rb, _ := typ.RowBytes(int64(cols))
				w := randomWeights(r, typ, rows*cols)
				p, err := Pack(typ, rows, cols, w)
				if err != nil {
					t.Fatal(err)
				}
				if want := packedKernels[typ] != nil && rows >= 8; p.Interleaved() != want {
					t.Errorf("%s rows=%d: Interleaved() = %v, want %v", typ, rows, p.Interleaved(), want)
				}
				for _, ntok := range []int{1, 2, 9, 60} {
					if ntok > 9 && (rows > 24 || nb > 3) {
						continue // the tiles are tested at length elsewhere
					}
					x := make([]float32, ntok*cols)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					got := make([]float32, ntok*rows)
					if err := MatMulPacked(got, p, x, ntok); err != nil {
						t.Fatal(err)
					}
					arb, _ := at.RowBytes(int64(cols))
					a := make([]byte, arb)
					for tok := 0; tok < ntok; tok++ {
						if err := QuantizeActivations(at, x[tok*cols:(tok+1)*cols], a); err != nil {
							t.Fatal(err)
						}
						for row := 0; row < rows; row++ {
							wr := w[row*int(rb) : (row+1)*int(rb)]
							want := ref(cols, wr, a)
							tol := 4e-6*dotMagnitude(t, typ, wr, at, a, cols) + 1e-30
							if g := got[tok*rows+row]; math.Abs(float64(g)-float64(want)) > tol {
								t.Fatalf("%s rows=%d cols=%d ntok=%d token %d row %d: %g, reference %g (tolerance %g)", typ, rows, cols, ntok, tok, row, g, want, tol)
							}
						}
					}
				}
			}
		}
	}
}

func TestPackRejects(t *testing.T) {
	for _, c := range []struct {
		typ        Type
		rows, cols int
		n          int
	}{
		{Q4_K, 8, 256, 8*144 - 1},
		{Q4_K, 8, 255, 8 * 144},
		{Q4_K, -1, 256, 0},
		{Q8_K, 8, 256, 8 * 292},
	} {
		if _, err := Pack(c.typ, c.rows, c.cols, make([]byte, c.n)); err == nil {
			t.Errorf("Pack(%s, %d, %d, %d bytes) succeeded", c.typ, c.rows, c.cols, c.n)
		}
	}
}

// dotMagnitude is the sum of |products| of the dequantized rows, the size
// that reordered float sums are rounded against.
func dotMagnitude(t *testing.T, wt Type, w []byte, at Type, a []byte, n int) float64 {
	t.Helper()
	wf, af := make([]float32, n), make([]float32, n)
	if err := Dequantize(wt, w, wf); err != nil {
		t.Fatal(err)
	}
	if err := Dequantize(at, a, af); err != nil {
		t.Fatal(err)
	}
	var mag float64
	for i := range wf {
		mag += math.Abs(float64(wf[i]) * float64(af[i]))
	}
	return mag
}

// A matrix packed as it grows (PackMore, one to three rows at a time)
// multiplies exactly as one packed whole, and every Prefix as the same
// rows in the file layout packed from scratch.
func TestPackMore(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const cols, rows, ntok = 64, 41, 4
	for _, typ := range []Type{Q8_0, Q4_0} {
		rb, _ := typ.RowBytes(cols)
		data := randomWeights(r, typ, rows*cols)
		x := make([]float32, ntok*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		var p *Packed
		for n := 0; n < rows; {
			n = min(rows, n+1+r.IntN(3))
			var err error
			if p, err = PackMore(p, typ, n, cols, data[:n*int(rb)]); err != nil {
				t.Fatal(err)
			}
			for _, m := range []int{n, n / 2, 7} {
				if m > n {
					continue
				}
				whole, err := Pack(typ, m, cols, data[:m*int(rb)])
				if err != nil {
					t.Fatal(err)
				}
				want, got := make([]float32, ntok*m), make([]float32, ntok*m)
				if err := MatMulPacked(want, whole, x, ntok); err != nil {
					t.Fatal(err)
				}
				if err := MatMulPacked(got, p.Prefix(m), x, ntok); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s: %d rows grown, prefix %d: %v, want %v", typ, n, m, got, want)
				}
			}
		}
		if _, err := PackMore(p, typ, rows, cols, data[:len(data)-1]); err == nil {
			t.Errorf("%s: short data accepted", typ)
		}
	}
}
