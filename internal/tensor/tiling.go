package tensor

import "sync/atomic"

var tilingOff atomic.Bool

// SetTiling turns the multi-token tile kernels on (the default) or off.
// Off, every output of MatMul is the single-token dot product, so a batch
// gives bit-for-bit what each token gives alone; tests that compare
// batched sequences against solo runs with greedy sampling need that.
func SetTiling(on bool) { tilingOff.Store(!on) }
