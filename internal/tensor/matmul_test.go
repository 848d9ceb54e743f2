package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestMatMulMatchesVecDot checks that every output of MatMul is the VecDot
// of its weight row with the activation row quantized by
// QuantizeActivations, for shapes on both the serial and the parallel path
// (also with more goroutines than rows and than CPUs): bit for bit on the
// per-row path, to float rounding (tiledTolerance) where a tile kernel
// sums the same integer blocks in another order.
func TestMatMulMatchesVecDot(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	r := rand.New(rand.NewPCG(6, 4))
	shapes := []struct{ rows, cols, ntok int }{
		{5, 256, 1},    // serial
		{3, 4096, 30},  // parallel, fewer rows than goroutines
		{301, 512, 3},  // parallel, rows not a multiple of the chunk
		{64, 1024, 17}, // parallel over tokens too
	}
	for _, typ := range dotTypes {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", typ, s.rows, s.cols, s.ntok), func(t *testing.T) {
				exact := !usesTiles(typ, s.rows, s.cols, s.ntok) && !usesBatch(typ, s.rows, s.cols, s.ntok) && !usesRowTiles(typ, s.rows, s.cols, s.ntok)
				w, x, dst := checkMatMul(t, r, typ, s.rows, s.cols, s.ntok, exact)
				if s.ntok == 1 {
					vec := make([]float32, s.rows)
					if err := MatVec(vec, w, typ, s.rows, s.cols, x); err != nil {
						t.Fatal(err)
					}
					for i := range vec {
						if vec[i] != dst[i] {
							t.Fatalf("MatVec[%d] = %g, MatMul %g", i, vec[i], dst[i])
						}
					}
				}
			})
		}
	}
}

// TestMatMulF32 checks MatMul on F32 weights against a plain float64 matrix
// product.
func TestMatMulF32(t *testing.T) {
	const rows, cols, ntok = 7, 33, 2
	wf := make([]float32, rows*cols)
	x := make([]float32, ntok*cols)
	for i := range wf {
		wf[i] = float32(i%11) - 5
	}
	for i := range x {
		x[i] = float32(i%7) * 0.5
	}
	w := make([]byte, 4*len(wf))
	if err := Quantize(F32, wf, w); err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, ntok*rows)
	if err := MatMul(dst, w, F32, rows, cols, x, ntok); err != nil {
		t.Fatal(err)
	}
	for tok := 0; tok < ntok; tok++ {
		for row := 0; row < rows; row++ {
			var want float64
			for c := 0; c < cols; c++ {
				want += float64(wf[row*cols+c]) * float64(x[tok*cols+c])
			}
			if got := dst[tok*rows+row]; float64(got) != want {
				t.Errorf("dst[%d][%d] = %g, want %g", tok, row, got, want)
			}
		}
	}
}

// TestMatMulZeroColumns checks that rows of no elements give zeros for
// every batch size (no kernel may index an empty row or run zero blocks).
func TestMatMulZeroColumns(t *testing.T) {
	for _, typ := range dotTypes {
		for _, ntok := range []int{1, 2, 3, 4, 17} {
			dst := make([]float32, ntok*5)
			for i := range dst {
				dst[i] = 1
			}
			if err := MatMul(dst, nil, typ, 5, 0, nil, ntok); err != nil {
				t.Fatalf("%s ntok=%d: %v", typ, ntok, err)
			}
			for i, v := range dst {
				if v != 0 {
					t.Fatalf("%s ntok=%d: dst[%d] = %g, want 0", typ, ntok, i, v)
				}
			}
		}
	}
}

