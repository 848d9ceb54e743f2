package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatMulBatch checks MatMul and MatMulPacked for every batch size from
// 1 to 17 tokens against the reference dot product of each weight row with
// each quantized activation row, with row counts that leave a partial last
// group of 8 and with the prefill tiles on and off (off, the batched-decode
// kernels take every batch of 2 or more, where the CPU has them).
func TestMatMulBatch(t *testing.T) {
	refs := map[Type]vecDotFunc{Q8_0: dotQ8_0Q8_0, Q4_0: dotQ4_0Q8_0, Q4_K: dotQ4KQ8K, Q6_K: dotQ6KQ8K}
	r := rand.New(rand.NewPCG(31, 32))
	for typ, ref := range refs {
		at := VecDotType(typ)
		arb := func(cols int) int { n, _ := at.RowBytes(int64(cols)); return int(n) }
		for _, shape := range [][2]int{{8, 1}, {13, 3}, {24, 1}, {67, 2}, {16, 9}, {40, 48}} {
			rows, nb := shape[0], shape[1]
			if nb > 9 && typ.BlockSize() > qk32 {
				continue // long rows (several chunks of groups) for the 32-element types only
			}
			cols := nb * typ.BlockSize()
			rb, _ := typ.RowBytes(int64(cols))
			w := randomWeights(r, typ, rows*cols)
			p, err := Pack(typ, rows, cols, w)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, 17*cols)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			a := make([]byte, 17*arb(cols))
			for tok := 0; tok < 17; tok++ {
				if err := QuantizeActivations(at, x[tok*cols:(tok+1)*cols], a[tok*arb(cols):(tok+1)*arb(cols)]); err != nil {
					t.Fatal(err)
				}
			}
			for _, tiles := range []bool{true, false} {
				for ntok := 1; ntok <= 17; ntok++ {
					for _, layout := range []string{"file", "packed"} {
						name := fmt.Sprintf("%s rows=%d cols=%d ntok=%d %s tiles=%v", typ, rows, cols, ntok, layout, tiles)
						got := make([]float32, ntok*rows)
						withTiles(typ, tiles, func() {
							if layout == "packed" {
								err = MatMulPacked(got, p, x[:ntok*cols], ntok)
							} else {
								err = MatMul(got, w, typ, rows, cols, x[:ntok*cols], ntok)
							}
						})
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						for tok := 0; tok < ntok; tok++ {
							at := a[tok*arb(cols) : (tok+1)*arb(cols)]
							for row := 0; row < rows; row++ {
								wr := w[row*int(rb) : (row+1)*int(rb)]
								want := ref(cols, wr, at)
								tol := 4e-6*dotMagnitude(t, typ, wr, VecDotType(typ), at, cols) + 1e-30
								if g := got[tok*rows+row]; math.Abs(float64(g)-float64(want)) > tol {
									t.Fatalf("%s: token %d row %d: %g, reference %g (tolerance %g)", name, tok, row, g, want, tol)
								}
							}
						}
					}
				}
			}
		}
	}
}

// withTiles runs f with the prefill tiles of typ removed when on is false.
func withTiles(typ Type, on bool, f func()) {
	if !on {
		tk := tiledKernels[typ]
		tiledKernels[typ] = nil
		defer func() { tiledKernels[typ] = tk }()
	}
	f()
}

// TestMatMulPackedBatchExact checks that with tiling off a batch of packed
// weights gives bit for bit what each of its tokens gives alone, which the
// server's batched-versus-solo tests rely on.
func TestMatMulPackedBatchExact(t *testing.T) {
	SetTiling(false)
	defer SetTiling(true)
	r := rand.New(rand.NewPCG(33, 34))
	for _, typ := range []Type{Q8_0, Q4_0, Q4_K, Q6_K} {
		const rows, ntok = 43, 13
		cols := 2 * QK_K
		w := randomWeights(r, typ, rows*cols)
		p, err := Pack(typ, rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, ntok*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		got := make([]float32, ntok*rows)
		if err := MatMulPacked(got, p, x, ntok); err != nil {
			t.Fatal(err)
		}
		one := make([]float32, rows)
		for tok := 0; tok < ntok; tok++ {
			if err := MatMulPacked(one, p, x[tok*cols:(tok+1)*cols], 1); err != nil {
				t.Fatal(err)
			}
			for row, want := range one {
				if g := got[tok*rows+row]; g != want {
					t.Fatalf("%s token %d row %d: batch %g, alone %g", typ, tok, row, g, want)
				}
			}
		}
	}
}
