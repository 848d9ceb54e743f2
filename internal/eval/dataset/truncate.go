package dataset

import (
	"strings"

	"github.com/longctx/longctx/internal/eval/gen"
)

// TruncateMiddle is LongBench's middle truncation: when text has more than
// max tokens, keep the longest prefix and the longest suffix of at most
// ⌊max/2⌋ tokens each and join them. Upstream cuts the token list and
// decodes each half; cutting the text at the matching character offsets
// gives the same text up to the token that straddles each cut. If the
// joined text still counts more than max (tokens can merge across the
// join) the halves shrink until it fits. n is text's token count before
// cutting.
func TruncateMiddle(tok gen.Tokenizer, text string, max int) (out string, n int, err error) {
	n, err = tok.Count(text)
	if err != nil || n <= max {
		return text, n, err
	}
	if max < 2 {
		return "", n, gen.ErrTooShort
	}
	half := max / 2
	for range 8 {
		pre, err := longestFit(tok, text, half, n, true)
		if err != nil {
			return "", n, err
		}
		suf, err := longestFit(tok, text, half, n, false)
		if err != nil {
			return "", n, err
		}
		out = text[:pre] + text[len(text)-suf:]
		m, err := tok.Count(out)
		if err != nil {
			return "", n, err
		}
		if m <= max {
			return out, n, nil
		}
		half -= m - max
		if half < 1 {
			break
		}
	}
	return "", n, gen.ErrTooShort
}

// longestFit returns the byte length of the longest prefix (or suffix) of
// text, cut at a rune boundary, with at most budget tokens; the whole text
// (total tokens) must not fit. The search starts from a proportional guess
// and gallops from there, so a long text takes a few probes near the answer
// before bisecting.
func longestFit(tok gen.Tokenizer, text string, budget, total int, prefix bool) (int, error) {
	offs := make([]int, 0, len(text)+1) // offs[i] = byte offset of rune i
	for i := range text {
		offs = append(offs, i)
	}
	offs = append(offs, len(text))
	nr := len(offs) - 1
	bytesOf := func(k int) int { // bytes in a part of k runes
		if prefix {
			return offs[k]
		}
		return len(text) - offs[nr-k]
	}
	fits := func(k int) (bool, error) {
		b := bytesOf(k)
		part := text[:b]
		if !prefix {
			part = text[len(text)-b:]
		}
		n, err := tok.Count(part)
		return n <= budget, err
	}
	lo, hi := 0, nr // fits(lo), !fits(hi)
	g := min(max(int(int64(nr)*int64(budget)/int64(max(total, 1))), 1), nr-1)
	step := max(nr/256, 1)
	if g > lo && g < hi {
		ok, err := fits(g)
		if err != nil {
			return 0, err
		}
		if ok {
			for lo = g; lo+step < hi; step *= 2 {
				if ok, err = fits(lo + step); err != nil {
					return 0, err
				} else if !ok {
					hi = lo + step
					break
				}
				lo += step
			}
		} else {
			for hi = g; hi-step > lo; step *= 2 {
				if ok, err = fits(hi - step); err != nil {
					return 0, err
				} else if ok {
					lo = hi - step
					break
				}
				hi -= step
			}
		}
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		ok, err := fits(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return bytesOf(lo), nil
}

// truncateWords is L-Eval's document rule: while the document has more than
// budget tokens, keep its first budget−cnt space-separated words (the last
// ones for code), cnt growing by 250 each round. The rounds only ever
// shorten the word list, so the result is the first (or last) budget−250k
// words for the smallest k that fits, found here by bisection over k.
func truncateWords(tok gen.Tokenizer, doc string, budget int, keepEnd bool) (string, int, error) {
	n, err := tok.Count(doc)
	if err != nil || n <= budget {
		return doc, n, err
	}
	words := strings.Split(doc, " ")
	cut := func(k int) string {
		keep := min(max(budget-250*k, 0), len(words))
		if keepEnd {
			return strings.Join(words[len(words)-keep:], " ")
		}
		return strings.Join(words[:keep], " ")
	}
	fits := func(k int) (bool, error) {
		m, err := tok.Count(cut(k))
		return m <= budget, err
	}
	lo, hi := 0, budget/250+1 // cut(hi) is empty and fits
	if ok, err := fits(lo); err != nil {
		return "", n, err
	} else if ok {
		return cut(lo), n, nil
	}
	for hi-lo > 1 { // cut(lo) does not fit, cut(hi) does
		mid := (lo + hi) / 2
		ok, err := fits(mid)
		if err != nil {
			return "", n, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return cut(hi), n, nil
}
