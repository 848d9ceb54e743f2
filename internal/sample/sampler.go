package sample

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Params configures a Sampler. The zero value is not valid (TopP and
// TypicalP must be in (0, 1]); start from DefaultParams.
type Params struct {
	// Temperature divides the logits; 0 means greedy (argmax after
	// penalties). Must be >= 0.
	Temperature float32
	// TopK keeps the K most likely tokens; 0 disables.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP; 1 disables. Must be in (0, 1].
	TopP float32
	// MinP drops tokens less likely than MinP times the most likely one;
	// 0 disables. Must be in [0, 1].
	MinP float32
	// TypicalP is locally typical sampling's mass; 1 disables. Must be in
	// (0, 1].
	TypicalP float32
	// RepeatPenalty divides positive logits and multiplies negative ones of
	// recently seen tokens; 1 disables. Must be > 0.
	RepeatPenalty float32
	// PresencePenalty is subtracted once from the logit of every recently
	// seen token; FrequencyPenalty is subtracted once per occurrence.
	PresencePenalty, FrequencyPenalty float32
	// RepeatLastN is how many accepted tokens the penalties look back over:
	// 0 disables penalties, -1 means all of them (llama.cpp's -1, the whole
	// context).
	RepeatLastN int
	// Seed seeds the random stream; equal seeds give equal draws.
	Seed uint64
}

// DefaultParams are llama.cpp's defaults (common_params_sampling), with the
// given seed.
func DefaultParams(seed uint64) Params {
	return Params{
		Temperature:   0.8,
		TopK:          40,
		TopP:          0.95,
		MinP:          0.05,
		TypicalP:      1,
		RepeatPenalty: 1,
		RepeatLastN:   64,
		Seed:          seed,
	}
}

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	finite := func(name string, v float32) error {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("sample: %s must be a finite number, got %v", name, v)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    float32
	}{
		{"temperature", p.Temperature}, {"top_p", p.TopP}, {"min_p", p.MinP}, {"typical_p", p.TypicalP},
		{"repeat_penalty", p.RepeatPenalty}, {"presence_penalty", p.PresencePenalty},
		{"frequency_penalty", p.FrequencyPenalty},
	} {
		if err := finite(f.name, f.v); err != nil {
			return err
		}
	}
	switch {
	case p.Temperature < 0:
		return fmt.Errorf("sample: temperature must be >= 0, got %v", p.Temperature)
	case p.TopK < 0:
		return fmt.Errorf("sample: top_k must be >= 0 (0 disables), got %d", p.TopK)
	case p.TopP <= 0 || p.TopP > 1:
		return fmt.Errorf("sample: top_p must be in (0, 1] (1 disables), got %v", p.TopP)
	case p.MinP < 0 || p.MinP > 1:
		return fmt.Errorf("sample: min_p must be in [0, 1] (0 disables), got %v", p.MinP)
	case p.TypicalP <= 0 || p.TypicalP > 1:
		return fmt.Errorf("sample: typical_p must be in (0, 1] (1 disables), got %v", p.TypicalP)
	case p.RepeatPenalty <= 0:
		return fmt.Errorf("sample: repeat_penalty must be > 0 (1 disables), got %v", p.RepeatPenalty)
	case p.RepeatLastN < -1:
		return fmt.Errorf("sample: repeat_last_n must be >= -1 (0 disables, -1 all), got %d", p.RepeatLastN)
	}
	return nil
}

// candidate is one token still in the running.
type candidate struct {
	id    int32
	logit float32
	p     float32
}

// Sampler draws tokens. It is not safe for concurrent use; use one per
// sequence.
type Sampler struct {
	params Params
	nVocab int
	rng    *rand.Rand

	// scratch, sized once
	cands   []candidate
	typical []typicalScore // typical sampling only
	staged  []candidate    // typical sampling only
	sortBuf []candidate    // top-p only

	// penalty history: the window of accepted tokens (a ring when
	// RepeatLastN > 0) and each token's count in it
	history []int32
	next    int // ring write position once the ring is full
	counts  []int32
}

