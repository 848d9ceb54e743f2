package sample

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// five are the logits of the hand-worked examples. Their softmax is
// e^l / (e^2 + e + 1 + e^-1 + e^-2) = 0.636409, 0.234122, 0.086129,
// 0.031685, 0.011656.
var five = []float32{2, 1, 0, -1, -2}

// neutral switches every step off but the one a case sets.
func neutral() Params {
	return Params{Temperature: 1, TopP: 1, TypicalP: 1, RepeatPenalty: 1}
}

// distribution is the probability of each token after the chain, from the
// candidates the draw would see.
func distribution(t *testing.T, s *Sampler, logits []float32) []float64 {
	t.Helper()
	c, greedy := s.filter(logits)
	out := make([]float64, len(logits))
	if greedy {
		out[argmax(c)] = 1
		return out
	}
	softmax(c)
	for _, x := range c {
		out[x.id] += float64(x.p)
	}
	return out
}

func TestDistributionsByHand(t *testing.T) {
	type tc struct {
		name    string
		params  func(*Params)
		history []int32
		want    []float64
	}
	cases := []tc{
		{"plain softmax", func(p *Params) {}, nil,
			[]float64{0.636409, 0.234122, 0.086129, 0.031685, 0.011656}},
		// logits halved: e^1, e^.5, 1, e^-.5, e^-1 over their sum 6.341
		{"temperature 2", func(p *Params) { p.Temperature = 2 }, nil,
			[]float64{0.428656, 0.259993, 0.157694, 0.095646, 0.058012}},
		// e^2/(e^2+e) and e/(e^2+e)
		{"top-k 2", func(p *Params) { p.TopK = 2 }, nil,
			[]float64{0.731059, 0.268941, 0, 0, 0}},
		{"top-k larger than vocabulary", func(p *Params) { p.TopK = 50 }, nil,
			[]float64{0.636409, 0.234122, 0.086129, 0.031685, 0.011656}},
		// cumulative 0.636, 0.870 >= 0.8: two kept
		{"top-p 0.8", func(p *Params) { p.TopP = 0.8 }, nil,
			[]float64{0.731059, 0.268941, 0, 0, 0}},
		// cumulative 0.870 < 0.9, 0.957: three kept, e^l/(e^2+e+1)
		{"top-p 0.9", func(p *Params) { p.TopP = 0.9 }, nil,
			[]float64{0.665241, 0.244728, 0.090031, 0, 0}},
		// top-3 renormalised is 0.665, 0.245, 0.090; cumulative 0.910 >= 0.9
		// after two, so top-p measures mass within the top-k survivors
		{"top-k 3 then top-p 0.9", func(p *Params) { p.TopK = 3; p.TopP = 0.9 }, nil,
			[]float64{0.731059, 0.268941, 0, 0, 0}},
		// keep p >= 0.1*0.636 = 0.0636, i.e. logit >= 2 + ln 0.1 = -0.30
		{"min-p 0.1", func(p *Params) { p.MinP = 0.1 }, nil,
			[]float64{0.665241, 0.244728, 0.090031, 0, 0}},
		// min-p sees the untempered logits (keeps 3); temperature 0.5 then
		// gives e^4, e^2, e^0 over 62.99. Temperature first would keep 2.
		{"min-p 0.1 before temperature 0.5", func(p *Params) { p.MinP = 0.1; p.Temperature = 0.5 }, nil,
			[]float64{0.866813, 0.117310, 0.015876, 0, 0}},
		// entropy H = 0.99997; |-ln p - H| = 0.548, 0.452, 1.452, 2.452, 3.452.
		// By that order: token 1 (mass 0.234), then token 0 (0.870 > 0.5).
		{"typical 0.5", func(p *Params) { p.TypicalP = 0.5 }, nil,
			[]float64{0.731059, 0.268941, 0, 0, 0}},
		// token 1 alone already has 0.234 > 0.2
		{"typical 0.2", func(p *Params) { p.TypicalP = 0.2 }, nil,
			[]float64{0, 1, 0, 0, 0}},
		// token 0 seen twice: 2/1.5 - 2*0.5 - 0.25 = 0.083333;
		// token 3 once: -1*1.5 - 0.5 - 0.25 = -2.25;
		// softmax of 0.083333, 1, 0, -2.25, -2
		{"penalties", func(p *Params) {
			p.RepeatPenalty, p.FrequencyPenalty, p.PresencePenalty, p.RepeatLastN = 1.5, 0.5, 0.25, 64
		}, []int32{0, 0, 3},
			[]float64{0.215403, 0.538709, 0.198180, 0.020888, 0.026821}},
		{"greedy", func(p *Params) { p.Temperature = 0; p.TopK = 1 }, nil,
			[]float64{1, 0, 0, 0, 0}},
		// penalised logits 0.083333, 1, 0, -2.25, -2: argmax moves to token 1
		{"greedy after penalties", func(p *Params) {
			p.Temperature = 0
			p.RepeatPenalty, p.FrequencyPenalty, p.PresencePenalty, p.RepeatLastN = 1.5, 0.5, 0.25, 64
		}, []int32{0, 0, 3},
			[]float64{0, 1, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := neutral()
			c.params(&p)
			s, err := New(p, len(five))
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range c.history {
				s.Accept(tok)
			}
			got := distribution(t, s, five)
			for i := range got {
				if math.Abs(got[i]-c.want[i]) > 2e-6 {
					t.Fatalf("distribution = %.6f, want %.6f", got, c.want)
				}
			}
		})
	}
}

