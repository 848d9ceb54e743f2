package trace

import "math/rand/v2"

// rng draws from PCG with our own helpers, so a seed gives the same
// subsets and permutations on every Go version.
type rng struct{ src *rand.PCG }

func newRNG(seed uint64, stream string) *rng {
	var h uint64 = 14695981039346656037 // FNV-1a of the stream name
	for i := 0; i < len(stream); i++ {
		h = (h ^ uint64(stream[i])) * 1099511628211
	}
	return &rng{rand.NewPCG(seed, h)}
}

// intn is uniform on [0, n) (the modulo bias is below 2^-40 for our n).
func (r *rng) intn(n int) int { return int(r.src.Uint64() % uint64(n)) }

// perm is a uniformly random permutation of 0..n-1 (Fisher–Yates).
func (r *rng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
