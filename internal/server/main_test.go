package server

import (
	"os"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// The scheduler tests check that batching never mixes sequences up by
// comparing each batched greedy output with the same request run alone.
// The multi-token tile kernels sum in another order than the single-token
// ones (tested to agree to rounding in internal/tensor), and on the flat
// random-weight fixtures that can tip a greedy choice, so the tests run
// with single-token kernels throughout.
func TestMain(m *testing.M) {
	tensor.SetTiling(false)
	os.Exit(m.Run())
}