func TestPenaltyArithmetic(t *testing.T) {
	// llama.cpp: logit <= 0 is multiplied by the repeat penalty, > 0 divided;
	// then count*frequency + presence is subtracted.
	p := neutral()
	p.RepeatPenalty, p.FrequencyPenalty, p.PresencePenalty = 2, 0.1, 0.3
	logits := []float32{4, -3, 0, 1, 5}
	cases := []struct {
		name    string
		lastN   int
		history []int32
		want    []float32
	}{
		// token 0: 4/2 - 3*0.1 - 0.3 = 1.4; token 1: -3*2 - 0.1 - 0.3 = -6.4;
		// token 2: 0*2 - 2*0.1 - 0.3 = -0.5
		{"window holds all", 8, []int32{0, 1, 0, 2, 0, 2}, []float32{1.4, -6.4, -0.5, 1, 5}},
		// only the last 3 (0, 2, 0... here 2, 0, 2): token 0 once, token 2 twice
		{"window of 3", 3, []int32{0, 1, 0, 2, 0, 2}, []float32{1.6, -3, -0.5, 1, 5}},
		{"all history", -1, []int32{0, 1, 0, 2, 0, 2}, []float32{1.4, -6.4, -0.5, 1, 5}},
		{"window 0 disables", 0, []int32{0, 1}, []float32{4, -3, 0, 1, 5}},
		{"out of vocabulary ignored", 8, []int32{-1, 99, 4}, []float32{4, -3, 0, 1, 5/2.0 - 0.1 - 0.3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := p
			q.RepeatLastN = c.lastN
			s, err := New(q, len(logits))
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range c.history {
				s.Accept(tok)
			}
			got := make([]float32, len(logits))
			cands, _ := s.filter(logits)
			for _, x := range cands {
				got[x.id] = x.logit
			}
			for i := range got {
				if math.Abs(float64(got[i]-c.want[i])) > 1e-6 {
					t.Fatalf("penalised logits = %v, want %v", got, c.want)
				}
			}
			// a second sample sees the same counts (the pass restores them)
			cands, _ = s.filter(logits)
			for _, x := range cands {
				if math.Abs(float64(x.logit-c.want[x.id])) > 1e-6 {
					t.Fatalf("second pass logit[%d] = %v, want %v", x.id, x.logit, c.want[x.id])
				}
			}
		})
	}
}

func TestResetForgetsHistory(t *testing.T) {
	p := neutral()
	p.Temperature, p.RepeatPenalty, p.RepeatLastN = 0, 10, 4
	s, err := New(p, len(five))
	if err != nil {
		t.Fatal(err)
	}
	s.Accept(0)
	if got := s.Sample(five); got != 1 {
		t.Fatalf("with token 0 penalised, greedy = %d, want 1", got)
	}
	s.Reset()
	if got := s.Sample(five); got != 0 {
		t.Fatalf("after Reset, greedy = %d, want 0", got)
	}
}

func TestGreedyTiesAndNaN(t *testing.T) {
	s, err := New(Params{TopP: 1, TypicalP: 1, RepeatPenalty: 1}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Sample([]float32{1, 3, 3, float32(math.NaN())}); got != 1 {
		t.Errorf("tie: got %d, want lowest id 1", got)
	}
	if got := s.Sample([]float32{float32(math.NaN()), -1, float32(math.NaN()), -2}); got != 1 {
		t.Errorf("NaN logits: got %d, want 1", got)
	}
}

func TestSampleLeavesLogitsAlone(t *testing.T) {
	p := DefaultParams(1)
	p.RepeatPenalty, p.TypicalP = 1.3, 0.9
	s, err := New(p, len(five))
	if err != nil {
		t.Fatal(err)
	}
	s.Accept(0)
	logits := slices.Clone(five)
	for range 20 {
		s.Sample(logits)
	}
	if !slices.Equal(logits, five) {
		t.Errorf("logits changed to %v", logits)
	}
}

func TestSeedReproducible(t *testing.T) {
	run := func(seed uint64) []int32 {
		p := neutral()
		p.Seed = seed
		s, err := New(p, len(five))
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int32, 200)
		for i := range out {
			out[i] = s.Sample(five)
		}
		return out
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different tokens")
	}
	if slices.Equal(a, c) {
		t.Error("seeds 42 and 43 gave the same 200 tokens")
	}
}

