package score

import "strings"

// RougeLPltrdy is ROUGE-L F as LongBench computes it with the pltrdy `rouge`
// package (get_scores(...)["rouge-l"]["f"]): sentences are the non-empty
// pieces between '.', words are split on single spaces with no
// lower-casing, word counts are distinct-word counts, and the LCS is the
// summary-level union over sentence pairs counted as a set of word types.
// An empty hypothesis or reference scores 0 (upstream raises and LongBench
// catches it as 0).
func RougeLPltrdy(hyp, ref string) float64 {
	_, _, f := RougeLPltrdyPRF(hyp, ref)
	return f
}

// RougeLPltrdyPRF returns the precision, recall and F of RougeLPltrdy
// (LooGLE reports the recall).
func RougeLPltrdyPRF(hyp, ref string) (p, r, f float64) {
	if hyp == "" || ref == "" {
		return 0, 0, 0
	}
	hs, rs := pltrdySentences(hyp), pltrdySentences(ref)
	if len(hs) == 0 || len(rs) == 0 {
		return 0, 0, 0
	}
	hw := make([][]string, len(hs))
	for i, h := range hs {
		hw[i] = strings.Split(h, " ")
	}
	m := distinctWords(rs)
	n := distinctWords(hs)
	union := map[string]bool{}
	for _, r := range rs {
		rw := strings.Split(r, " ")
		for _, h := range hw {
			for _, w := range reconLCS(rw, h) {
				union[w] = true
			}
		}
	}
	llcs := float64(len(union))
	r = llcs / float64(m)
	p = llcs / float64(n)
	return p, r, 2 * (p * r) / (p + r + 1e-8)
}

// pltrdySentences splits on '.', keeps every non-empty piece and collapses its
// whitespace (so a whitespace-only piece becomes "").
func pltrdySentences(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ".") {
		if p != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
		}
	}
	return out
}

func distinctWords(sentences []string) int {
	set := map[string]bool{}
	for _, s := range sentences {
		for _, w := range strings.Split(s, " ") {
			set[w] = true
		}
	}
	return len(set)
}

// reconLCS returns one longest common subsequence of x (reference words) and
// y (hypothesis words), reconstructed with pltrdy's tie rule: on a tie
// between dropping from x and dropping from y, drop from y. Which LCS is
// chosen matters because the caller keeps its words as a set.
func reconLCS(x, y []string) []string {
	n, m := len(x), len(y)
	t := make([][]int, n+1)
	for i := range t {
		t[i] = make([]int, m+1)
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			if x[i-1] == y[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	out := make([]string, 0, t[n][m])
	for i, j := n, m; i > 0 && j > 0; {
		switch {
		case x[i-1] == y[j-1]:
			out = append(out, x[i-1])
			i--
			j--
		case t[i-1][j] > t[i][j-1]:
			i--
		default:
			j--
		}
	}
	return out
}
