package tensor

import (
	"math"
	"unsafe"
)

// Row tiles: where no prefill tile or batched-decode kernel takes a batch
// (the AVX2 baseline, or batches too small for them), MatMul multiplies a
// few weight rows with a few activation rows per kernel call instead of
// one VecDot per output. Each weight block is then loaded and prepared
// (scales unpacked, nibbles split) once for several tokens, and the
// per-call costs (the indirect call, the final horizontal sums) are paid
// once per tile: with a small model's short rows (128 columns are four
// Q8_0 blocks) they were most of a VecDot.

// rowTileFunc multiplies a tile's weight rows (rowB bytes apart) with
// its tokens (actB bytes apart) over nb steps (see rowTileKernel.step);
// token t's outputs for the tile's rows are stored at dst + t*dstB bytes.
// s holds the tokens' side words (rowTileKernel.side), sB bytes between
// tokens, for the types whose kernels want them.
type rowTileFunc func(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

// rowTileKernel is one weight type's row tiles.
type rowTileKernel struct {
	rows int // weight rows per tile
	// step is the elements per kernel step when not the activation type's
	// block (8 for float types); nb counts steps, and the columns must be
	// a whole number of them.
	step int
	// tile[n] takes n tokens; nil where there is no kernel for n (the
	// tokens left then take VecDot).
	tile [5]rowTileFunc
	// side, where set, writes sideWords words per block of one quantized
	// activation row for s (the block scales as float32, and whatever else
	// the kernels want per block).
	side      func(dst []float32, act []byte)
	sideWords int
}

// stepOf is the elements per kernel step for activations of type at.
func (rk *rowTileKernel) stepOf(at Type) int {
	if rk.step > 0 {
		return rk.step
	}
	return at.BlockSize()
}

// sideLen is the side words of one token of cols elements of type at.
func (rk *rowTileKernel) sideLen(cols int, at Type) int {
	return cols / at.BlockSize() * rk.sideWords
}

// rowTileKernels is indexed by weight type; nil where there is none.
var rowTileKernels [maxType]*rowTileKernel

// q4_0Side writes, for each Q8_0 block of act, its scale and 8 times the
// sum of its quants (as int32 bits), which the Q4_0 tiles subtract from
// their unsigned-quant sums.
func q4_0Side(dst []float32, act []byte) {
	for b := 0; b < len(dst)/2; b++ {
		blk := act[b*q8_0Bytes : (b+1)*q8_0Bytes]
		var sum int32
		for _, q := range blk[2:] {
			sum += int32(int8(q))
		}
		dst[2*b] = f16At(blk, 0)
		dst[2*b+1] = math.Float32frombits(uint32(8 * sum))
	}
}

// q8_0Scales writes the scale of each Q8_0 block of act.
func q8_0Scales(dst []float32, act []byte) {
	for b := range dst {
		dst[b] = f16At(act, b*q8_0Bytes)
	}
}

// multiplyRowTiles computes weight rows [lo, hi) with the row tiles; rows
// and tokens left over take one VecDot per output.
func (j *matMulJob) multiplyRowTiles(lo, hi int) {
	rk := j.rowTile
	cols, actB, rows, rowB := j.cols, j.actB, j.rows, j.rowB
	nb := cols / rk.stepOf(j.actType)
	sideN := rk.sideLen(cols, j.actType)
	sB := sideN * 4
	dstB := rows * 4
	full := lo + (hi-lo)/rk.rows*rk.rows
	for t0 := 0; t0 < j.ntok; t0 += tokenTile {
		t1 := min(t0+tokenTile, j.ntok)
		for r := lo; r < full; r += rk.rows {
			w := unsafe.Pointer(&j.w[r*rowB])
			for t := t0; t < t1; {
				n := min(len(rk.tile)-1, t1-t)
				for n > 0 && rk.tile[n] == nil {
					n--
				}
				if n == 0 {
					for i := r; i < r+rk.rows; i++ {
						j.dst[t*rows+i] = j.vecDot(cols, j.w[i*rowB:(i+1)*rowB], j.act[t*actB:(t+1)*actB])
					}
					t++
					continue
				}
				var s *float32
				if rk.side != nil {
					s = &j.scales[t*sideN]
				}
				rk.tile[n](w, rowB, unsafe.Pointer(&j.act[t*actB]), actB, s, sB, nb, &j.dst[t*rows+r], dstB)
				t += n
			}
		}
		for r := full; r < hi; r++ {
			wr := j.w[r*rowB : (r+1)*rowB]
			for t := t0; t < t1; t++ {
				j.dst[t*rows+r] = j.vecDot(cols, wr, j.act[t*actB:(t+1)*actB])
			}
		}
	}
}
