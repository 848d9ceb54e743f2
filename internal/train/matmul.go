package train

import "github.com/longctx/longctx/internal/parallel"

// pgemm is gemm split over the worker pool in blocks of whole tiles (rows
// of c, or columns when c has few rows), so every element of c is computed
// by the same kernel however many workers there are.
func pgemm(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int) {
	const rowBlock, colBlock = 8 * gemmRows, 4 * gemmCols
	if m >= n || n <= colBlock {
		parallel.Run((m+rowBlock-1)/rowBlock, 1, parallel.Func(func(lo, hi int) {
			i0, i1 := lo*rowBlock, min(hi*rowBlock, m)
			gemm(i1-i0, n, k, a[i0*ars:], ars, acs, b, ldb, c[i0*ldc:], ldc)
		}))
		return
	}
	parallel.Run((n+colBlock-1)/colBlock, 1, parallel.Func(func(lo, hi int) {
		j0, j1 := lo*colBlock, min(hi*colBlock, n)
		gemm(m, j1-j0, k, a, ars, acs, b[j0:], ldb, c[j0:], ldc)
	}))
}

// transpose writes the cols×rows transpose of x (rows×cols) into dst.
func transpose(dst, x []float32, rows, cols int) {
	const blk = 32
	for r0 := 0; r0 < rows; r0 += blk {
		for c0 := 0; c0 < cols; c0 += blk {
			for r := r0; r < min(r0+blk, rows); r++ {
				for c := c0; c < min(c0+blk, cols); c++ {
					dst[c*rows+r] = x[r*cols+c]
				}
			}
		}
	}
}

// linear is y = x·wᵀ for x of n rows (the forward pass of a projection).
func linear(y, x []float32, w *Tensor, n int) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	wt := s.get(0, w.Rows*w.Cols)
	transpose(wt, w.W, w.Rows, w.Cols)
	y = y[:n*w.Rows]
	clear(y)
	pgemm(n, w.Rows, w.Cols, x, w.Cols, 1, wt, w.Rows, y, w.Rows)
}

// linearBack adds the gradients of y = x·wᵀ: dx += dy·w (when dx is not
// nil) and w.G += dyᵀ·x.
func linearBack(dx, dy, x []float32, w *Tensor, n int) {
	if dx != nil {
		pgemm(n, w.Cols, w.Rows, dy, w.Rows, 1, w.W, w.Cols, dx, w.Cols)
	}
	pgemm(w.Rows, w.Cols, n, dy, 1, w.Rows, x, w.Cols, w.G, w.Cols)
}

// scratch is a set of reusable buffers.
type scratch struct{ bufs [9][]float32 }

func (s *scratch) get(i, n int) []float32 {
	if cap(s.bufs[i]) < n {
		s.bufs[i] = make([]float32, n)
	}
	return s.bufs[i][:n]
}
