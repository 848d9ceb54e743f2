package tensor

import (
	"fmt"
	"math"
	"sync"

	"github.com/longctx/longctx/internal/parallel"
)

// MatMul multiplies the weight matrix w (rows rows of cols elements of type
// wt, row r at r*RowBytes(cols) as in ggml) with the ntok activation rows x
// (row-major float32, ntok×cols) into dst (ntok×rows): dst[t*rows+r] is the
// dot product of weight row r with activation row t.
//
// As in llama.cpp, each activation row is first converted once to
// VecDotType(wt) with QuantizeActivations, and every output is one VecDot.
// Large products are split by blocks of weight rows across the threads of
// the persistent worker pool (package parallel); the result does not depend
// on the split.
func MatMul(dst []float32, w []byte, wt Type, rows, cols int, x []float32, ntok int) error {
	return matMul(dst, w, wt, rows, cols, x, ntok, nil)
}

// matMul is MatMul, with the interleaved rows of pk (when not nil) for
// the batches that do not use the tiles.
func matMul(dst []float32, w []byte, wt Type, rows, cols int, x []float32, ntok int, pk *Packed) error {
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

	j := jobPool.Get().(*matMulJob)
	act, packed, scales := j.act, j.packed, j.scales
	if cap(act) < int(actBytes) {
		act = make([]byte, actBytes)
	}
	*j = matMulJob{
		dst: dst, w: w, x: x, act: act[:actBytes], packed: packed, scales: scales,
		rows: rows, cols: cols, ntok: ntok, rowB: int(wrb), actB: int(arb), actType: at,
		quantize: kernels[at].quantizeActivations, vecDot: k.vecDot, vecDotRows: k.vecDotRows,
	}
	hasPacked := pk != nil && pk.groups != nil
	tk := tiledKernels[wt]
	if bk := batchKernels[wt]; useBatch(bk, tk, ntok, rows, cols, hasPacked) {
		j.batch = bk
		if hasPacked {
			j.packed8 = pk
		}
		n := (cols / at.BlockSize()) * ntok * bk.entryBytes
		if cap(j.packed) < n {
			j.packed = make([]byte, n)
		}
		j.packed = j.packed[:n]
	} else if tk != nil && !tilingOff.Load() && !hasPacked && ntok >= tk.minTokens && rows >= tileRows && cols%tk.sub == 0 {
		j.tile = tk
		groups := (ntok + tileTokens - 1) / tileTokens
		n := groups * (cols / tk.sub) * tk.subBytes
		if cap(j.packed) < n {
			j.packed = make([]byte, n)
		}
		j.packed = j.packed[:n]
	} else if hasPacked {
		j.packed8 = pk
	} else if rk := rowTileKernels[wt]; rk != nil && !tilingOff.Load() && ntok >= 2 && cols >= rk.stepOf(at) && cols%rk.stepOf(at) == 0 {
		j.rowTile = rk
		if rk.side != nil {
			n := ntok * rk.sideLen(cols, at)
			if cap(j.scales) < n {
				j.scales = make([]float32, n)
			}
			j.scales = j.scales[:n]
		}
	}
	// Work in multiply-adds decides whether waking the pool pays off.
	work := float64(rows) * float64(cols) * float64(ntok)
	serial := work < parallelMinWork
	j.phase = phaseQuantize
	if serial || ntok == 1 {
		j.Do(0, ntok)
	} else {
		parallel.Run(ntok, 1, j)
	}
	grain := rowGrain(rows)
	switch {
	case j.batch != nil:
		grain = max(16, grain&^15) // pairs of groups of 8
	case j.packed8 != nil:
		grain = max(8, grain&^7)
	}
	if j.tile != nil {
		j.phase = phasePack
		groups := (ntok + tileTokens - 1) / tileTokens
		if serial {
			j.Do(0, groups)
		} else {
			parallel.Run(groups, 1, j)
		}
		grain = max(tileRows, grain&^(tileRows-1))
	}
	j.phase = phaseMultiply
	if serial {
		j.Do(0, rows)
	} else {
		parallel.Run(rows, grain, j)
	}
	*j = matMulJob{act: j.act, packed: j.packed, scales: j.scales}
	jobPool.Put(j)
	return nil
}

// rowGrain is the number of weight rows handed to a thread at a time:
// about a quarter of a thread's share (so a slow thread does not hold up
// the others), a multiple of 4 rows.
func rowGrain(rows int) int {
	g := rows / (4 * parallel.Threads())
	return max(4, g&^3)
}