func TestMatMulErrors(t *testing.T) {
	const rows, cols, ntok = 4, 64, 2
	w := make([]byte, rows*2*q8_0Bytes)
	x := make([]float32, ntok*cols)
	dst := make([]float32, ntok*rows)
	if err := MatMul(dst, w, Q8_0, rows, cols, x, ntok); err != nil {
		t.Fatalf("valid call: %v", err)
	}
	cases := []struct {
		name       string
		dst        []float32
		w          []byte
		typ        Type
		rows, cols int
		x          []float32
		ntok       int
	}{
		{"short weights", dst, w[:len(w)-1], Q8_0, rows, cols, x, ntok},
		{"long weights", dst, append(w, 0), Q8_0, rows, cols, x, ntok},
		{"short activations", dst, w, Q8_0, rows, cols, x[:len(x)-1], ntok},
		{"short dst", dst[:len(dst)-1], w, Q8_0, rows, cols, x, ntok},
		{"cols not a whole block", dst, w, Q8_0, rows, 48, x, ntok},
		{"negative rows", dst, w, Q8_0, -4, cols, x, ntok},
		{"negative ntok", dst, w, Q8_0, rows, cols, x, -2},
		{"no dot product", dst, w, Q8_K, rows, 256, x, ntok},
		{"unknown type", dst, w, Type(50), rows, cols, x, ntok},
		{"overflowing rows", dst, w, Q8_0, math.MaxInt / 2, cols, x, ntok},
		{"overflowing tokens", dst, w, Q8_0, rows, cols, x, math.MaxInt / 8},
	}
	for _, c := range cases {
		if err := MatMul(c.dst, c.w, c.typ, c.rows, c.cols, c.x, c.ntok); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if err := MatMul(nil, nil, Q4_K, 0, 256, make([]float32, 256), 1); err != nil {
		t.Errorf("zero rows: %v", err)
	}
	if err := MatMul(nil, make([]byte, 144), Q4_K, 1, 256, nil, 0); err != nil {
		t.Errorf("zero tokens: %v", err)
	}
}

// checkMatMul multiplies random weights and activations of the shape and
// checks every output against VecDot of the quantized activation row: the
// same bits when exact, else within tiledTolerance. It returns the inputs
// and the product.
func checkMatMul(t *testing.T, r *rand.Rand, typ Type, rows, cols, ntok int, exact bool) (w []byte, x, dst []float32) {
	t.Helper()
	w = randomWeights(r, typ, rows*cols)
	x = make([]float32, ntok*cols)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	dst = make([]float32, ntok*rows)
	if err := MatMul(dst, w, typ, rows, cols, x, ntok); err != nil {
		t.Fatal(err)
	}
	at := VecDotType(typ)
	wrb, _ := typ.RowBytes(int64(cols))
	arb, _ := at.RowBytes(int64(cols))
	a := make([]byte, arb)
	for tok := 0; tok < ntok; tok++ {
		if err := QuantizeActivations(at, x[tok*cols:(tok+1)*cols], a); err != nil {
			t.Fatal(err)
		}
		for row := 0; row < rows; row++ {
			wr := w[row*int(wrb) : (row+1)*int(wrb)]
			want, err := VecDot(typ, cols, wr, a)
			if err != nil {
				t.Fatal(err)
			}
			got := dst[tok*rows+row]
			if exact {
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("dst[%d][%d] = %g, want %g", tok, row, got, want)
				}
			} else if tol := tiledTolerance(t, typ, cols, wr, a); !(math.Abs(float64(got-want)) <= tol) {
				t.Fatalf("dst[%d][%d] = %g, want %g (tolerance %g)", tok, row, got, want, tol)
			}
		}
	}
	return w, x, dst
}

// usesTiles reports whether MatMul takes the tile kernel for this shape.
func usesTiles(typ Type, rows, cols, ntok int) bool {
	tk := tiledKernels[typ]
	return tk != nil && !usesBatch(typ, rows, cols, ntok) && ntok >= tk.minTokens && rows >= tileRows && cols%tk.sub == 0
}

// usesBatch reports whether MatMul takes the batched-decode kernels for
// this shape (weights in the file layout).
func usesBatch(typ Type, rows, cols, ntok int) bool {
	return useBatch(batchKernels[typ], tiledKernels[typ], ntok, rows, cols, false)
}