type typicalScore struct {
	score float32
	idx   int32
}

// New returns a Sampler for a vocabulary of nVocab tokens.
func New(p Params, nVocab int) (*Sampler, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if nVocab <= 0 || nVocab > math.MaxInt32 {
		return nil, fmt.Errorf("sample: vocabulary size %d out of range", nVocab)
	}
	s := &Sampler{
		params: p,
		nVocab: nVocab,
		rng:    rand.New(rand.NewPCG(p.Seed, 0x6c6f6e67637478)),
		cands:  make([]candidate, nVocab),
	}
	if s.penaltiesOn() {
		s.counts = make([]int32, nVocab)
		if p.RepeatLastN > 0 {
			s.history = make([]int32, 0, p.RepeatLastN)
		}
	}
	if p.TopP < 1 {
		s.sortBuf = make([]candidate, nVocab)
	}
	if p.TypicalP < 1 {
		s.typical = make([]typicalScore, nVocab)
		s.staged = make([]candidate, nVocab)
	}
	return s, nil
}

// Params returns the sampler's parameters.
func (s *Sampler) Params() Params { return s.params }

// penaltiesOn mirrors llama.cpp: no window, or all three penalties neutral,
// turns the step off.
func (s *Sampler) penaltiesOn() bool {
	p := s.params
	return p.RepeatLastN != 0 && (p.RepeatPenalty != 1 || p.FrequencyPenalty != 0 || p.PresencePenalty != 0)
}

// Accept records a token as generated (or, as llama.cpp's server does, as
// part of the prompt) so the penalties see it. Out-of-vocabulary ids are
// ignored.
func (s *Sampler) Accept(tok int32) {
	if s.counts == nil || tok < 0 || int(tok) >= s.nVocab {
		return
	}
	s.counts[tok]++
	switch {
	case s.params.RepeatLastN < 0 || len(s.history) < s.params.RepeatLastN:
		s.history = append(s.history, tok)
	default:
		s.counts[s.history[s.next]]--
		s.history[s.next] = tok
		s.next = (s.next + 1) % len(s.history)
	}
}

// Reset forgets the accepted tokens; the random stream goes on.
func (s *Sampler) Reset() {
	for _, t := range s.history {
		s.counts[t] = 0
	}
	s.history = s.history[:0]
	s.next = 0
}

// Sample returns the next token for logits, which must hold one value per
// vocabulary entry (a different length is a programming error and panics).
// logits is not modified. NaN logits count as -Inf.
func (s *Sampler) Sample(logits []float32) int32 {
	if s.params.Temperature == 0 && !s.penaltiesOn() && len(logits) == s.nVocab {
		return argmaxLogits(logits)
	}
	c, greedy := s.filter(logits)
	if greedy {
		return argmax(c)
	}
	return s.draw(c)
}

// filter runs every step before the draw and returns the candidates left,
// their logits scaled by the temperature; greedy is set for temperature 0,
// when c holds all tokens with penalties applied.
func (s *Sampler) filter(logits []float32) (c []candidate, greedy bool) {
	if len(logits) != s.nVocab {
		panic(fmt.Sprintf("sample: got %d logits for a vocabulary of %d", len(logits), s.nVocab))
	}
	c = s.cands[:s.nVocab]
	for i, l := range logits {
		if l != l {
			l = float32(math.Inf(-1))
		}
		c[i] = candidate{id: int32(i), logit: l}
	}
	if s.penaltiesOn() {
		s.applyPenalties(c)
	}
	if s.params.Temperature == 0 {
		return c, true
	}
	sorted := false
	if k := s.params.TopK; k > 0 {
		c = topK(c, k)
		sorted = true
	}
	if s.params.TypicalP < 1 {
		c = s.typicalP(c, sorted)
		sorted = false
	}
	if s.params.TopP < 1 {
		c = s.topP(c, s.params.TopP, sorted)
	}
	if s.params.MinP > 0 {
		c = minP(c, s.params.MinP)
	}
	if t := s.params.Temperature; t != 1 {
		for i := range c {
			c[i].logit /= t
		}
	}
	return c, false
}

