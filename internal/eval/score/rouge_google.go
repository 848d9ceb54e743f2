package score

import (
	"math"
	"strings"
)

// googleTokens is the tokenizer of Google's rouge_score package (used by
// L-Eval, HELMET and ALCE) without stemming: lower-case, every run of
// characters outside [a-z0-9] becomes a separator. Non-ASCII letters are
// therefore dropped, as upstream does.
func googleTokens(s string) []string {
	s = strings.ToLower(s)
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// fmeasure is rouge_score's scoring.fmeasure: 0 when both are 0.
func fmeasure(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// RougeNGoogle is rouge_score's rouge-N F-measure (no stemming): the
// multiset overlap of the n-grams of the two token lists.
func RougeNGoogle(pred, ref string, n int) float64 {
	pt, rt := googleTokens(pred), googleTokens(ref)
	ref1 := ngramCounts(rt, n)
	pred1 := ngramCounts(pt, n)
	overlap, np, nr := 0, 0, 0
	for g, c := range ref1 {
		nr += c
		overlap += min(c, pred1[g])
	}
	for _, c := range pred1 {
		np += c
	}
	if np == 0 || nr == 0 {
		return 0
	}
	return fmeasure(float64(overlap)/float64(np), float64(overlap)/float64(nr))
}

func ngramCounts(tokens []string, n int) map[string]int {
	out := map[string]int{}
	for i := 0; i+n <= len(tokens); i++ {
		out[strings.Join(tokens[i:i+n], " ")]++
	}
	return out
}

// RougeLGoogle is rouge_score's sentence-level rougeL F-measure (no
// stemming): the LCS of the whole token lists.
func RougeLGoogle(pred, ref string) float64 {
	pt, rt := googleTokens(pred), googleTokens(ref)
	if len(pt) == 0 || len(rt) == 0 {
		return 0
	}
	l := float64(lcsLen(rt, pt))
	return fmeasure(l/float64(len(pt)), l/float64(len(rt)))
}

// LEvalRouge is L-Eval's n-gram score for one answer: the geometric mean of
// rouge_score's ROUGE-1, ROUGE-2 and ROUGE-L F-measures. L-Eval takes the
// geometric mean of the three dataset averages instead, which is never lower
// than the mean of this per-sample value, so compare trends, not digits.
func LEvalRouge(pred, ref string) float64 {
	r1, r2, rl := RougeNGoogle(pred, ref, 1), RougeNGoogle(pred, ref, 2), RougeLGoogle(pred, ref)
	return math.Cbrt(r1 * r2 * rl)
}
