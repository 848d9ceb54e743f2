package score

import (
	"regexp"
	"strings"
)

// KeywordsAll is NeedleBench v2's keyword hit: the fraction of keywords that
// occur in the raw prediction as case-sensitive substrings (one keyword:
// 1 or 0; the parallel multi-needle task averages its per-depth hits).
func KeywordsAll(pred string, keywords []string) float64 {
	if len(keywords) == 0 {
		return 0
	}
	hit := 0
	for _, k := range keywords {
		if strings.Contains(pred, k) {
			hit++
		}
	}
	return float64(hit) / float64(len(keywords))
}

// BoxedAnswer returns the content of the last \boxed{...} in text, braces
// balanced, with one extra pair of braces around the whole content removed
// (OpenCompass's extract_boxed_answer with strip_double_curly_brace).
func BoxedAnswer(text string) (string, bool) {
	i := strings.LastIndex(text, `\boxed{`)
	if i < 0 {
		return "", false
	}
	start := i + len(`\boxed{`)
	depth := 1
	for j := start; j < len(text); j++ {
		switch text[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				s := text[start:j]
				if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
					s = s[1 : len(s)-1]
				}
				return s, true
			}
		}
	}
	return "", false
}

var (
	latexTextRe  = regexp.MustCompile(`\\text\{([^}]+)\}`)
	latexBoxedRe = regexp.MustCompile(`\\boxed\{([^}]+)\}`)
	latexBrackRe = regexp.MustCompile(`\\[\[\]]`)
	spacesRe     = regexp.MustCompile(`\s+`)
)

// CleanATC is NeedleBench's clean_atc_answer: unwrap \text{} and \boxed{},
// drop \[ \] and backslashes, collapse whitespace, remove quotes, turn '~'
// into a space. Empty input gives "None".
func CleanATC(s string) string {
	if s == "" || s == "None" {
		return "None"
	}
	s = latexTextRe.ReplaceAllString(s, "$1")
	s = latexBoxedRe.ReplaceAllString(s, "$1")
	s = latexBrackRe.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, `\`, "")
	s = strings.TrimSpace(spacesRe.ReplaceAllString(s, " "))
	s = strings.NewReplacer(`"`, "", "'", "").Replace(s)
	return strings.ReplaceAll(s, "~", " ")
}

// BoxedMatch is NeedleBench v2's ancestral-trace score: 1 when the cleaned
// \boxed{} answer equals the gold (both trimmed), 0 when it differs or the
// prediction has no \boxed{}.
func BoxedMatch(pred, gold string) float64 {
	b, ok := BoxedAnswer(pred)
	if !ok {
		return 0
	}
	if strings.TrimSpace(CleanATC(b)) == strings.TrimSpace(gold) {
		return 1
	}
	return 0
}

var uuidRe = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// UUIDs returns the UUID-shaped strings of text in order, lower-cased.
func UUIDs(text string) []string {
	found := uuidRe.FindAllString(text, -1)
	for i, u := range found {
		found[i] = strings.ToLower(u)
	}
	return found
}

// answerUUIDs returns the UUIDs of pred that are not in ignore (the keys
// the question named, which an answer may repeat).
func answerUUIDs(pred string, ignore []string) []string {
	skip := map[string]bool{}
	for _, k := range ignore {
		skip[strings.ToLower(k)] = true
	}
	var out []string
	for _, u := range UUIDs(pred) {
		if !skip[u] {
			out = append(out, u)
		}
	}
	return out
}

// FirstUUID scores a single-value Needle Threading answer: 1 when the first
// UUID in the prediction, not counting those in ignore, is the gold. A model
// that lists every value it saw gets no credit for the right one somewhere
// in the list.
func FirstUUID(pred, gold string, ignore []string) float64 {
	u := answerUUIDs(pred, ignore)
	if len(u) > 0 && u[0] == strings.ToLower(gold) {
		return 1
	}
	return 0
}

// UUIDSetF1 scores a multi-value Needle Threading answer: the F1 of the set
// of UUIDs in the prediction (not counting those in ignore) against the gold
// set, so missing values and extra ones both cost.
func UUIDSetF1(pred string, golds, ignore []string) float64 {
	lower := make([]string, len(golds))
	for i, g := range golds {
		lower[i] = strings.ToLower(g)
	}
	return SetF1(answerUUIDs(pred, ignore), lower)
}

// SetF1 is the F1 between two sets (duplicates ignored); 0 when either is
// empty.
func SetF1(pred, gold []string) float64 {
	ps, gs := map[string]bool{}, map[string]bool{}
	for _, p := range pred {
		ps[p] = true
	}
	for _, g := range gold {
		gs[g] = true
	}
	common := 0
	for p := range ps {
		if gs[p] {
			common++
		}
	}
	if common == 0 {
		return 0
	}
	return fmeasure(float64(common)/float64(len(ps)), float64(common)/float64(len(gs)))
}