// applyPenalties is llama.cpp's penalties step on candidates still indexed
// by token id.
func (s *Sampler) applyPenalties(c []candidate) {
	p := s.params
	for _, tok := range s.history {
		n := s.counts[tok]
		if n <= 0 { // negated below: already penalised this round
			continue
		}
		l := c[tok].logit
		if l <= 0 {
			l *= p.RepeatPenalty
		} else {
			l /= p.RepeatPenalty
		}
		l -= float32(n)*p.FrequencyPenalty + p.PresencePenalty
		c[tok].logit = l
		s.counts[tok] = -n
	}
	for _, tok := range s.history {
		if s.counts[tok] < 0 {
			s.counts[tok] = -s.counts[tok]
		}
	}
}

// argmax is the greedy choice; ties go to the lowest token id.
func argmax(c []candidate) int32 {
	best := 0
	for i := 1; i < len(c); i++ {
		if c[i].logit > c[best].logit {
			best = i
		}
	}
	return c[best].id
}

// byLogitDesc orders by logit, highest first, ties by token id. Logits are
// never NaN here (Sample maps NaN to -Inf).
// argmaxLogits is argmax straight on the caller's logits, skipping NaN.
func argmaxLogits(logits []float32) int32 {
	best := 0
	for i, l := range logits {
		if l > logits[best] || logits[best] != logits[best] {
			best = i
		}
	}
	return int32(best)
}

func byLogitDesc(a, b candidate) int {
	switch {
	case a.logit > b.logit:
		return -1
	case a.logit < b.logit:
		return 1
	}
	return int(a.id - b.id)
}

// topK moves the k highest logits to the front, sorted descending, and
// returns them (all candidates, sorted, when k >= len(c)). c stays a
// permutation of its candidates.
func topK(c []candidate, k int) []candidate {
	if k >= len(c) {
		slices.SortFunc(c, byLogitDesc)
		return c
	}
	// Keep a sorted window of the best k seen so far: one pass over the
	// vocabulary, cheap for the small k samplers use.
	best := c[:k]
	slices.SortFunc(best, byLogitDesc)
	for i := k; i < len(c); i++ {
		x := c[i]
		if byLogitDesc(x, best[k-1]) >= 0 {
			continue
		}
		c[i] = best[k-1]
		j, _ := slices.BinarySearchFunc(best[:k-1], x, byLogitDesc)
		copy(best[j+1:], best[j:k-1])
		best[j] = x
	}
	return best
}

// softmax fills c[i].p; logits of -Inf get 0.
func softmax(c []candidate) {
	maxL := float32(math.Inf(-1))
	for _, x := range c {
		maxL = max(maxL, x.logit)
	}
	var sum float64
	for i := range c {
		p := math.Exp(float64(c[i].logit - maxL))
		if math.IsNaN(p) {
			p = 0
		}
		c[i].p = float32(p)
		sum += p
	}
	if !(sum > 0) { // every logit -Inf (or NaN): no probability mass at all
		for i := range c {
			c[i].p = 0
		}
		return
	}
	for i := range c {
		c[i].p = float32(float64(c[i].p) / sum)
	}
}

