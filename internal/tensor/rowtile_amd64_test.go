//go:build amd64 && !purego

package tensor

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestRowTileMatMul checks the row tiles against VecDot on random data,
// with row counts that leave rows out of the tiles, token counts that
// leave one or two tokens (and cross the token tile), and short and long
// rows, serial and parallel. Every AVX2 row tile is installed in turn
// (including those a VNNI CPU does not use) and the prefill tiles and
// batched-decode kernels set aside, so that all of them run on every AVX2
// CPU.
func TestRowTileMatMul(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := rand.New(rand.NewPCG(51, 52))
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	for typ, rk := range avx2RowTiles() {
		tk, bk, saved := tiledKernels[typ], batchKernels[typ], rowTileKernels[typ]
		tiledKernels[typ], batchKernels[typ], rowTileKernels[typ] = nil, nil, rk
		defer func() { tiledKernels[typ], batchKernels[typ], rowTileKernels[typ] = tk, bk, saved }()
		for _, s := range []struct{ rows, steps, extra, ntok int }{
			{4, 1, 0, 2}, {4, 1, 0, 3}, {7, 4, 0, 4}, {13, 4, 0, 5}, {64, 11, 0, 7}, {5, 2, 0, 8},
			{9, 4, 0, 65}, {300, 8, 0, 130}, {16, 64, 0, 3},
			{4, 2, 3, 3}, // float rows that are not whole steps take VecDot
		} {
			if s.extra != 0 && rk.step == 0 {
				continue
			}
			s := struct{ rows, cols, ntok int }{s.rows, s.steps*rk.stepOf(VecDotType(typ)) + s.extra, s.ntok}
			t.Run(fmt.Sprintf("%s/%dx%dx%d", typ, s.rows, s.cols, s.ntok), func(t *testing.T) {
				checkMatMul(t, r, typ, s.rows, s.cols, s.ntok, false)
			})
		}
	}
}
