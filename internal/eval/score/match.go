package score

import (
	"math"
	"regexp"
	"strings"
)

// RulerPostprocess is RULER's prediction clean-up: trim, turn every ASCII
// control character (0x00-0x1F) into a newline, trim again.
func RulerPostprocess(pred string) string {
	pred = strings.TrimSpace(pred)
	pred = strings.Map(func(r rune) rune {
		if r < 0x20 {
			return '\n'
		}
		return r
	}, pred)
	return strings.TrimSpace(pred)
}

// StringMatchAll is RULER's per-sample string_match_all: the fraction of
// golds that occur, case-insensitively, as substrings of the prediction.
// No golds scores 0.
func StringMatchAll(pred string, golds []string) float64 {
	if len(golds) == 0 {
		return 0
	}
	p := strings.ToLower(pred)
	hit := 0
	for _, g := range golds {
		if strings.Contains(p, strings.ToLower(g)) {
			hit++
		}
	}
	return float64(hit) / float64(len(golds))
}

// StringMatchPart is RULER's per-sample string_match_part: 1 if any gold
// occurs case-insensitively in the prediction.
func StringMatchPart(pred string, golds []string) float64 {
	p := strings.ToLower(pred)
	for _, g := range golds {
		if strings.Contains(p, strings.ToLower(g)) {
			return 1
		}
	}
	return 0
}

// FuzzRatio is fuzzywuzzy's fuzz.ratio with python-Levenshtein installed,
// divided by 100: round(100·2·LCS(a,b)/(|a|+|b|)) over code points, Python's
// round (half to even); 1 for equal strings, 0 if either is empty.
func FuzzRatio(a, b string) float64 {
	if a == b {
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	r := 2 * float64(lcsLen(ra, rb)) / float64(len(ra)+len(rb))
	return math.RoundToEven(100*r) / 100
}

// lcsLen is the length of the longest common subsequence of a and b.
func lcsLen[T comparable](a, b []T) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// CodeSim is LongBench's code_sim_score: drop leading newlines, take the
// first line that contains none of "`", "#", "//" (or "" if none), and score
// FuzzRatio(line, gold).
func CodeSim(pred, gold string) float64 {
	line := ""
	for _, l := range strings.Split(strings.TrimLeft(pred, "\n"), "\n") {
		if !strings.Contains(l, "`") && !strings.Contains(l, "#") && !strings.Contains(l, "//") {
			line = l
			break
		}
	}
	return FuzzRatio(line, gold)
}

// LevenshteinSimilarity is 1 − d/max(|a|,|b|) over code points with unit
// costs (NeedleBench v1 partial credit); two empty strings score 1.
func LevenshteinSimilarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 && len(rb) == 0 {
		return 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			sub := prev[j-1]
			if ra[i-1] != rb[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(rb)])/float64(max(len(ra), len(rb)))
}

var (
	digitsRe    = regexp.MustCompile(`\d+`)
	paragraphRe = regexp.MustCompile(`Paragraph (\d+)`)
	paragraphZh = regexp.MustCompile(`段落(\d+)`)
)

// Retrieval is LongBench's retrieval_score: the gold paragraph id is the
// number in "Paragraph N" (zh: "段落N"); the score is the share of integers
// in the prediction that equal it as strings (0 if the prediction has none,
// or the gold has no id).
func Retrieval(pred, gold string) float64 {
	m := paragraphRe.FindStringSubmatch(gold)
	if m == nil {
		m = paragraphZh.FindStringSubmatch(gold)
	}
	if m == nil {
		return 0
	}
	return shareEqual(pred, m[1])
}

// Count is LongBench's count_score: the share of integers in the
// prediction equal (as strings) to the gold.
func Count(pred, gold string) float64 {
	return shareEqual(pred, gold)
}

func shareEqual(pred, want string) float64 {
	nums := digitsRe.FindAllString(pred, -1)
	if len(nums) == 0 {
		return 0
	}
	right := 0
	for _, n := range nums {
		if n == want {
			right++
		}
	}
	return float64(right) / float64(len(nums))
}

// Classification is LongBench's classification_score: the class names that
// occur in the prediction, minus those that are a proper substring of the
// gold, score 1/#matches if the gold is among them. The removal loop skips
// the element after each removed one, as upstream's remove-while-iterating
// does, so numbers agree with published ones.
func Classification(pred, gold string, classes []string) float64 {
	var matches []string
	for _, c := range classes {
		if strings.Contains(pred, c) {
			matches = append(matches, c)
		}
	}
	for i := 0; i < len(matches); i++ {
		if m := matches[i]; strings.Contains(gold, m) && m != gold {
			matches = append(matches[:i], matches[i+1:]...)
		}
	}
	for _, m := range matches {
		if m == gold {
			return 1 / float64(len(matches))
		}
	}
	return 0
}

var (
	choiceParenRe = regexp.MustCompile(`The correct answer is \(([A-D])\)`)
	choiceBareRe  = regexp.MustCompile(`The correct answer is ([A-D])`)
)

// ChoiceLetter is LongBench v2's answer extraction: remove '*', then find
// "The correct answer is (X)" or else "The correct answer is X" with X in
// A-D (case-sensitive). ok is false when neither matches.
func ChoiceLetter(response string) (letter string, ok bool) {
	response = strings.ReplaceAll(response, "*", "")
	if m := choiceParenRe.FindStringSubmatch(response); m != nil {
		return m[1], true
	}
	if m := choiceBareRe.FindStringSubmatch(response); m != nil {
		return m[1], true
	}
	return "", false
}

// MultipleChoice scores 1 when the extracted letter equals gold.
func MultipleChoice(response, gold string) float64 {
	if l, ok := ChoiceLetter(response); ok && l == gold {
		return 1
	}
	return 0
}