// TestSamplingFrequencies checks the draw against the hand-computed
// distributions with a chi-square test (fixed seed, so it cannot flake).
func TestSamplingFrequencies(t *testing.T) {
	cases := []struct {
		name   string
		params func(*Params)
		want   []float64
	}{
		{"plain", func(p *Params) {}, []float64{0.636409, 0.234122, 0.086129, 0.031685, 0.011656}},
		{"min-p then temperature", func(p *Params) { p.MinP = 0.1; p.Temperature = 0.5 }, []float64{0.866813, 0.117310, 0.015876}},
		{"top-k 3", func(p *Params) { p.TopK = 3 }, []float64{0.665241, 0.244728, 0.090031}},
	}
	const n = 100000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := neutral()
			p.Seed = 7
			c.params(&p)
			s, err := New(p, len(five))
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]int, len(five))
			for range n {
				counts[s.Sample(five)]++
			}
			for i := len(c.want); i < len(five); i++ {
				if counts[i] != 0 {
					t.Fatalf("token %d drawn %d times, should be filtered out", i, counts[i])
				}
			}
			chi2 := 0.0
			for i, w := range c.want {
				e := w * n
				chi2 += (float64(counts[i]) - e) * (float64(counts[i]) - e) / e
			}
			// 99.9th percentiles of chi-square with 2 and 4 degrees of freedom
			limit := map[int]float64{3: 13.816, 5: 18.467}[len(c.want)]
			if chi2 > limit {
				t.Errorf("chi-square %.2f > %.2f; counts %v, want probabilities %v", chi2, limit, counts, c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Params)
		want string // substring of the error; "" for valid
	}{
		{"defaults", func(p *Params) {}, ""},
		{"greedy", func(p *Params) { p.Temperature = 0 }, ""},
		{"negative temperature", func(p *Params) { p.Temperature = -0.1 }, "temperature must be >= 0"},
		{"NaN temperature", func(p *Params) { p.Temperature = float32(math.NaN()) }, "temperature must be a finite number"},
		{"infinite temperature", func(p *Params) { p.Temperature = float32(math.Inf(1)) }, "temperature must be a finite number"},
		{"top_p zero", func(p *Params) { p.TopP = 0 }, "top_p must be in (0, 1]"},
		{"top_p above one", func(p *Params) { p.TopP = 1.5 }, "top_p must be in (0, 1]"},
		{"top_p negative", func(p *Params) { p.TopP = -1 }, "top_p must be in (0, 1]"},
		{"top_k negative", func(p *Params) { p.TopK = -1 }, "top_k must be >= 0"},
		{"min_p above one", func(p *Params) { p.MinP = 2 }, "min_p must be in [0, 1]"},
		{"typical zero", func(p *Params) { p.TypicalP = 0 }, "typical_p must be in (0, 1]"},
		{"repeat penalty zero", func(p *Params) { p.RepeatPenalty = 0 }, "repeat_penalty must be > 0"},
		{"repeat last n", func(p *Params) { p.RepeatLastN = -2 }, "repeat_last_n must be >= -1"},
		{"presence NaN", func(p *Params) { p.PresencePenalty = float32(math.NaN()) }, "presence_penalty must be a finite number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DefaultParams(0)
			c.mod(&p)
			_, err := New(p, 10)
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := New(DefaultParams(0), 0); err == nil {
		t.Error("New with an empty vocabulary succeeded")
	}
}

func TestSampleWrongLengthPanics(t *testing.T) {
	s, err := New(DefaultParams(0), 5)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a logits slice of the wrong length")
		}
	}()
	s.Sample(make([]float32, 4))
}

func TestTopKSelectsBest(t *testing.T) {
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = float32((i*7919)%1000) / 10 // a permutation of 0..99.9
	}
	p := neutral()
	p.TopK = 5
	s, err := New(p, len(logits))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.filter(logits)
	got := make([]float32, len(c))
	for i, x := range c {
		got[i] = x.logit
	}
	want := []float32{99.9, 99.8, 99.7, 99.6, 99.5}
	if !slices.Equal(got, want) {
		t.Errorf("top-5 logits = %v, want %v", got, want)
	}
}