// usesRowTiles reports whether MatMul takes the row tiles for this shape
// (weights in the file layout).
func usesRowTiles(typ Type, rows, cols, ntok int) bool {
	return rowTileKernels[typ] != nil && !usesTiles(typ, rows, cols, ntok) && !usesBatch(typ, rows, cols, ntok) && ntok >= 2
}

// forceTiles makes MatMul take the tile kernel of typ for every batch of 2
// tokens or more until the returned function is called.
func forceTiles(typ Type) (restore func()) {
	tk, bk := tiledKernels[typ], batchKernels[typ]
	saved := *tk
	tk.minTokens = 2
	batchKernels[typ] = nil
	return func() { *tk, batchKernels[typ] = saved, bk }
}

// tiledTolerance is how far a tiled output may be from VecDot: 8 float32
// ulps of the sum of |products|, the size that reordered float sums round
// against.
func tiledTolerance(t *testing.T, typ Type, n int, w, a []byte) float64 {
	t.Helper()
	wf, af := make([]float32, n), make([]float32, n)
	if err := Dequantize(typ, w, wf); err != nil {
		t.Fatal(err)
	}
	if err := Dequantize(VecDotType(typ), a, af); err != nil {
		t.Fatal(err)
	}
	var mag float64
	for i := range wf {
		mag += math.Abs(float64(wf[i]) * float64(af[i]))
	}
	return 8*0x1p-24*mag + 1e-30
}

// TestTiledMatMul checks every tile kernel against VecDot on random data
// with row counts that leave a partial tile, token counts that leave a
// partial group, and several column counts, serial and parallel (the tiles
// forced for batches smaller than MatMul gives them).
func TestTiledMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 8))
	shapes := []struct{ rows, cols, ntok int }{
		{8, 256, 8},
		{11, 256, 11},
		{19, 1024, 17}, // one token past a full group
		{27, 512, 13},
		{64, 768, 9},
		{133, 2048, 21},
		{16, 4096, 203}, // several K-panels
	}
	tiled := 0
	for _, typ := range dotTypes {
		if tiledKernels[typ] == nil {
			continue
		}
		tiled++
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", typ, s.rows, s.cols, s.ntok), func(t *testing.T) {
				defer forceTiles(typ)()
				if !usesTiles(typ, s.rows, s.cols, s.ntok) {
					t.Fatalf("shape does not take the tile kernel")
				}
				t.Logf("%d K-panels", (s.cols+panelCols(tiledKernels[typ], s.ntok)-1)/panelCols(tiledKernels[typ], s.ntok))
				w := randomWeights(r, typ, s.rows*s.cols)
				x := make([]float32, s.ntok*s.cols)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				dst := make([]float32, s.ntok*s.rows)
				if err := MatMul(dst, w, typ, s.rows, s.cols, x, s.ntok); err != nil {
					t.Fatal(err)
				}
				at := VecDotType(typ)
				wrb, _ := typ.RowBytes(int64(s.cols))
				arb, _ := at.RowBytes(int64(s.cols))
				a := make([]byte, arb)
				var worst float64
				for tok := 0; tok < s.ntok; tok++ {
					if err := QuantizeActivations(at, x[tok*s.cols:(tok+1)*s.cols], a); err != nil {
						t.Fatal(err)
					}
					for row := 0; row < s.rows; row++ {
						wr := w[row*int(wrb) : (row+1)*int(wrb)]
						want, _ := VecDot(typ, s.cols, wr, a)
						got := dst[tok*s.rows+row]
						tol := tiledTolerance(t, typ, s.cols, wr, a)
						if d := math.Abs(float64(got - want)); d > tol {
							t.Fatalf("dst[%d][%d] = %g, want %g (tolerance %g)", tok, row, got, want, tol)
						} else {
							worst = max(worst, d/tol)
						}
					}
				}
				t.Logf("worst error %.2f of the tolerance", worst)
			})
		}
	}
	if tiled == 0 {
		t.Skip("no tile kernels on this CPU")
	}
}
