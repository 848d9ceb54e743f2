package score

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// L-Eval's closed-ended scoring (OpenLMLab/LEval Evaluation/auto_eval.py and
// em.py), quirks included: the answer extractors below turn predictions and
// references into the strings LEvalExactMatch compares.

// normalizeCased is L-Eval em.py's normalize_answer, which, unlike SQuAD's,
// does not lower-case: delete ASCII punctuation, replace the whole words
// a/an/the by a space, collapse whitespace.
func normalizeCased(s string) string {
	s = strings.Map(func(r rune) rune {
		if isASCIIPunct(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(removeArticles(s)), " ")
}

// LEvalExactMatch is em.py's exact_match_score. A reference made only of
// the letters A-D is an option answer: 1 on equality, 0.25 when the
// predicted letters are a subset of the reference's (some of several
// correct options). Otherwise both sides are compared as numbers when both
// parse, else 1 when the reference, lower-cased and without spaces, occurs
// in the prediction treated alike.
func LEvalExactMatch(pred, gold string) float64 {
	ng := normalizeCased(gold)
	options := true
	for _, r := range ng {
		if !strings.ContainsRune("ABCD", r) {
			options = false
			break
		}
	}
	if options {
		np := normalizeCased(pred)
		if np == ng {
			return 1
		}
		for _, r := range np {
			if !strings.ContainsRune(ng, r) {
				return 0
			}
		}
		return 0.25
	}
	p, errP := parsePyFloat(pred)
	g, errG := parsePyFloat(gold)
	if errP == nil && errG == nil {
		if p == g {
			return 1
		}
		return 0
	}
	squash := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "") }
	if strings.Contains(squash(pred), squash(gold)) {
		return 1
	}
	return 0
}

// parsePyFloat accepts what Python's float() accepts for ordinary numbers
// (surrounding whitespace, sign, decimals, exponents, inf, nan).
func parsePyFloat(s string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

// LEvalChoice is auto_eval.py's process_output_mc: the option letters a
// prediction picks. Single-answer tasks take the first A-D letter; Coursera
// (multi) collects a leading run of letters, or letters standing alone
// before whitespace, '.' or ')' ahead of any "Question"; with nothing found
// upstream guesses "A", and so does this. An empty prediction is "None".
func LEvalChoice(response string, multi bool) string {
	if strings.TrimSpace(response) == "" {
		return "None"
	}
	if strings.Contains("ABCD", response) {
		return response
	}
	if !multi {
		if i := strings.IndexAny(response, "ABCD"); i >= 0 {
			return response[i : i+1]
		}
		return "A"
	}
	lead := 0
	for lead < len(response) && strings.IndexByte("ABCD", response[lead]) >= 0 {
		lead++
	}
	cleaned := response[:lead]
	if len(cleaned) > 1 {
		return sortedLetters(cleaned)
	}
	rest := response[lead:]
	if i := strings.Index(rest, "Question"); i >= 0 {
		rest = rest[:i]
	}
	rs := []rune(rest)
	for i := 0; i+1 < len(rs); i++ {
		if rs[i] >= 'A' && rs[i] <= 'D' && (unicode.IsSpace(rs[i+1]) || rs[i+1] == '.' || rs[i+1] == ')') {
			cleaned += string(rs[i])
		}
	}
	cleaned = sortedLetters(cleaned)
	if cleaned == "" {
		// the first run of letters anywhere
		i := strings.IndexAny(rest, "ABCD")
		for i >= 0 && i < len(rest) && strings.IndexByte("ABCD", rest[i]) >= 0 {
			cleaned += rest[i : i+1]
			i++
		}
	}
	if cleaned == "" {
		return "A"
	}
	return cleaned
}

// sortedLetters returns the distinct letters of s in order.
func sortedLetters(s string) string {
	set := map[rune]bool{}
	for _, r := range s {
		set[r] = true
	}
	out := make([]rune, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return string(out)
}

// LEvalChoiceGold is process_gt_mc: the A-D letters of the reference's first
// word ("A" when there are none).
func LEvalChoiceGold(gold string) string {
	f := strings.Fields(gold)
	if len(f) == 0 {
		return "A"
	}
	var b strings.Builder
	for _, r := range f[0] {
		if r >= 'A' && r <= 'D' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "A"
	}
	return b.String()
}

var answerIsRe = regexp.MustCompile(`The answer is (\S+)`)

// LEvalNumber is process_math (GSM-16-shot): the token after "The answer
// is", else the last space-separated word with a digit in the first
// paragraph; then only its digits up to the first '.'.
func LEvalNumber(response string) string {
	var word string
	if m := answerIsRe.FindStringSubmatch(response); m != nil {
		word = m[1]
	} else {
		words := strings.Split(strings.SplitN(response, "\n\n", 2)[0], " ")
		for i := len(words) - 1; i >= 0 && word == ""; i-- {
			if strings.IndexFunc(words[i], unicode.IsDigit) >= 0 {
				word = words[i]
			}
		}
	}
	var b strings.Builder
	for _, r := range word {
		if unicode.IsDigit(r) {
			b.WriteRune(r)
		}
		if r == '.' {
			break
		}
	}
	return b.String()
}

var wsRunRe = regexp.MustCompile(`\s+`)

// LEvalCodeGold is process_gt_code (CodeU): whitespace collapsed, commas,
// quotes, backslashes and ".0" removed, nested-list spacing tightened.
func LEvalCodeGold(s string) string {
	s = wsRunRe.ReplaceAllString(s, " ")
	// One replacement after the other, as upstream's chained str.replace.
	for _, p := range [][2]string{{",", ""}, {"'", ""}, {`\`, ""}, {".0", ""}, {"] [", "]["}, {"[ [", "[["}, {"] ]", "]]"}} {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// LEvalCodeOutput is process_output_code: the prediction cleaned like the
// reference, filler phrases ("will be", "is", "printed"...) deleted, then
// the reference's word count plus three words, from after "the final
// output" when present, else from the end.
func LEvalCodeOutput(response, gold string) string {
	n := len(strings.Fields(gold)) + 3
	r := LEvalCodeGold(response)
	for _, filler := range []string{"will be", "of the code", "is", "would be", "the value of", "the result of", "printed"} {
		r = strings.ReplaceAll(r, filler, "")
	}
	var words []string
	if strings.Contains(r, "the final output") {
		parts := strings.Split(r, "the final output")
		words = wsRunRe.Split(parts[len(parts)-1], -1)
		words = words[:min(n, len(words))]
	} else {
		words = wsRunRe.Split(r, -1)
		words = words[max(len(words)-n, 0):]
	}
	return strings.Join(words, " ")
}
