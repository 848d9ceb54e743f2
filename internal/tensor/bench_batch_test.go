package tensor

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkBatchedDecode multiplies weights with the small batches of
// batched decode (one activation row per running sequence), the weights
// coming from DRAM as in a forward pass (it cycles through ≥ 128 MiB of
// copies), in their file layout ("file") and interleaved by Pack
// ("packed"), and for comparison without the batched-decode kernels
// ("-nobatch": the packed one-token kernels token by token, or the file
// layout's per-row kernels and prefill tiles). GB/s is weight bytes per second: a batch that reads each
// weight once keeps near the single-token figure.
func BenchmarkBatchedDecode(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 7))
	for _, typ := range []Type{Q8_0, Q4_0, Q4_K, Q6_K} {
		for _, shape := range [][2]int{{2048, 2048}, {8192, 2048}} {
			rows, cols := shape[0], shape[1]
			one := randomWeights(r, typ, rows*cols)
			var mats []*Packed // built on first use, shared by the sub-benchmarks
			n := max(2, (128<<20)/len(one))
			for _, ntok := range []int{1, 2, 4, 8, 16} {
				for _, path := range []string{"file", "packed", "file-nobatch", "packed-nobatch"} {
					layout, nobatch := strings.CutSuffix(path, "-nobatch")
					bk := batchKernels[typ]
					if nobatch && (bk == nil || ntok == 1) {
						continue
					}
					b.Run(fmt.Sprintf("%s/%dx%d/ntok=%d/%s", typ, rows, cols, ntok, path), func(b *testing.B) {
						if nobatch {
							batchKernels[typ] = nil
							defer func() { batchKernels[typ] = bk }()
						}
						benchMatMulCycling(b, r, typ, rows, cols, ntok, layout, one, &mats, n)
						reportThroughput(b, float64(len(one)), 2*float64(rows*cols*ntok))
					})
				}
			}
		}
	}
}
