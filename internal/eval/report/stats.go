package report

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/runner"
)

// RulerThreshold is RULER's pass mark: Llama-2-7B-chat's average at 4K,
// 85.6, on the 0..1 scale.
const RulerThreshold = 0.856

// Aggregate is a suite's RULER-style summary.
type Aggregate struct {
	Lengths []int
	// PerLength is the mean over the suite's tasks at each length (NaN
	// where no task has that length).
	PerLength []float64
	// Avg is the mean of PerLength; WAvgInc and WAvgDec weight the i-th of
	// n lengths (ascending) by i and by n+1-i, as RULER ranks models.
	Avg, WAvgInc, WAvgDec float64
	// Effective is RULER's effective length: the longest tested length whose
	// average exceeds Threshold; "<L" when even the shortest tested length L
	// does not, ">L" when the longest tested length L does (the true limit
	// lies beyond what was tested).
	Effective string
	Threshold float64
}

// AggregateOf computes the summary of one suite's {task: {length: score}}.
func AggregateOf(tasks map[string]map[string]float64, threshold float64) Aggregate {
	seen := map[int]bool{}
	for _, ls := range tasks {
		for k := range ls {
			if n, err := gen.ParseLength(k); err == nil {
				seen[n] = true
			}
		}
	}
	a := Aggregate{Threshold: threshold}
	for n := range seen {
		a.Lengths = append(a.Lengths, n)
	}
	sort.Ints(a.Lengths)
	var sum, inc, dec, wi, wd float64
	count := 0
	passed := -1
	for i, l := range a.Lengths {
		var s, n float64
		for _, ls := range tasks {
			if v, ok := ls[gen.FormatLength(l)]; ok {
				s += v
				n++
			}
		}
		m := math.NaN()
		if n > 0 {
			m = s / n
			sum += m
			count++
			inc += float64(i+1) * m
			wi += float64(i + 1)
			dec += float64(len(a.Lengths)-i) * m
			wd += float64(len(a.Lengths) - i)
			if m > threshold {
				passed = i
			}
		}
		a.PerLength = append(a.PerLength, m)
	}
	if count == 0 {
		a.Avg, a.WAvgInc, a.WAvgDec = math.NaN(), math.NaN(), math.NaN()
		return a
	}
	a.Avg, a.WAvgInc, a.WAvgDec = sum/float64(count), inc/wi, dec/wd
	switch {
	case passed < 0:
		a.Effective = "<" + gen.FormatLength(a.Lengths[0])
	case passed == len(a.Lengths)-1:
		a.Effective = ">" + gen.FormatLength(a.Lengths[passed])
	default:
		a.Effective = gen.FormatLength(a.Lengths[passed])
	}
	return a
}

// WriteAggregates prints one line per suite of s with its RULER-style
// aggregates (×100), for the terminal summary under the score table.
func WriteAggregates(w io.Writer, s runner.Summary) {
	for _, suite := range runner.Suites(s) {
		if suite == TraceSuite {
			continue // different metrics of different methods
		}
		a := AggregateOf(s[suite], RulerThreshold)
		fmt.Fprintf(w, "%-12s avg %s  wAvg(inc) %s  wAvg(dec) %s  effective length %s (threshold %.1f)\n",
			suite, pct(a.Avg), pct(a.WAvgInc), pct(a.WAvgDec), a.Effective, 100*a.Threshold)
	}
}
