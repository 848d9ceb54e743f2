package trace

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
)

func TestHit(t *testing.T) {
	r := newResult("x", 6)
	for i, s := range []float64{0.1, 0.5, 0.3, 0.9, 0.2, 0} {
		r.Scores[i], r.Scored[i] = s, i != 5
	}
	// Ranking: 3, 1, 2, 4, 0.
	for _, tc := range []struct {
		gold   []int
		k      int
		top1   bool
		recall float64
	}{
		{[]int{3}, 1, true, 1},
		{[]int{1}, 1, false, 0},
		{[]int{1, 0}, 2, false, 0.5},
		{[]int{2, 3}, 3, true, 1},
		{[]int{5}, 5, false, 0}, // unscored segments are never retrieved
	} {
		top1, rec := Hit(r, tc.gold, tc.k)
		if top1 != tc.top1 || rec != tc.recall {
			t.Errorf("gold %v @%d: %v %g, want %v %g", tc.gold, tc.k, top1, rec, tc.top1, tc.recall)
		}
	}
}

var factRE = regexp.MustCompile(`The [a-z ]+ of [A-Z][a-z]+ is [^ .]+\.`)

func TestBenchCases(t *testing.T) {
	e := defaultEngine(t)
	o := BenchOptions{Lengths: []int{300}, Cases: 2, Segment: "sentence"}
	cases, err := BenchCases(e.Tokenizer, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 8 {
		t.Fatalf("%d cases, want 4 kinds x 2", len(cases))
	}
	for _, c := range cases {
		p := c.Problem
		if math.Abs(float64(c.Tokens-300)) > 60 {
			t.Errorf("%s case %d: %d tokens for a 300-token length", c.Kind, c.Index, c.Tokens)
		}
		var src strings.Builder
		for _, g := range c.Gold {
			src.WriteString(p.Segments[g].Text)
		}
		answer := strings.TrimSpace(p.Answer)
		switch c.Kind {
		case "needle", "distract":
			if len(c.Gold) != 1 || !strings.Contains(src.String(), " is "+answer+".") {
				t.Errorf("%s source %q lacks the answer %q", c.Kind, src.String(), answer)
			}
			if n := len(factRE.FindAllString(p.Document, -1)); c.Kind == "needle" && n != 1 {
				t.Errorf("needle document has %d facts: %q", n, p.Document)
			}
		case "multi":
			if !strings.Contains(src.String(), " lives in ") || !strings.Contains(src.String(), "The mayor of ") || !strings.Contains(src.String(), answer) {
				t.Errorf("multi sources %q", src.String())
			}
		case "inject":
			if len(c.Gold) != 1 || !strings.HasPrefix(src.String(), "IMPORTANT: ") || !strings.Contains(src.String(), answer) || strings.Count(p.Document, answer) != 1 {
				t.Errorf("inject source %q, code %q", src.String(), answer)
			}
		}
	}
	again, _ := BenchCases(e.Tokenizer, o)
	for i := range cases {
		if again[i].Problem.Document != cases[i].Problem.Document || again[i].Problem.Answer != cases[i].Problem.Answer {
			t.Fatal("bench cases are not reproducible")
		}
	}
	for _, bad := range []BenchOptions{{Kinds: []string{"poison"}}, {Methods: []string{"lime"}}, {Lengths: []int{10}}, {Cases: -1}} {
		if _, err := BenchCases(e.Tokenizer, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
}

func TestBenchRuns(t *testing.T) {
	e := defaultEngine(t)
	l := &Local{Model: e.Model, Tok: e.Tokenizer}
	o := BenchOptions{Lengths: []int{200}, Cases: 1, Methods: []string{"attntrace", "stc"}, Segment: "words:30", K: 2,
		AttnTrace: AttnTraceOptions{Rounds: 2}}
	calls := 0
	rows, err := Bench(context.Background(), l, o, func(done, total int, c BenchCase, r *Result) {
		calls++
		if total != 8 || done != calls {
			t.Fatalf("progress %d/%d", done, total)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Cases != 1 || r.PrecisionAt1 < 0 || r.PrecisionAt1 > 1 || r.RecallAtK < 0 || r.RecallAtK > 1 || r.PassesPerTrace < 1 || r.K != 2 {
			t.Fatalf("row %+v", r)
		}
		if r.Method == "attntrace" && r.PassesPerTrace != 2 {
			t.Fatalf("attntrace with 2 rounds ran %g passes", r.PassesPerTrace)
		}
	}
	var buf bytes.Buffer
	WriteBenchTable(&buf, rows)
	if lines := strings.Count(buf.String(), "\n"); lines != 9 || !strings.Contains(buf.String(), "attntrace") {
		t.Fatalf("table:\n%s", buf.String())
	}
}
