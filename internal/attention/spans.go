package attention

import "github.com/longctx/longctx/internal/kv"

// addSpan appends [from, to) to a list sorted by From, merging it with the
// last span when they touch or overlap. Empty spans are dropped.
func addSpan(list []kv.Span, from, to int) []kv.Span {
	if to <= from {
		return list
	}
	if n := len(list); n > 0 && from <= list[n-1].To {
		list[n-1].To = max(list[n-1].To, to)
		return list
	}
	return append(list, kv.Span{From: from, To: to})
}

// addRuns appends the sorted positions ps as runs of consecutive
// positions.
func addRuns(list []kv.Span, ps []int) []kv.Span {
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && ps[j] == ps[j-1]+1 {
			j++
		}
		list = addSpan(list, ps[i], ps[j-1]+1)
		i = j
	}
	return list
}

// countUpTo is how many positions below end the sorted, disjoint spans
// cover.
func countUpTo(spans []kv.Span, end int) int {
	n := 0
	for _, s := range spans {
		if s.From >= end {
			break
		}
		n += min(s.To, end) - s.From
	}
	return n
}

// headSpans is a reusable set of span lists, one per query head.
type headSpans [][]kv.Span

func (h *headSpans) reset(nHead int) [][]kv.Span {
	if len(*h) != nHead {
		*h = make([][]kv.Span, nHead)
	}
	for i := range *h {
		(*h)[i] = (*h)[i][:0]
	}
	return *h
}