// TestTopPLargeVocabulary covers top-p's first try with the best 256 and its
// fallback to a full sort, on 2000 tokens.
func TestTopPLargeVocabulary(t *testing.T) {
	const n = 2000
	peaked := make([]float32, n)
	peaked[1234] = float32(math.Log(1999 * 9)) // p = 1999*9/(1999*9 + 1999) = 0.9
	flat := make([]float32, n)                 // p = 0.0005 each: 1000 tokens for mass 0.49975
	cases := []struct {
		name   string
		logits []float32
		topP   float32
		want   func(id int) float64
	}{
		{"mass reached in the first 256", peaked, 0.85, func(id int) float64 { return float64(b2f(id == 1234)) }},
		{"needs all sorted", flat, 0.49975, func(id int) float64 { return 0.001 * float64(b2f(id < 1000)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := neutral()
			p.TopP = c.topP
			s, err := New(p, n)
			if err != nil {
				t.Fatal(err)
			}
			got := distribution(t, s, c.logits)
			for id, g := range got {
				if math.Abs(g-c.want(id)) > 1e-6 {
					t.Fatalf("p[%d] = %v, want %v", id, g, c.want(id))
				}
			}
		})
	}
}

func TestRadixSortMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := make([]candidate, 5000)
	for i := range c {
		l := float32(r.NormFloat64() * 5)
		switch i % 97 {
		case 0:
			l = float32(math.Inf(-1))
		case 1:
			l = float32(math.Copysign(0, -1))
		case 2:
			l = 0
		case 3:
			l = 1.5 // repeated values: ties keep input order
		}
		c[i] = candidate{id: int32(len(c) - i), logit: l}
	}
	want := slices.Clone(c)
	slices.SortStableFunc(want, func(a, b candidate) int { return cmp.Compare(b.logit, a.logit) })
	radixSortByLogitDesc(c, make([]candidate, len(c)))
	for i := range c {
		if c[i].id != want[i].id {
			t.Fatalf("position %d: id %d (logit %v), want id %d (logit %v)", i, c[i].id, c[i].logit, want[i].id, want[i].logit)
		}
	}
}

func b2f(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestNoAllocationPerToken(t *testing.T) {
	logits := make([]float32, 32000)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i)))
	}
	configs := map[string]Params{
		"defaults":  DefaultParams(1),
		"no top-k":  func() Params { p := DefaultParams(1); p.TopK = 0; return p }(),
		"typical":   func() Params { p := DefaultParams(1); p.TypicalP = 0.9; return p }(),
		"penalties": func() Params { p := DefaultParams(1); p.RepeatPenalty = 1.1; return p }(),
		"greedy":    func() Params { p := DefaultParams(1); p.Temperature = 0; return p }(),
	}
	for name, p := range configs {
		s, err := New(p, len(logits))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			s.Accept(int32(i))
		}
		allocs := testing.AllocsPerRun(20, func() { s.Accept(s.Sample(logits)) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations per token", name, allocs)
		}
	}
}

func BenchmarkSample(b *testing.B) {
	const nVocab = 151936 // Qwen2 vocabulary
	// peaked is shaped like a language model's output: noise plus a few
	// clear favourites; flat is top-p's worst case.
	peaked := make([]float32, nVocab)
	flat := make([]float32, nVocab)
	for i := range peaked {
		peaked[i] = float32(math.Sin(float64(i) * 0.37))
		flat[i] = peaked[i] * 2
	}
	for i := range 8 {
		peaked[i*9973] = 20 - float32(i)
	}
	topPOnly := DefaultParams(1)
	topPOnly.TopK = 0
	greedy := DefaultParams(1)
	greedy.Temperature = 0
	for _, bc := range []struct {
		name   string
		p      Params
		logits []float32
	}{
		{"greedy", greedy, peaked},
		{"defaults", DefaultParams(1), peaked},
		{"top-p-only", topPOnly, peaked},
		{"top-p-only-flat", topPOnly, flat},
	} {
		logits := bc.logits
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(bc.p, nVocab)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s.Accept(s.Sample(logits))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// With every logit -Inf there is no probability mass: sampling takes the
// first candidate, as greedy takes the lowest id.
func TestSampleAllNegativeInfinity(t *testing.T) {
	s, err := New(Params{Temperature: 1, TopP: 1, TypicalP: 1, RepeatPenalty: 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	inf := float32(math.Inf(-1))
	if got := s.Sample([]float32{inf, inf, inf}); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
}
