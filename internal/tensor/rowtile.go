package tensor

import "unsafe"

// Row tiles: where no prefill tile or batched-decode kernel takes a batch
// (the AVX2 baseline, or batches too small for them), MatMul multiplies
// rowTileRows weight rows with up to rowTileTokens activation rows per
// kernel call instead of one VecDot per output. Each weight block is then
// loaded and prepared once for several tokens, and the per-call costs (the
// indirect call, the final horizontal sums) are paid once per tile: with a
// small model's short rows (128 columns are four Q8_0 blocks) they were
// most of a VecDot.
const (
	rowTileRows   = 4
	rowTileTokens = 3
)

// rowTileKernel is one weight type's row-tile kernels: tile[t-2] takes t
// tokens (2 or 3); the outputs of token t (rowTileRows floats) are stored
// at dst + t*dstB bytes. s holds each activation block's scale as float32,
// sB bytes between tokens.
type rowTileKernel struct {
	tile [rowTileTokens - 1]func(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)
	// scales writes the float32 scales of one quantized activation row.
	scales func(dst []float32, act []byte)
}

// rowTileKernels is indexed by weight type; nil where there is none.
var rowTileKernels [maxType]*rowTileKernel

// q8_0Scales writes the scale of each Q8_0 block of act.
func q8_0Scales(dst []float32, act []byte) {
	for b := range dst {
		dst[b] = F16ToF32(uint16(act[b*q8_0Bytes]) | uint16(act[b*q8_0Bytes+1])<<8)
	}
}

// multiplyRowTiles computes weight rows [lo, hi) with the row tiles; rows
// and tokens left over take one VecDot per output.
func (j *matMulJob) multiplyRowTiles(lo, hi int) {
	rk := j.rowTile
	cols, actB, rows, rowB := j.cols, j.actB, j.rows, j.rowB
	nb := cols / j.actType.BlockSize()
	sB := nb * 4
	dstB := rows * 4
	full := lo + (hi-lo)/rowTileRows*rowTileRows
	for t0 := 0; t0 < j.ntok; t0 += tokenTile {
		t1 := min(t0+tokenTile, j.ntok)
		for r := lo; r < full; r += rowTileRows {
			w := unsafe.Pointer(&j.w[r*rowB])
			t := t0
			for t1-t >= 2 {
				n := min(rowTileTokens, t1-t)
				rk.tile[n-2](w, rowB, unsafe.Pointer(&j.act[t*actB]), actB, &j.scales[t*nb], sB, nb, &j.dst[t*rows+r], dstB)
				t += n
			}
			if t < t1 { // one token left
				for i := r; i < r+rowTileRows; i++ {
					j.dst[t*rows+i] = j.vecDot(cols, j.w[i*rowB:(i+1)*rowB], j.act[t*actB:(t+1)*actB])
				}
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
