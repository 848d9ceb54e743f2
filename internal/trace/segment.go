package trace

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Segment is one piece of the document: Text is Document[Start:End].
// Segments cover the document exactly, in order, each holding some
// non-space text; separators (spaces, line breaks) stay with the segment
// they follow.
type Segment struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Split cuts doc into segments by spec:
//
//	words:N      consecutive runs of N words (the papers' default is words:100)
//	sentence     after . ! ? (and closing quotes or brackets) followed by
//	             space, and at blank lines
//	paragraph    at blank lines
//	sep:STRING   after each occurrence of STRING (\n, \t and \\ are escapes)
func Split(doc, spec string) ([]Segment, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, fmt.Errorf("trace: the document is empty")
	}
	kind, arg, _ := strings.Cut(spec, ":")
	var cuts []int // end offsets of segments before tidying
	switch kind {
	case "words":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("trace: segment spec %q: want words:N with N >= 1", spec)
		}
		cuts = wordCuts(doc, n)
	case "sentence":
		if arg != "" {
			return nil, fmt.Errorf("trace: segment spec %q takes no argument", spec)
		}
		cuts = sentenceCuts(doc)
	case "paragraph":
		if arg != "" {
			return nil, fmt.Errorf("trace: segment spec %q takes no argument", spec)
		}
		cuts = paragraphCuts(doc)
	case "sep":
		sep := unescape(arg)
		if sep == "" {
			return nil, fmt.Errorf("trace: segment spec %q: the separator is empty", spec)
		}
		for i := 0; ; {
			j := strings.Index(doc[i:], sep)
			if j < 0 {
				break
			}
			i += j + len(sep)
			cuts = append(cuts, i)
		}
	default:
		return nil, fmt.Errorf("trace: unknown segment spec %q (want words:N, sentence, paragraph or sep:STRING)", spec)
	}
	return tidy(doc, append(cuts, len(doc))), nil
}

// tidy turns cut offsets into segments, extending each cut over the
// whitespace after it and merging pieces that hold no text into the
// segment before (or, at the start, after) them.
func tidy(doc string, cuts []int) []Segment {
	var segs []Segment
	start := 0
	for _, c := range cuts {
		if c <= start {
			continue
		}
		for c < len(doc) {
			r, size := utf8.DecodeRuneInString(doc[c:])
			if !unicode.IsSpace(r) {
				break
			}
			c += size
		}
		if strings.TrimSpace(doc[start:c]) == "" {
			if len(segs) > 0 {
				segs[len(segs)-1].End = c
				start = c
				continue
			}
			continue // leading whitespace joins the first segment
		}
		segs = append(segs, Segment{Start: start, End: c})
		start = c
	}
	if start < len(doc) { // only whitespace is left
		segs[len(segs)-1].End = len(doc)
	}
	for i := range segs {
		segs[i].Text = doc[segs[i].Start:segs[i].End]
	}
	return segs
}

// wordCuts ends a segment after every n-th word.
func wordCuts(doc string, n int) []int {
	var cuts []int
	words := 0
	inWord := false
	for i, r := range doc {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			if words > 0 && words%n == 0 {
				cuts = append(cuts, i)
			}
			words++
		}
		inWord = !space
	}
	return cuts
}

// sentenceCuts cuts after sentence-ending punctuation followed by space,
// and at blank lines.
func sentenceCuts(doc string) []int {
	var cuts []int
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRuneInString(doc[i:])
		i += size
		if r == '\n' && strings.HasPrefix(strings.TrimLeft(doc[i:], " \t\r"), "\n") {
			cuts = append(cuts, i)
			continue
		}
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		j := i
		for j < len(doc) {
			c, sz := utf8.DecodeRuneInString(doc[j:])
			if !strings.ContainsRune(`"')]»”’`, c) {
				break
			}
			j += sz
		}
		if j == len(doc) {
			continue
		}
		if next, _ := utf8.DecodeRuneInString(doc[j:]); unicode.IsSpace(next) {
			cuts = append(cuts, j)
		}
	}
	return cuts
}

// paragraphCuts cuts at blank lines.
func paragraphCuts(doc string) []int {
	var cuts []int
	for i := 0; i < len(doc); i++ {
		if doc[i] == '\n' && strings.HasPrefix(strings.TrimLeft(doc[i+1:], " \t\r"), "\n") {
			cuts = append(cuts, i+1)
		}
	}
	return cuts
}

func unescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\t`, "\t").Replace(s)
}
