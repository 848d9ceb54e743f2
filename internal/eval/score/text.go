package score

import (
	"strings"
	"unicode"
)

// isASCIIPunct reports whether r is one of the 32 characters of Python's
// string.punctuation.
func isASCIIPunct(r rune) bool {
	return r < 128 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r)
}

// isWordRune reports whether r is a regex word character (\w in Python's
// Unicode mode): a letter, a digit or the underscore.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// Normalize is SQuAD v1.1's normalize_answer: lower-case, delete ASCII
// punctuation, replace the whole words a/an/the by a space, collapse
// whitespace. Unicode punctuation is kept, as upstream does.
func Normalize(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if isASCIIPunct(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(removeArticles(s)), " ")
}

// removeArticles replaces each maximal word run equal to a, an or the by a
// space, which is what the regex \b(a|an|the)\b does once punctuation is gone
// (the article must be bounded by non-word characters on both sides).
func removeArticles(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !isWordRune(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isWordRune(rs[j]) {
			j++
		}
		switch w := string(rs[i:j]); w {
		case "a", "an", "the":
			b.WriteByte(' ')
		default:
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

// ExactMatch is 1 when the normalised prediction equals the normalised gold.
func ExactMatch(pred, gold string) float64 {
	if Normalize(pred) == Normalize(gold) {
		return 1
	}
	return 0
}

// SubstringExactMatch (HELMET's SubEM) is 1 when the normalised gold occurs
// in the normalised prediction.
func SubstringExactMatch(pred, gold string) float64 {
	if strings.Contains(Normalize(pred), Normalize(gold)) {
		return 1
	}
	return 0
}

// TokenF1 is the SQuAD/LongBench qa_f1_score: F1 of the multiset overlap of
// the whitespace tokens of the normalised strings.
func TokenF1(pred, gold string) float64 {
	return tokenF1(strings.Fields(Normalize(pred)), strings.Fields(Normalize(gold)))
}

func tokenF1(pred, gold []string) float64 {
	counts := make(map[string]int, len(gold))
	for _, t := range gold {
		counts[t]++
	}
	common := 0
	for _, t := range pred {
		if counts[t] > 0 {
			counts[t]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	p := float64(common) / float64(len(pred))
	r := float64(common) / float64(len(gold))
	return 2 * p * r / (p + r)
}

// Best returns the maximum of metric(pred, g) over the golds (0 for none):
// the multi-reference rule every benchmark here uses.
func Best(metric func(pred, gold string) float64, pred string, golds []string) float64 {
	best := 0.0
	for _, g := range golds {
		if s := metric(pred, g); s > best {
			best = s
		}
	}
	return best
}