// typicalP is locally typical sampling: rank candidates by how far their
// surprisal is from the entropy, and keep the closest until their
// probability mass exceeds p.
func (s *Sampler) typicalP(c []candidate, sorted bool) []candidate {
	if !sorted {
		slices.SortFunc(c, byLogitDesc)
	}
	softmax(c)
	var entropy float32
	for _, x := range c {
		if x.p > 0 {
			entropy -= x.p * float32(math.Log(float64(x.p)))
		}
	}
	scores := s.typical[:len(c)]
	for i, x := range c {
		scores[i] = typicalScore{score: float32(math.Abs(-math.Log(float64(x.p)) - float64(entropy))), idx: int32(i)}
	}
	slices.SortStableFunc(scores, func(a, b typicalScore) int { return cmp.Compare(a.score, b.score) })
	var cum float32
	keep := len(scores)
	for i, sc := range scores {
		cum += c[sc.idx].p
		if cum > s.params.TypicalP {
			keep = i + 1
			break
		}
	}
	// Reorder c by score through the staging buffer.
	staged := s.staged[:keep]
	for i, sc := range scores[:keep] {
		staged[i] = c[sc.idx]
	}
	copy(c, staged)
	return c[:keep]
}

// topP keeps the shortest prefix of the candidates, sorted by probability,
// whose mass reaches p. Like llama.cpp, a large unsorted set is first tried
// with only its best topPFirstTry sorted, which usually suffices; otherwise
// it is radix-sorted.
func (s *Sampler) topP(c []candidate, p float32, sorted bool) []candidate {
	softmax(c)
	if !sorted && len(c) > 4*topPFirstTry {
		if n, ok := massPrefix(topK(c, topPFirstTry), p); ok {
			return c[:n]
		}
	}
	if !sorted {
		radixSortByLogitDesc(c, s.sortBuf[:len(c)])
	}
	n, _ := massPrefix(c, p)
	return c[:n]
}

// radixSortByLogitDesc sorts c by logit, highest first, keeping the input
// order among equal logits (LSD radix sort on the float bits, 8 bits a
// pass). buf is scratch of c's length.
func radixSortByLogitDesc(c, buf []candidate) {
	key := func(l float32) uint32 {
		if l == 0 {
			l = 0 // -0 sorts with +0
		}
		b := math.Float32bits(l)
		if b&0x80000000 != 0 {
			b = ^b
		} else {
			b |= 0x80000000
		}
		return ^b // ascending key order = descending logits
	}
	src, dst := c, buf
	for shift := 0; shift < 32; shift += 8 {
		var pos [257]int
		for _, x := range src {
			pos[(key(x.logit)>>shift)&0xff+1]++
		}
		for i := 1; i < len(pos); i++ {
			pos[i] += pos[i-1]
		}
		for _, x := range src {
			d := (key(x.logit) >> shift) & 0xff
			dst[pos[d]] = x
			pos[d]++
		}
		src, dst = dst, src
	}
	// four passes: the result is back in c
}

const topPFirstTry = 256

// massPrefix is the length of the shortest prefix of c whose probability
// reaches p, or len(c) and false if none does.
func massPrefix(c []candidate, p float32) (int, bool) {
	var cum float32
	for i, x := range c {
		cum += x.p
		if cum >= p {
			return i + 1, true
		}
	}
	return len(c), false
}

// minP keeps the candidates whose probability is at least p times the
// largest, compared in logit space as llama.cpp does; order is kept.
func minP(c []candidate, p float32) []candidate {
	maxL := float32(-math.MaxFloat32)
	for _, x := range c {
		maxL = max(maxL, x.logit)
	}
	threshold := maxL + float32(math.Log(float64(p)))
	n := 0
	for _, x := range c {
		if x.logit >= threshold {
			c[n] = x
			n++
		}
	}
	if n == 0 {
		return c
	}
	return c[:n]
}

// draw samples from the softmax of the candidates' logits.
func (s *Sampler) draw(c []candidate) int32 {
	if len(c) == 0 {
		return -1
	}
	softmax(c)
	target := s.rng.Float64()
	var run float64
	last := -1
	for i, x := range c {
		if x.p <= 0 {
			continue
		}
		last = i
		run += float64(x.p)
		if run > target {
			return x.id
		}
	}
	if last < 0 { // every logit -Inf: nothing is likelier than anything else
		return c[0].id
	}
	return c[last].id // rounding left the running sum just under target
}
