package tensor

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// MatMul multiplies the weight matrix w (rows rows of cols elements of type
// wt, row r at r*RowBytes(cols) as in ggml) with the ntok activation rows x
// (row-major float32, ntok×cols) into dst (ntok×rows): dst[t*rows+r] is the
// dot product of weight row r with activation row t.
//
// As in llama.cpp, each activation row is first converted once to
// VecDotType(wt) with QuantizeActivations, and every output is one VecDot.
// Large products are split by blocks of weight rows across GOMAXPROCS
// goroutines; the result does not depend on the split.
func MatMul(dst []float32, w []byte, wt Type, rows, cols int, x []float32, ntok int) error {
	if !HasVecDot(wt) {
		return fmt.Errorf("MatMul: weight type %s has no dot product", wt)
	}
	if rows < 0 || cols < 0 || ntok < 0 {
		return fmt.Errorf("MatMul: negative shape rows=%d cols=%d ntok=%d", rows, cols, ntok)
	}
	k := &kernels[wt]
	at := k.vecDotType
	wrb, err := wt.RowBytes(int64(cols))
	if err != nil {
		return fmt.Errorf("MatMul: weights: %w", err)
	}
	arb, err := at.RowBytes(int64(cols))
	if err != nil {
		return fmt.Errorf("MatMul: activations: %w", err)
	}
	if want, ok := mulFits(int64(rows), wrb); !ok || int64(len(w)) != want {
		return fmt.Errorf("MatMul: %d rows of %d %s elements take %d*%d bytes, got %d", rows, cols, wt, rows, wrb, len(w))
	}
	if want, ok := mulFits(int64(ntok), int64(cols)); !ok || int64(len(x)) != want {
		return fmt.Errorf("MatMul: activations have %d elements, want ntok*cols = %d*%d", len(x), ntok, cols)
	}
	if want, ok := mulFits(int64(ntok), int64(rows)); !ok || int64(len(dst)) != want {
		return fmt.Errorf("MatMul: dst has %d elements, want ntok*rows = %d*%d", len(dst), ntok, rows)
	}
	actBytes, ok := mulFits(int64(ntok), arb)
	if !ok {
		return fmt.Errorf("MatMul: %d activation rows of %d bytes overflow", ntok, arb)
	}
	if rows == 0 || ntok == 0 {
		return nil
	}

	scratch := getScratch(int(actBytes))
	defer putScratch(scratch)
	act := *scratch
	quantize := kernels[at].quantizeActivations
	vecDot := k.vecDot
	rowB, actB := int(wrb), int(arb)

	// Work in multiply-adds decides whether goroutines pay off.
	work := float64(rows) * float64(cols) * float64(ntok)

	parallelFor(ntok, work, func(t0, t1 int) {
		for t := t0; t < t1; t++ {
			quantize(x[t*cols:(t+1)*cols], act[t*actB:(t+1)*actB])
		}
	})
	parallelFor(rows, work, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			wr := w[r*rowB : (r+1)*rowB]
			for t := 0; t < ntok; t++ {
				dst[t*rows+r] = vecDot(cols, wr, act[t*actB:(t+1)*actB])
			}
		}
	})
	return nil
}

// MatVec is MatMul for a single activation row: dst[r] = dot(w row r, x).
func MatVec(dst []float32, w []byte, wt Type, rows, cols int, x []float32) error {
	return MatMul(dst, w, wt, rows, cols, x, 1)
}

// mulFits returns a*b for non-negative a, b, and whether it fits an int.
func mulFits(a, b int64) (int64, bool) {
	if a != 0 && b > math.MaxInt/a {
		return 0, false
	}
	return a * b, true
}

// parallelMinWork is the number of multiply-adds below which MatMul stays on
// the calling goroutine: starting goroutines costs a few microseconds.
const parallelMinWork = 1 << 18

// parallelFor calls fn on consecutive ranges covering [0, n), in parallel
// when the total work justifies it. Ranges are handed out from an atomic
// counter in chunks of about n/(4*workers), so a slow worker does not hold
// up the others.
func parallelFor(n int, work float64, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers <= 1 || work < parallelMinWork {
		fn(0, n)
		return
	}
	chunk := (n + 4*workers - 1) / (4 * workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}

var scratchPool sync.Pool

// getScratch returns a byte slice of length n from the pool.
func getScratch(n int) *[]byte {
	if p, ok := scratchPool.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n)
	return &b
}

func putScratch(p *[]byte) { scratchPool.Put(p) }
