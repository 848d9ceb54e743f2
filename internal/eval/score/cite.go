package score

import (
	"regexp"
	"strconv"
	"strings"
)

// Entailer is the NLI judgement L-CiteEval gets from a model
// (tasksource/deberta-base-long-nli): do the passages, by 0-based id,
// jointly entail the claim? The harness takes it as given, so citation
// scores can be computed from any judge's labels.
type Entailer func(passages []int, claim string) bool

// CitationScore is one response's citation recall, precision and F1 (0..1)
// and the number of citations counted.
type CitationScore struct {
	Recall, Precision, F1 float64
	Citations             int
}

// CitedSentence is a response sentence split into its claim (citations
// removed) and the passages it cites (0-based, in order of appearance).
type CitedSentence struct {
	Claim string
	Refs  []int
}

var (
	citeRe       = regexp.MustCompile(`\[(\d+)`)
	citeSpacedRe = regexp.MustCompile(` \[\d+`)
	citeBareRe   = regexp.MustCompile(`\[\d+`)
)

// CitationSentences splits a response into sentences and reads their
// citations the way L-CiteEval does: every "[n" starts citation n (1-based
// in the text), and the claim is the sentence with " [n", "[n", " |" and
// "]" removed. Sentences end at '.', '!' or '?' followed by whitespace or
// the end, with any citation brackets right after the mark kept in the
// sentence (an approximation of NLTK's punkt splitter upstream uses).
func CitationSentences(response string) []CitedSentence {
	var out []CitedSentence
	add := func(s string) {
		if s = strings.TrimSpace(s); s == "" {
			return
		}
		cs := CitedSentence{}
		for _, m := range citeRe.FindAllStringSubmatch(s, -1) {
			n, err := strconv.Atoi(m[1])
			if err != nil {
				n = 0 // too many digits: treated as out of range below
			}
			cs.Refs = append(cs.Refs, n-1)
		}
		claim := citeBareRe.ReplaceAllString(citeSpacedRe.ReplaceAllString(s, ""), "")
		cs.Claim = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(claim, " |", ""), "]", ""))
		out = append(out, cs)
	}
	start := 0
	for i := 0; i < len(response); i++ {
		c := response[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for { // citation groups right after the mark, e.g. "blue. [1][2]"
			k := j
			for k < len(response) && response[k] == ' ' {
				k++
			}
			if m := citeBracket(response[k:]); m > 0 {
				j = k + m
				continue
			}
			break
		}
		if j == len(response) || response[j] == ' ' || response[j] == '\n' || response[j] == '\t' {
			add(response[start:j])
			start = j
			i = j - 1
		}
	}
	add(response[start:])
	return out
}

// citeBracket returns the length of a "[digits]" at the start of s, or 0.
func citeBracket(s string) int {
	if len(s) < 3 || s[0] != '[' {
		return 0
	}
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 1 || j >= len(s) || s[j] != ']' {
		return 0
	}
	return j + 1
}

// CitationAIS is L-CiteEval's AutoAIS citation score of one response over
// nPassages passages. A sentence is recalled when it cites at least one
// passage, all in range, and its first atMost citations (atMost <= 0: all)
// jointly entail its claim. Citation precision: a sentence's only citation
// is precise when the sentence is recalled; with several, each citation of a
// recalled sentence is precise if it alone entails the claim, or if the
// others without it no longer do (a redundant citation scores 0);
// citations of sentences not recalled score 0. Out-of-range citations are
// not counted. [0] counts as out of range (upstream would index from the
// end of the passage list).
func CitationAIS(response string, nPassages, atMost int, entails Entailer) CitationScore {
	sents := CitationSentences(response)
	if len(sents) == 0 {
		return CitationScore{}
	}
	entailed, precise, total := 0, 0, 0
	for _, s := range sents {
		ref := s.Refs
		joint := false
		inRange := len(ref) > 0
		for _, r := range ref {
			if r < 0 || r >= nPassages {
				inRange = false
			}
		}
		if inRange {
			if atMost > 0 && len(ref) > atMost {
				ref = ref[:atMost]
			}
			total += len(ref)
			joint = entails(ref, s.Claim)
		}
		if joint {
			entailed++
		}
		if !joint {
			continue
		}
		if len(ref) == 1 {
			precise++
			continue
		}
		for i, r := range ref {
			if entails([]int{r}, s.Claim) {
				precise++
				continue
			}
			rest := append(append([]int(nil), ref[:i]...), ref[i+1:]...)
			if !entails(rest, s.Claim) {
				precise++
			}
		}
	}
	cs := CitationScore{Recall: float64(entailed) / float64(len(sents)), Citations: total}
	if total > 0 {
		cs.Precision = float64(precise) / float64(total)
	}
	cs.F1 = fmeasure(cs.Precision, cs.Recall)
	return cs
}

// CitationGold is L-CiteEval's rule for tasks whose supporting passages are
// known (NIAH, Counting-Stars): recall is the share of gold passages cited,
// precision the share of distinct cited passages that are gold.
func CitationGold(cited, gold []int) CitationScore {
	cs, gs := map[int]bool{}, map[int]bool{}
	for _, c := range cited {
		cs[c] = true
	}
	for _, g := range gold {
		gs[g] = true
	}
	hit := 0
	for c := range cs {
		if gs[c] {
			hit++
		}
	}
	out := CitationScore{Citations: len(cited)}
	if len(gs) > 0 {
		out.Recall = float64(hit) / float64(len(gs))
	}
	if len(cs) > 0 {
		out.Precision = float64(hit) / float64(len(cs))
	}
	out.F1 = fmeasure(out.Precision, out.Recall)
	return out
}
