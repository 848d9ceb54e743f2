package gen

import (
	"sort"
	"strings"
)

// essayWindow returns u consecutive essay sentences starting at a random
// sentence (wrapping around), so samples of one cell differ in filler.
func (g *Generator) essayWindow(r *rng, u int) []string {
	sents := g.essay.sentences
	start := r.intn(len(sents))
	out := make([]string, u)
	for j := range out {
		out[j] = sents[(start+j)%len(sents)]
	}
	return out
}

// depthPos maps a depth in percent to a slot 0..n among n items.
func depthPos(n, depth int) int { return n * depth / 100 }

// spliceLines inserts each extra[i] as its own line before sents[pos[i]]
// (pos may repeat; n = len(sents) appends at the end). The essay sentences
// between insertions are joined by spaces, the needles stand on lines of
// their own, as NeedleBench's "\n" + needle + "\n".
func spliceLines(sents, extra []string, pos []int) string {
	type ins struct {
		pos int
		s   string
	}
	list := make([]ins, len(extra))
	for i := range extra {
		list[i] = ins{pos[i], extra[i]}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].pos < list[j].pos })
	var b strings.Builder
	prev := 0
	for _, in := range list {
		writeJoined(&b, sents[prev:in.pos], " ")
		b.WriteString("\n")
		b.WriteString(in.s)
		b.WriteString("\n")
		prev = in.pos
	}
	writeJoined(&b, sents[prev:], " ")
	return b.String()
}
