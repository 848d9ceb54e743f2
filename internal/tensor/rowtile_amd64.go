//go:build amd64 && !purego

package tensor

//go:generate go run ./rowtilegen -o rowtile_amd64.s -dot dot_amd64.s

import "unsafe"

//go:noescape
func dotQ8_0R4T3AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ8_0R4T2AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ8_0RowsAVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, da *float32, nb int, dst *float32, nrows int)

// q8_0RowsAVX2 is Q8_0's vecDotRows: the activation's block scales are
// converted once for all the rows, which then give what dotQ8_0AVX2 gives
// each row, bit for bit.
func q8_0RowsAVX2(n int, w []byte, rowB int, a []byte, dst []float32) {
	nb := n / qk32
	if nb == 0 {
		clear(dst)
		return
	}
	if len(dst) == 0 {
		return
	}
	_ = w[(len(dst)-1)*rowB+nb*q8_0Bytes-1]
	_ = a[nb*q8_0Bytes-1]
	var buf [512]float32
	if nb > len(buf) {
		// Rows this long are rare; the same bits without allocating.
		for i := range dst {
			dst[i] = dotQ8_0AVX2(unsafe.Pointer(&w[i*rowB]), unsafe.Pointer(&a[0]), nb)
		}
		return
	}
	da := buf[:nb]
	q8_0Scales(da, a)
	dotQ8_0RowsAVX2(unsafe.Pointer(&w[0]), rowB, unsafe.Pointer(&a[0]), &da[0], nb, &dst[0], len(dst))
}

//go:noescape
func dotQ4_0R4T3AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ4_0R4T2AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotF16R4T3AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotF16R4T2AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotF32R4T3AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotF32R4T2AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ4KR1T4AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ5KR1T4AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ6KR1T4AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

// f16Side writes the f16 activation row act as float32 (F16's tiles read
// it so, instead of converting each token's values once per row).
func f16Side(dst []float32, act []byte) {
	if len(dst) > 0 {
		f16ToF32Bulk(dst, unsafe.Slice((*uint16)(unsafe.Pointer(&act[0])), len(dst)))
	}
}

// avx2RowTiles are the AVX2 row tiles, by weight type.
func avx2RowTiles() map[Type]*rowTileKernel {
	return map[Type]*rowTileKernel{
		Q8_0: {rows: 4, tile: [5]rowTileFunc{2: dotQ8_0R4T2AVX2, 3: dotQ8_0R4T3AVX2}, side: q8_0Scales, sideWords: 1},
		F16:  {rows: 4, step: 8, tile: [5]rowTileFunc{2: dotF16R4T2AVX2, 3: dotF16R4T3AVX2}, side: f16Side, sideWords: 1},
		F32:  {rows: 4, step: 8, tile: [5]rowTileFunc{2: dotF32R4T2AVX2, 3: dotF32R4T3AVX2}},
		Q4_0: {rows: 4, tile: [5]rowTileFunc{2: dotQ4_0R4T2AVX2, 3: dotQ4_0R4T3AVX2}, side: q4_0Side, sideWords: 2},
		Q4_K: {rows: 1, tile: [5]rowTileFunc{4: dotQ4KR1T4AVX2}},
		Q5_K: {rows: 1, tile: [5]rowTileFunc{4: dotQ5KR1T4AVX2}},
		Q6_K: {rows: 1, tile: [5]rowTileFunc{4: dotQ6KR1T4AVX2}},
	}
}

func init() {
	if !hasAVX2 {
		return
	}
	for typ, rk := range avx2RowTiles() {
		// With AVX512-VNNI, K-quant rows have their own vecDotRows kernels
		// (and batches their tiles); the row tiles were measured only
		// against the AVX2 ones.
		if hasVNNI && kernels[typ].vecDotRows != nil && typ != Q8_0 {
			continue
		}
		rowTileKernels[typ] = rk
	}
}
