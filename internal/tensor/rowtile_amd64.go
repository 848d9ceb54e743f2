//go:build amd64 && !purego

package tensor

import "unsafe"

//go:noescape
func dotQ8_0R4T3AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

//go:noescape
func dotQ8_0R4T2AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)

func init() {
	if !hasAVX2 {
		return
	}
	rowTileKernels[Q8_0] = &rowTileKernel{
		tile:   [rowTileTokens - 1]func(unsafe.Pointer, int, unsafe.Pointer, int, *float32, int, int, *float32, int){dotQ8_0R4T2AVX2, dotQ8_0R4T3AVX2},
		scales: q8_0Scales,
	}
}
