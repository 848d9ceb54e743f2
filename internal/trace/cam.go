package trace

import (
	"context"
	"math"
	"time"
)

// CAM is GATEAU's contextual-awareness measurement (Si et al. 2024) per
// segment. Two distributions over the segments are compared:
//
//   - attention a_i: one teacher-forced pass over the whole document; the
//     attention the answer-predicting rows pay each segment, averaged over
//     layers, heads, rows and the segment's tokens, normalised to sum 1;
//   - importance p_i: the answer's mean log-probability given segment i
//     alone (−log perplexity), softmaxed over the segments.
//
// A segment's score is its share of a_i·p_i (attended and needed);
// Summary["awareness"] is the cosine similarity of a and p (1 when the
// model looks where the answer comes from). GATEAU's released code does
// not fix the final normalisation; this combination is ours.
// Components["attention"] and ["importance"] hold a and p.
func CAM(ctx context.Context, b *Bound) (*Result, error) {
	start, passes0 := time.Now(), b.passes.Load()
	n := len(b.P.Segments)
	lay, err := b.layout(b.P.All())
	if err != nil {
		return nil, err
	}
	att, err := b.attention(ctx, lay)
	if err != nil {
		return nil, err
	}
	a := make([]float64, n)
	var asum float64
	for i, s := range lay.segs {
		if s.From >= s.To {
			continue
		}
		var t float64
		for _, x := range att[s.From-lay.context.From : s.To-lay.context.From] {
			t += x
		}
		a[i] = t / float64(s.To-s.From)
		asum += a[i]
	}
	logp := make([]float64, n)
	for i := range logp {
		v, err := b.Value(ctx, []int{i})
		if err != nil {
			return nil, err
		}
		logp[i] = v / float64(len(b.answer))
	}
	p := softmax(logp)
	res := newResult("cam", n)
	var dot, na, np, tot float64
	for i := range a {
		if asum > 0 {
			a[i] /= asum
		}
		res.Scores[i], res.Scored[i] = a[i]*p[i], true
		tot += res.Scores[i]
		dot += a[i] * p[i]
		na += a[i] * a[i]
		np += p[i] * p[i]
	}
	for i := range res.Scores {
		if tot > 0 {
			res.Scores[i] /= tot
		}
	}
	res.Components = map[string][]float64{"attention": a, "importance": p}
	res.Summary = map[string]float64{"awareness": dot / math.Sqrt(na*np)}
	res.Passes = int(b.passes.Load() - passes0)
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}
