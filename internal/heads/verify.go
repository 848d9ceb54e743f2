package heads

import (
	"context"
	"fmt"

	"github.com/longctx/longctx/internal/eval/score"
	"github.com/longctx/longctx/internal/trace"
	"github.com/longctx/longctx/internal/trace/observe"
)

// Check is the NIAH accuracy of the grid with some heads masked.
type Check struct {
	Label    string         `json:"label"` // "none", "top" or "random"
	Heads    []observe.Head `json:"heads"`
	Accuracy float64        `json:"accuracy"` // mean share of the gold phrases found in the answers
}

// Accuracy runs the grid greedily with mask applied (l.Mask is restored
// after) and returns the mean share of the needle's gold phrases found in
// the answers (RULER's string_match_all, as longctx eval scores NIAH).
func Accuracy(ctx context.Context, l *trace.Local, o Options, mask []observe.Head) (float64, error) {
	o, err := o.withDefaults()
	if err != nil {
		return 0, err
	}
	samples, err := Samples(l, o)
	if err != nil {
		return 0, err
	}
	saved := l.Mask
	l.Mask = mask
	defer func() { l.Mask = saved }()
	var hits float64
	for _, s := range samples {
		ids, err := l.Generate(ctx, s.Tokens, o.MaxNew)
		if err != nil {
			return 0, err
		}
		hits += score.StringMatchAll(pieces(l, ids), o.Needles[s.Needle].Golds)
	}
	return hits / float64(len(samples)), nil
}

// Verify is the causal check: NIAH accuracy with no mask, with the top
// count heads of r masked, and with count random non-retrieval heads
// masked, drawn draws times (seeds seed, seed+1, ...: with few heads one
// draw says little about random heads in general).
func Verify(ctx context.Context, l *trace.Local, r *Report, o Options, count int, seed uint64, draws int) ([]Check, error) {
	if draws < 1 {
		return nil, fmt.Errorf("heads: %d random draws (want at least 1)", draws)
	}
	checks := []Check{{Label: "none", Heads: []observe.Head{}}, {Label: "top", Heads: r.Top(count)}}
	for d := range draws {
		random, err := r.Random(count, seed+uint64(d))
		if err != nil {
			return nil, err
		}
		checks = append(checks, Check{Label: "random", Heads: random})
	}
	for i := range checks {
		var err error
		if checks[i].Accuracy, err = Accuracy(ctx, l, o, checks[i].Heads); err != nil {
			return nil, err
		}
	}
	return checks, nil
}
