package trace

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Report is a traceback ready to print: the JSON output of longctx trace.
type Report struct {
	Method   string             `json:"method"`
	Question string             `json:"question"`
	Answer   string             `json:"answer"`
	Passes   int                `json:"passes"`
	Seconds  float64            `json:"seconds"`
	Summary  map[string]float64 `json:"summary,omitempty"`
	Top      []RankedSegment    `json:"top"`
	Segments []ScoredSegment    `json:"segments"`
}

// RankedSegment is one of the top segments.
type RankedSegment struct {
	Rank    int     `json:"rank"`
	Segment int     `json:"segment"`
	Start   int     `json:"start"` // byte offsets in the document
	End     int     `json:"end"`
	Score   float64 `json:"score"`
	Text    string  `json:"text"`
}

// ScoredSegment is one segment's place in the document and its score
// (null when the method gave it none) and rank (0 when not ranked).
type ScoredSegment struct {
	Index      int                `json:"index"`
	Start      int                `json:"start"`
	End        int                `json:"end"`
	Score      *float64           `json:"score"`
	Rank       int                `json:"rank,omitempty"`
	Components map[string]float64 `json:"components,omitempty"`
}

// NewReport puts a result in reporting form with its top k segments.
func NewReport(p *Problem, r *Result, k int) *Report {
	rep := &Report{Method: r.Method, Question: p.Question, Answer: strings.TrimSpace(p.Answer),
		Passes: r.Passes, Seconds: r.Seconds, Summary: r.Summary, Top: []RankedSegment{}}
	rank := make([]int, len(p.Segments))
	for i, s := range r.Ranking() {
		rank[s] = i + 1
	}
	for i, s := range r.Top(k) {
		sg := p.Segments[s]
		rep.Top = append(rep.Top, RankedSegment{Rank: i + 1, Segment: s, Start: sg.Start, End: sg.End, Score: r.Scores[s], Text: sg.Text})
	}
	for i, s := range p.Segments {
		ss := ScoredSegment{Index: i, Start: s.Start, End: s.End, Rank: rank[i]}
		if r.Scored[i] {
			v := r.Scores[i]
			ss.Score = &v
		}
		for name, c := range r.Components {
			if ss.Components == nil {
				ss.Components = map[string]float64{}
			}
			ss.Components[name] = c[i]
		}
		rep.Segments = append(rep.Segments, ss)
	}
	return rep
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// heatColors are the ANSI 256-colour backgrounds of ranks 1.. (red to
// yellow); ranks past the list take the last.
var heatColors = []int{196, 202, 208, 214, 220}

// WriteText writes the answer, the ranked segments and, with color, the
// document with the top segments highlighted (ANSI backgrounds, the rank
// in brackets before each).
func (rep *Report) WriteText(w io.Writer, doc string, color bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "answer: %s\n", rep.Answer)
	fmt.Fprintf(&b, "method %s: %d passes, %.2f s", rep.Method, rep.Passes, rep.Seconds)
	for _, k := range sortedKeys(rep.Summary) {
		fmt.Fprintf(&b, ", %s %.4g", k, rep.Summary[k])
	}
	b.WriteString("\n")
	for _, t := range rep.Top {
		fmt.Fprintf(&b, "%2d. segment %-4d score %-11.4g %s\n", t.Rank, t.Segment, t.Score, snippet(t.Text, 100))
	}
	if color {
		b.WriteString("\n")
		for _, s := range rep.Segments {
			text := doc[s.Start:s.End]
			if s.Rank == 0 || s.Rank > len(rep.Top) {
				b.WriteString(text)
				continue
			}
			c := heatColors[min(s.Rank, len(heatColors))-1]
			// Colour each line separately so the background never spills
			// over a line break.
			fmt.Fprintf(&b, "\x1b[1m[%d]\x1b[0m", s.Rank)
			lines := strings.SplitAfter(text, "\n")
			for _, ln := range lines {
				body := strings.TrimRight(ln, "\n")
				if body != "" {
					fmt.Fprintf(&b, "\x1b[30;48;5;%dm%s\x1b[0m", c, body)
				}
				b.WriteString(ln[len(body):])
			}
		}
		if !strings.HasSuffix(doc, "\n") {
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]float64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// snippet is s on one line, cut to n runes.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// WriteHTML writes a self-contained page: the question, the answer, the
// ranking table and the document with every scored segment's background
// shaded by its score (the best in full colour, negative and unscored
// segments plain). The markup is well-formed XML as well as HTML.
func (rep *Report) WriteHTML(w io.Writer, doc string) error {
	maxScore := 0.0
	for _, s := range rep.Segments {
		if s.Score != nil {
			maxScore = math.Max(maxScore, *s.Score)
		}
	}
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>longctx trace</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; line-height: 1.5; }
#document { white-space: pre-wrap; font-family: Georgia, serif; border-top: 1px solid #ccc; padding-top: 1em; }
.seg { border-radius: 3px; }
.seg[data-rank] { outline: 1px solid rgba(200, 40, 0, 0.4); }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
dt { font-weight: bold; }
</style>
</head>
<body>
<h1>Context traceback</h1>
<dl>
`)
	fmt.Fprintf(&b, "<dt>Question</dt><dd id=\"question\">%s</dd>\n", esc(rep.Question))
	fmt.Fprintf(&b, "<dt>Answer</dt><dd id=\"answer\">%s</dd>\n", esc(rep.Answer))
	fmt.Fprintf(&b, "<dt>Method</dt><dd id=\"method\">%s (%d passes, %.2f s)</dd>\n</dl>\n", esc(rep.Method), rep.Passes, rep.Seconds)
	b.WriteString("<table id=\"ranking\">\n<thead><tr><th>Rank</th><th>Segment</th><th>Score</th><th>Text</th></tr></thead>\n<tbody>\n")
	for _, t := range rep.Top {
		fmt.Fprintf(&b, "<tr><td>%d</td><td><a href=\"#seg-%d\">%d</a></td><td>%s</td><td>%s</td></tr>\n",
			t.Rank, t.Segment, t.Segment, strconv.FormatFloat(t.Score, 'g', 5, 64), esc(snippet(t.Text, 160)))
	}
	b.WriteString("</tbody>\n</table>\n<div id=\"document\">")
	for _, s := range rep.Segments {
		fmt.Fprintf(&b, "<span class=\"seg\" id=\"seg-%d\" data-index=\"%d\"", s.Index, s.Index)
		title := "segment " + strconv.Itoa(s.Index)
		if s.Score != nil {
			fmt.Fprintf(&b, " data-score=\"%s\"", strconv.FormatFloat(*s.Score, 'g', -1, 64))
			title += ", score " + strconv.FormatFloat(*s.Score, 'g', 4, 64)
			if maxScore > 0 && *s.Score > 0 {
				fmt.Fprintf(&b, " style=\"background-color: rgba(255, 80, 0, %.3f)\"", 0.08+0.72*(*s.Score/maxScore))
			}
		}
		if s.Rank > 0 {
			fmt.Fprintf(&b, " data-rank=\"%d\"", s.Rank)
			title += ", rank " + strconv.Itoa(s.Rank)
		}
		fmt.Fprintf(&b, " title=\"%s\">%s</span>", esc(title), esc(doc[s.Start:s.End]))
	}
	b.WriteString("</div>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
