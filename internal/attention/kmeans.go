package attention

import (
	"math"
	"math/rand/v2"

	"github.com/longctx/longctx/internal/tensor"
)

// kmeans clusters the n rows of d floats in x into k clusters: k-means++
// seeding drawn from a PCG seeded with seed, then at most iters Lloyd
// iterations (stopping early when no label changes). It returns the k
// centers (rows of d) and each row's label. A cluster that loses all its
// rows keeps its center. The result depends only on the inputs (the
// products are computed by tensor.MatMul, whose sums do not depend on the
// thread count).
func kmeans(x []float32, n, d, k, iters int, seed uint64) (centers []float32, labels []int32) {
	k = max(1, min(k, n))
	centers = make([]float32, k*d)
	labels = make([]int32, n)
	if n == 0 {
		return centers, labels
	}
	src := rand.NewPCG(seed, 0x6b6d65616e73)
	uniform := func() float64 { return float64(src.Uint64()>>11) / (1 << 53) }
	xb := f32Bytes(x[:n*d])
	norms := make([]float32, n)
	for i := range n {
		norms[i] = tensor.DotF32(x[i*d:(i+1)*d], x[i*d:(i+1)*d])
	}

	// k-means++: each next center is drawn with probability proportional
	// to the squared distance to the nearest center so far.
	dist := make([]float64, n)
	dots := make([]float32, n)
	first := int(src.Uint64() % uint64(n))
	copy(centers, x[first*d:(first+1)*d])
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	for c := 0; ; c++ {
		cv := centers[c*d : (c+1)*d]
		cn := tensor.DotF32(cv, cv)
		_ = tensor.MatMul(dots, xb, tensor.F32, n, d, cv, 1)
		total := 0.0
		for i := range n {
			dist[i] = min(dist[i], max(0, float64(norms[i]+cn-2*dots[i])))
			total += dist[i]
		}
		if c+1 == k {
			break
		}
		next := 0
		if total > 0 {
			r := uniform() * total
			for next = 0; next < n-1; next++ {
				if r -= dist[next]; r < 0 {
					break
				}
			}
		} else {
			next = int(src.Uint64() % uint64(n)) // every row is a center already
		}
		copy(centers[(c+1)*d:(c+2)*d], x[next*d:(next+1)*d])
	}

	// Lloyd: assign each row to the nearest center, move centers to their
	// rows' means.
	const batch = 1024
	prod := make([]float32, batch*k)
	cnorm := make([]float32, k)
	sums := make([]float64, k*d)
	counts := make([]int, k)
	for it := 0; it < iters; it++ {
		for c := range k {
			cnorm[c] = tensor.DotF32(centers[c*d:(c+1)*d], centers[c*d:(c+1)*d])
		}
		changed := it == 0
		for b := 0; b < n; b += batch {
			m := min(batch, n-b)
			_ = tensor.MatMul(prod[:m*k], f32Bytes(centers), tensor.F32, k, d, x[b*d:(b+m)*d], m)
			for i := range m {
				best, bd := int32(0), float32(math.Inf(1))
				for c, p := range prod[i*k : (i+1)*k] {
					if dd := cnorm[c] - 2*p; dd < bd {
						best, bd = int32(c), dd
					}
				}
				if labels[b+i] != best {
					labels[b+i], changed = best, true
				}
			}
		}
		if !changed {
			break
		}
		clear(sums)
		clear(counts)
		for i, l := range labels {
			counts[l]++
			for j, v := range x[i*d : (i+1)*d] {
				sums[int(l)*d+j] += float64(v)
			}
		}
		for c := range k {
			if counts[c] == 0 {
				continue
			}
			for j := range d {
				centers[c*d+j] = float32(sums[c*d+j] / float64(counts[c]))
			}
		}
	}
	return centers, labels
}