// matMulJob is one MatMul, run as loops on the worker pool: first the
// activation rows are quantized, then (for the tiled kernels) packed into
// groups of tokens, then weight rows are multiplied with every activation
// row. It is pooled so that a MatMul does not allocate.
type matMulJob struct {
	dst        []float32
	w          []byte
	x          []float32
	act        []byte
	packed     []byte // activation groups for the tile kernel
	rows, cols int
	ntok       int
	rowB, actB int
	actType    Type
	phase      matMulPhase
	quantize   quantizeFunc
	vecDot     vecDotFunc
	vecDotRows vecDotRowsFunc // nil: one vecDot call per output
	tile       *tiledKernel   // nil: one VecDot per output
	batch      *batchKernel   // the batched-decode kernels, or nil
	rowTile    *rowTileKernel // row tiles for the remaining batches, or nil
	scales     []float32      // the activation blocks' side words for rowTile
	packed8    *Packed        // interleaved rows for the multiply, or nil
}

type matMulPhase uint8

const (
	phaseQuantize matMulPhase = iota // over activation rows
	phasePack                        // over groups of tileTokens activation rows
	phaseMultiply                    // over weight rows
)

var jobPool = sync.Pool{New: func() any { return new(matMulJob) }}

// tokenTile is how many activation rows are multiplied with one block of
// weight rows before moving to the next activation rows, so that both
// stay in the L1/L2 caches during prefill.
const tokenTile = 64

// rowBlock is how many weight rows a vecDotRows call takes when several
// activation rows go past them: a few KiB each, so they stay in L1.
const rowBlock = 8

func (j *matMulJob) Do(lo, hi int) {
	switch j.phase {
	case phaseQuantize:
		cols, actB := j.cols, j.actB
		for t := lo; t < hi; t++ {
			a := j.act[t*actB : (t+1)*actB]
			j.quantize(j.x[t*cols:(t+1)*cols], a)
			if j.batch != nil {
				j.batch.prep(j.packed, a, cols/j.actType.BlockSize(), t, j.ntok)
			}
			if rk := j.rowTile; rk != nil && rk.side != nil {
				n := rk.sideLen(cols, j.actType)
				rk.side(j.scales[t*n:(t+1)*n], a)
			}
		}
	case phasePack:
		tk := j.tile
		groupB := (j.cols / tk.sub) * tk.subBytes
		for g := lo; g < hi; g++ {
			t0 := g * tileTokens
			tk.pack(j.packed[g*groupB:(g+1)*groupB], j.act, j.actType, j.actB, j.cols, t0, min(tileTokens, j.ntok-t0), tk.sub, tk.hasMin)
		}
	case phaseMultiply:
		switch {
		case j.batch != nil:
			j.multiplyBatch(lo, hi)
		case j.tile != nil:
			j.multiplyTiled(lo, hi)
		case j.packed8 != nil:
			j.multiplyPacked(lo, hi)
		case j.rowTile != nil:
			j.multiplyRowTiles(lo, hi)
		default:
			j.multiplyRows(lo, hi)
		}
	}
}

// multiplyRows computes weight rows [lo, hi) with one VecDot per output.
func (j *matMulJob) multiplyRows(lo, hi int) {
	cols, actB := j.cols, j.actB
	rows, rowB := j.rows, j.rowB
	if j.vecDotRows != nil {
		// One activation row takes all the rows in one call; several take
		// blocks of rowBlock rows in turn, which stay in L1 meanwhile.
		step := hi - lo
		if j.ntok > 1 {
			step = rowBlock
		}
		for r0 := lo; r0 < hi; r0 += step {
			r1 := min(r0+step, hi)
			wr := j.w[r0*rowB : r1*rowB]
			for t := 0; t < j.ntok; t++ {
				j.vecDotRows(cols, wr, rowB, j.act[t*actB:(t+1)*actB], j.dst[t*rows+r0:t*rows+r1])
			}
		}
		return
	}
	for t0 := 0; t0 < j.ntok; t0 += tokenTile {
		t1 := min(t0+tokenTile, j.ntok)
		for r := lo; r < hi; r++ {
			wr := j.w[r*rowB : (r+1)*rowB]
			for t := t0; t < t1; t++ {
				j.dst[t*rows+r] = j.vecDot(cols, wr, j.act[t*actB:(t+1)*actB])
			}
		}
	}
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
// the calling goroutine: waking the pool costs about a microsecond.
const parallelMinWork = 1 << 16
