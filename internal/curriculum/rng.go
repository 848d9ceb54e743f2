package curriculum

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
)

// rng is a PCG stream with our own helpers (not math/rand's IntN or
// Shuffle, whose algorithms could change between Go versions and break
// reproducibility).
type rng struct {
	p *rand.PCG
	// variety is the chance that a filler, key or name is drawn in its
	// varied form (invented words, free sentences); 0 draws nothing extra,
	// so a plain generator's stream is unchanged.
	variety float64
	lex     []string // the sample's invented words, made on first use
}

func newRNG(seed uint64, parts ...string) *rng {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return &rng{p: rand.NewPCG(seed, h.Sum64())}
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
	if r.varied() {
		w := r.inventWord()
		return string(w[0]-'a'+'A') + w[1:]
	}
	s := ""
	for range r.between(2, 3) {
		s += r.pick(syllables)
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// keyWords is an adjective-noun pair, RULER's "words" key type.
func (r *rng) keyWords() string {
	if r.varied() {
		return r.inventWord() + "-" + r.inventWord()
	}
	return r.pick(adjectives) + "-" + r.pick(nouns)
}

// varied reports whether this draw takes the varied form.
func (r *rng) varied() bool { return r.variety > 0 && r.chance(r.variety) }

// Letters of invented words, weighted towards English's: a model that only
// ever saw the package's word lists treats any other prose (an
// evaluation's haystack, a user's document) as a surprise that pulls its
// attention; invented words teach it that filler is filler whatever it
// spells.
const (
	onsets = "bcdfghjklmnprstvwyzbcdlmnprst"
	vowels = "aeiouaeioyae"
	codas  = "nrstlmkdgxpnrst"
)

// inventWord is a pronounceable random word of 1–4 syllables.
func (r *rng) inventWord() string {
	var b []byte
	for range r.between(1, 4) {
		if r.chance(0.8) {
			b = append(b, onsets[r.intn(len(onsets))])
		}
		b = append(b, vowels[r.intn(len(vowels))])
		if r.chance(0.3) {
			b = append(b, codas[r.intn(len(codas))])
		}
	}
	if len(b) < 2 {
		b = append(b, codas[r.intn(len(codas))])
	}
	return string(b)
}

// lexicon is the sample's vocabulary of invented words, so that varied
// filler repeats words as real prose does.
func (r *rng) lexicon() []string {
	if r.lex == nil {
		r.lex = make([]string, r.between(30, 300))
		for i := range r.lex {
			r.lex[i] = r.inventWord()
		}
	}
	return r.lex
}
