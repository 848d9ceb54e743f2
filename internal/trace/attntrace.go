package trace

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// AttnTraceOptions are AttnTrace's knobs; zero values take the paper's
// defaults.
type AttnTraceOptions struct {
	TopTokens int     // K: a segment's score in a pass is the mean of its K highest token scores (5)
	Fraction  float64 // ρ: share of segments kept per pass (0.4)
	Rounds    int     // B: subsampled passes (30)
	Seed      uint64
	// Workers is how many rounds run at once (0: as many as the backend
	// runs well). It changes the time, never the scores.
	Workers int `json:"-"`
}

func (o AttnTraceOptions) withDefaults() (AttnTraceOptions, error) {
	if o.TopTokens == 0 {
		o.TopTokens = 5
	}
	if o.Fraction == 0 {
		o.Fraction = 0.4
	}
	if o.Rounds == 0 {
		o.Rounds = 30
	}
	if o.TopTokens < 1 || o.Rounds < 1 || !(o.Fraction > 0 && o.Fraction <= 1) {
		return o, fmt.Errorf("trace: AttnTrace needs top tokens >= 1, rounds >= 1 and a fraction in (0, 1], got %d, %d, %g", o.TopTokens, o.Rounds, o.Fraction)
	}
	return o, nil
}

// AttnTrace ranks segments by the attention the answer pays them
// (Wang et al. 2025). Each round keeps a seeded random ⌊ρ·n⌋ of the
// segments (at least one, in document order), teacher-forces the answer,
// averages each document token's attention over all layers, heads and the
// rows that predict answer tokens, and scores each kept segment by the
// mean of its K best tokens; a segment's score is its mean over the rounds
// that kept it. With ρ = 1 every round is the same, so one is run.
//
// Unlike the reference code, the prompt is tokenized in one piece with one
// BOS, and the rows are exactly those predicting answer tokens (the
// reference also includes the last answer token's own row).
func AttnTrace(ctx context.Context, b *Bound, o AttnTraceOptions) (*Result, error) {
	if o.Workers == 0 {
		o.Workers = b.concurrency()
	}
	return attnTrace(ctx, b, len(b.P.Segments), o)
}

// attentionSource is what AttnTrace needs from a model: the token layout
// of a subset of the segments and the attention its answer pays each
// document token.
type attentionSource interface {
	layout(keep []int) (layout, error)
	attention(ctx context.Context, lay layout) ([]float64, error)
}

func attnTrace(ctx context.Context, b attentionSource, n int, o AttnTraceOptions) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	keepN := max(1, int(o.Fraction*float64(n)))
	rounds := o.Rounds
	if keepN == n {
		rounds = 1
	}
	r := newRNG(o.Seed, "attntrace")
	keeps := make([][]int, rounds)
	for round := range keeps {
		keeps[round] = r.perm(n)[:keepN]
		sort.Ints(keeps[round])
	}
	// Rounds run concurrently; their scores are added in round order, so
	// the sums do not depend on the schedule.
	lays := make([]layout, rounds)
	atts := make([][]float64, rounds)
	err = forEach(ctx, rounds, o.Workers, func(round int) error {
		lay, err := b.layout(keeps[round])
		if err != nil {
			return err
		}
		lays[round] = lay
		atts[round], err = b.attention(ctx, lay)
		return err
	})
	if err != nil {
		return nil, err
	}
	sum := make([]float64, n)
	cnt := make([]int, n)
	for round, keep := range keeps {
		lay, att := lays[round], atts[round]
		for k, i := range keep {
			s := lay.segs[k]
			if s.From >= s.To {
				continue
			}
			sum[i] += topMean(att[s.From-lay.context.From:s.To-lay.context.From], o.TopTokens)
			cnt[i]++
		}
	}
	res := newResult("attntrace", n)
	for i := range sum {
		if cnt[i] > 0 {
			res.Scores[i], res.Scored[i] = sum[i]/float64(cnt[i]), true
		}
	}
	res.Passes = rounds
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// topMean is the mean of the k largest values (all of them when fewer).
func topMean(x []float64, k int) float64 {
	s := append([]float64(nil), x...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	s = s[:min(k, len(s))]
	var t float64
	for _, v := range s {
		t += v
	}
	return t / float64(len(s))
}
