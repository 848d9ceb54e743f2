package gen

import (
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// rng is a deterministic random stream. Only the PCG core comes from the
// standard library; every derived draw is defined here so it never changes
// under us.
type rng struct{ src *rand.PCG }

// newRNG derives an independent stream from a seed and a list of labels
// (task name, length, sample index...), so samples can be made in any order
// or in parallel and still be identical.
func newRNG(seed uint64, labels ...any) *rng {
	h := fnv.New64a()
	for _, l := range labels {
		switch v := l.(type) {
		case string:
			h.Write([]byte(v))
		case int:
			var b [8]byte
			for i := range b {
				b[i] = byte(uint64(v) >> (8 * i))
			}
			h.Write(b[:])
		default:
			panic("gen: newRNG label must be string or int")
		}
		h.Write([]byte{0})
	}
	return &rng{rand.NewPCG(seed, h.Sum64())}
}

func (r *rng) uint64() uint64 { return r.src.Uint64() }

// intn returns a uniform integer in [0, n) by Lemire's multiply-and-reject.
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("gen: intn of non-positive bound")
	}
	bound := uint64(n)
	hi, lo := bits.Mul64(r.uint64(), bound)
	if lo < bound {
		thresh := -bound % bound
		for lo < thresh {
			hi, lo = bits.Mul64(r.uint64(), bound)
		}
	}
	return int(hi)
}

// between returns a uniform integer in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// shuffle is a Fisher-Yates shuffle.
func (r *rng) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.intn(i+1))
	}
}

// sample returns k distinct integers from [0, n) in draw order.
func (r *rng) sample(n, k int) []int {
	if k > n {
		panic("gen: sample larger than population")
	}
	out := make([]int, 0, k)
	if k*4 < n {
		seen := make(map[int]bool, k)
		for len(out) < k {
			v := r.intn(n)
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		return out
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + r.intn(n-i)
		p[i], p[j] = p[j], p[i]
		out = append(out, p[i])
	}
	return out
}
