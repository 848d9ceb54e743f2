package runner

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/eval/gen"
)

// Rows returns a suite's task keys in report order: niah depths
// numerically, generated suites in their task order, others sorted.
func Rows(suite string, tasks map[string]map[string]float64) []string {
	rows := make([]string, 0, len(tasks))
	for t := range tasks {
		rows = append(rows, t)
	}
	order := gen.Tasks(suite)
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if da, ok := depthOf(a); ok {
			if db, ok := depthOf(b); ok {
				return da < db
			}
		}
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia >= 0 && ib >= 0 {
			return ia < ib
		}
		if (ia >= 0) != (ib >= 0) {
			return ia >= 0
		}
		return a < b
	})
	return rows
}

// Suites returns a summary's suites, generated ones first in gen order.
func Suites(s Summary) []string {
	var out []string
	for _, g := range gen.Suites() {
		if _, ok := s[g]; ok {
			out = append(out, g)
		}
	}
	var rest []string
	for k := range s {
		if !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Lengths returns the lengths a summary holds, ascending (keys that are not
// lengths are skipped).
func Lengths(s Summary) []int {
	seen := map[int]bool{}
	for _, tasks := range s {
		for _, ls := range tasks {
			for k := range ls {
				if n, err := gen.ParseLength(k); err == nil {
					seen[n] = true
				}
			}
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// WriteTable prints one block per suite: a row per task/depth, a column per
// length, scores ×100 as benchmarks publish them, and the per-length average
// over the suite's tasks (RULER's average when the suite is ruler).
func WriteTable(w io.Writer, s Summary, lengths []int) {
	for _, suite := range Suites(s) {
		fmt.Fprintf(w, "%s\n%-24s", suite, "task")
		for _, l := range lengths {
			fmt.Fprintf(w, " %8s", gen.FormatLength(l))
		}
		fmt.Fprintln(w)
		avg := map[string]*acc{}
		for _, row := range Rows(suite, s[suite]) {
			fmt.Fprintf(w, "%-24s", row)
			for _, l := range lengths {
				k := gen.FormatLength(l)
				v, ok := s[suite][row][k]
				if !ok {
					fmt.Fprintf(w, " %8s", "-")
					continue
				}
				if avg[k] == nil {
					avg[k] = &acc{}
				}
				avg[k].sum += v
				avg[k].n++
				fmt.Fprintf(w, " %8.1f", 100*v)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%-24s", "average")
		for _, l := range lengths {
			if a := avg[gen.FormatLength(l)]; a != nil {
				fmt.Fprintf(w, " %8.1f", 100*a.sum/a.n)
			} else {
				fmt.Fprintf(w, " %8s", "-")
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w)
	}
}

func depthOf(cell string) (int, bool) {
	d, ok := strings.CutPrefix(cell, "depth=")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(d)
	return n, err == nil
}
