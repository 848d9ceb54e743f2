package train

import "fmt"

// The register tile of gemm's kernel: 4 rows of c by 16 columns, eight
// 8-float accumulators, each loaded once and stored once per call.
const (
	gemmRows = 4
	gemmCols = 16
	// gemmDepth bounds the products one tile call sums: 256 rows of a
	// 256-column b are 256 KiB.
	gemmDepth = 256
)

// gemm adds a·b to c: c[i·ldc+j] += Σₓ a[i·ars+x·acs]·b[x·ldb+j] for i < m,
// j < n, x < k. a is read through two strides, so a transposed operand
// (ars = 1) costs nothing; b and c are row-major. Each element of c is
// summed in x order by one goroutine, so the result depends only on the
// operands. Full tiles run gemmTile (assembly where the CPU has it), the
// edges plain Go.
func gemm(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	// One bounds check of the furthest element of each operand up front:
	// the kernel reads through pointers.
	if need := (m-1)*ars + (k-1)*acs + 1; ars < 0 || acs < 0 || need > len(a) {
		panic(fmt.Sprintf("train: gemm reads a[%d] of %d", need-1, len(a)))
	}
	if need := (k-1)*ldb + n; ldb < n || need > len(b) {
		panic(fmt.Sprintf("train: gemm reads b[%d] of %d", need-1, len(b)))
	}
	if need := (m-1)*ldc + n; ldc < n || need > len(c) {
		panic(fmt.Sprintf("train: gemm writes c[%d] of %d", need-1, len(c)))
	}
	mt, nt := m-m%gemmRows, n-n%gemmCols
	// Long sums go in slices of gemmDepth, so the slice of b the tiles
	// share stays in cache; c holds the partial sums between slices, in
	// the same order as one long loop.
	for x0 := 0; x0 < k; x0 += gemmDepth {
		kk := min(gemmDepth, k-x0)
		for i := 0; i < mt; i += gemmRows {
			for j := 0; j < nt; j += gemmCols {
				gemmTile(kk, a[i*ars+x0*acs:], ars, acs, b[x0*ldb+j:], ldb, c[i*ldc+j:], ldc)
			}
		}
	}
	if nt < n {
		gemmGo(mt, n-nt, k, a, ars, acs, b[nt:], ldb, c[nt:], ldc)
	}
	if mt < m {
		gemmGo(m-mt, n, k, a[mt*ars:], ars, acs, b, ldb, c[mt*ldc:], ldc)
	}
}

// gemmKernel names the kernel gemmTile runs: the bits of a training run
// depend on it.
var gemmKernel = "go"

// gemmTile is one gemmRows x gemmCols tile of gemm, operands already
// bounds-checked by gemm.
var gemmTile = func(k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int) {
	gemmGo(gemmRows, gemmCols, k, a, ars, acs, b, ldb, c, ldc)
}

// gemmGo is gemm in plain Go: per element of c, products rounded and then
// added in x order. The assembly tile fuses each multiply-add instead, so
// an element's last bits depend on which of the two computed it; which one
// does depends only on the shapes and the CPU's kernel set, so runs repeat
// bit for bit on machines with the same kernels.
func gemmGo(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		cr := c[i*ldc : i*ldc+n]
		for x := 0; x < k; x++ {
			av := a[i*ars+x*acs]
			br := b[x*ldb : x*ldb+n]
			for j := range cr {
				cr[j] += float32(av * br[j]) // rounded: never fused, whatever GOAMD64
			}
		}
	}
}
