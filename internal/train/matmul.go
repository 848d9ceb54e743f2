package train

import (
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// Tile sizes: a tile of tileB rows of b (tileB·k floats) stays in L2 while
// tileA rows of a stream past it.
const (
	tileA = 8
	tileB = 64
)

// matNT computes c[i][j] = dot(a[i], b[j]) (c = a·bᵀ) for a of m rows and
// b of n rows, both of k columns, adding to c when acc is set. Each element
// is one dot product computed by one goroutine, so the result does not
// depend on how the work is split.
func matNT(c, a, b []float32, m, n, k int, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	c, a, b = c[:m*n], a[:m*k], b[:n*k]
	job := &ntJob{c: c, a: a, b: b, m: m, n: n, k: k, acc: acc}
	// Split over whichever side has more tiles.
	if (m+tileA-1)/tileA >= (n+tileB-1)/tileB {
		job.byRowsOfA = true
		parallel.Run((m+tileA-1)/tileA, 1, job)
	} else {
		parallel.Run((n+tileB-1)/tileB, 1, job)
	}
}

type ntJob struct {
	c, a, b   []float32
	m, n, k   int
	acc       bool
	byRowsOfA bool
}

func (j *ntJob) Do(lo, hi int) {
	if j.byRowsOfA {
		for jb := 0; jb < j.n; jb += tileB {
			j.tile(lo*tileA, min(hi*tileA, j.m), jb, min(jb+tileB, j.n))
		}
		return
	}
	for ib := 0; ib < j.m; ib += tileA {
		j.tile(ib, min(ib+tileA, j.m), lo*tileB, min(hi*tileB, j.n))
	}
}

func (j *ntJob) tile(i0, i1, j0, j1 int) {
	k := j.k
	var tmp [tileB]float32
	for i := i0; i < i1; i++ {
		ar := j.a[i*k : (i+1)*k]
		cr := j.c[i*j.n+j0 : i*j.n+j1]
		if !j.acc {
			tensor.DotsF32(cr, ar, j.b[j0*k:], k)
			continue
		}
		for c0 := 0; c0 < len(cr); c0 += tileB {
			t := tmp[:min(tileB, len(cr)-c0)]
			tensor.DotsF32(t, ar, j.b[(j0+c0)*k:], k)
			for jj, x := range t {
				cr[c0+jj] += x
			}
		}
	}
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
	matNT(y, x, w.W, n, w.Rows, w.Cols, false)
}

// linearBack adds the gradients of y = x·wᵀ: dx += dy·w (when dx is not
// nil) and w.G += dyᵀ·x. scratch must hold max(w.Rows·w.Cols, n·(w.Rows+w.Cols)) floats.
func linearBack(dx, dy, x []float32, w *Tensor, n int, s *scratch) {
	if dx != nil {
		wt := s.get(0, w.Rows*w.Cols)
		transpose(wt, w.W, w.Rows, w.Cols)
		matNT(dx, dy, wt, n, w.Cols, w.Rows, true)
	}
	dyt := s.get(1, n*w.Rows)
	xt := s.get(2, n*w.Cols)
	transpose(dyt, dy, n, w.Rows)
	transpose(xt, x, n, w.Cols)
	matNT(w.G, dyt, xt, w.Rows, w.Cols, n, true)
}

// scratch is a set of reusable buffers.
type scratch struct{ bufs [8][]float32 }

func (s *scratch) get(i, n int) []float32 {
	if cap(s.bufs[i]) < n {
		s.bufs[i] = make([]float32, n)
	}
	return s.bufs[i][:n]
}
