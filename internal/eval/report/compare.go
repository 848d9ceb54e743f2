package report

import (
	"fmt"
	"io"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/runner"
)

// WriteCompare prints, per suite, each task's scores in run A and run B and
// the difference B−A at every length, ×100; a row of averages over the
// tasks both runs have closes each suite. Cells one run lacks show "-".
func WriteCompare(w io.Writer, a, b *Run) {
	fmt.Fprintf(w, "A: %s%s\nB: %s%s\n\n", a.Dir, describe(a), b.Dir, describe(b))
	suites := runner.Suites(merge(a.Summary, b.Summary))
	for _, suite := range suites {
		ta, tb := a.Summary[suite], b.Summary[suite]
		tasks := runner.Rows(suite, mergeTasks(ta, tb))
		lengths := runner.Lengths(runner.Summary{suite: mergeTasks(ta, tb)})
		fmt.Fprintf(w, "%-24s", suite)
		for _, l := range lengths {
			fmt.Fprintf(w, " %22s", gen.FormatLength(l))
		}
		fmt.Fprintf(w, "\n%-24s", "task")
		for range lengths {
			fmt.Fprintf(w, " %6s %6s %8s", "A", "B", "B-A")
		}
		fmt.Fprintln(w)
		sumA := make([]float64, len(lengths))
		sumB := make([]float64, len(lengths))
		n := make([]int, len(lengths))
		for _, t := range tasks {
			fmt.Fprintf(w, "%-24s", t)
			for i, l := range lengths {
				k := gen.FormatLength(l)
				va, okA := ta[t][k]
				vb, okB := tb[t][k]
				fmt.Fprintf(w, " %6s %6s", cell(va, okA), cell(vb, okB))
				if okA && okB {
					fmt.Fprintf(w, " %+8.1f", 100*(vb-va))
					sumA[i] += va
					sumB[i] += vb
					n[i]++
				} else {
					fmt.Fprintf(w, " %8s", "")
				}
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%-24s", "average (common tasks)")
		for i := range lengths {
			if n[i] == 0 {
				fmt.Fprintf(w, " %6s %6s %8s", "-", "-", "")
				continue
			}
			ma, mb := sumA[i]/float64(n[i]), sumB[i]/float64(n[i])
			fmt.Fprintf(w, " %6.1f %6.1f %+8.1f", 100*ma, 100*mb, 100*(mb-ma))
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w)
	}
}

func describe(r *Run) string {
	if r.Meta == nil {
		return ""
	}
	return " (" + r.Meta.Target + ")"
}

func cell(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100*v)
}

func merge(a, b runner.Summary) runner.Summary {
	out := runner.Summary{}
	for _, s := range []runner.Summary{a, b} {
		for k, v := range s {
			out[k] = mergeTasks(out[k], v)
		}
	}
	return out
}

func mergeTasks(a, b map[string]map[string]float64) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, m := range []map[string]map[string]float64{a, b} {
		for t, ls := range m {
			if out[t] == nil {
				out[t] = map[string]float64{}
			}
			for l, v := range ls {
				out[t][l] = v
			}
		}
	}
	return out
}
