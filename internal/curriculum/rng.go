package curriculum

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
)

// rng is a PCG stream with our own helpers (not math/rand's IntN or
// Shuffle, whose algorithms could change between Go versions and break
// reproducibility).
type rng struct{ p *rand.PCG }

func newRNG(seed uint64, parts ...string) *rng {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return &rng{rand.NewPCG(seed, h.Sum64())}
}

// intn is uniform in [0, n) (modulo bias < n/2⁶⁴, irrelevant here).
func (r *rng) intn(n int) int { return int(r.p.Uint64() % uint64(n)) }

func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) pick(list []string) string { return list[r.intn(len(list))] }

func (r *rng) chance(p float64) bool { return float64(r.p.Uint64()>>11)/(1<<53) < p }

func (r *rng) shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.intn(i+1))
	}
}

// sample returns k distinct ints from [0, n), in random order.
func (r *rng) sample(n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + r.intn(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:k]
}

func (r *rng) digits(n int) string {
	b := make([]byte, n)
	b[0] = byte('1' + r.intn(9))
	for i := 1; i < n; i++ {
		b[i] = byte('0' + r.intn(10))
	}
	return string(b)
}

func (r *rng) number(lo, hi int) string { return strconv.Itoa(r.between(lo, hi)) }

// uuid is a random version-4 UUID string.
func (r *rng) uuid() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		c := hex[r.intn(16)]
		switch i {
		case 12:
			c = '4'
		case 16:
			c = hex[8+r.intn(4)]
		}
		b = append(b, c)
	}
	return string(b)
}

func (r *rng) upper(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + r.intn(26))
	}
	return string(b)
}

// name is an invented capitalised name of 2–3 syllables.
func (r *rng) name() string {
	s := ""
	for range r.between(2, 3) {
		s += r.pick(syllables)
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// keyWords is an adjective-noun pair, RULER's "words" key type.
func (r *rng) keyWords() string { return r.pick(adjectives) + "-" + r.pick(nouns) }
