package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.sha256")

func qaSets(t testing.TB) (*QASet, *QASet) {
	t.Helper()
	b, err := os.ReadFile("testdata/squad_tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	sq, err := ParseSQuAD(b)
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile("testdata/hotpot_tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	hp, err := ParseHotpotQA(b)
	if err != nil {
		t.Fatal(err)
	}
	return sq, hp
}

func newTestGen(t testing.TB, seed uint64) *Generator {
	sq, hp := qaSets(t)
	g, err := New(Config{Seed: seed, Tokenizer: Estimate{BytesPerToken: 4}, SQuAD: sq, HotpotQA: hp})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// allSamples is the golden set: every RULER task at 1k and 4k and a NIAH
// row, three samples each.
func allSamples(t testing.TB, g *Generator) []Sample {
	var out []Sample
	for _, length := range []int{1024, 4096} {
		for _, task := range RulerTasks() {
			for i := range 3 {
				s, err := g.Ruler(task, length, i)
				if err != nil {
					t.Fatalf("%s/%d/%d: %v", task, length, i, err)
				}
				out = append(out, s)
			}
		}
		for _, d := range []int{0, 50, 100} {
			for _, hay := range []string{"essay", "noise"} {
				s, err := g.NIAH(length, d, 1, NIAHOptions{Haystack: hay})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

func digest(t testing.TB, ss []Sample) string {
	h := sha256.New()
	for _, s := range ss {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestGoldenDigest(t *testing.T) {
	got := digest(t, allSamples(t, newTestGen(t, 42)))
	const path = "testdata/golden.sha256"
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Fatalf("samples changed: sha256 %s, golden %s (if intended, rerun with -update)", got, want)
	}
	// A fresh generator, samples requested in reverse order, gives the same bytes.
	g := newTestGen(t, 42)
	for _, task := range []string{"cwe", "niah_multikey_2"} {
		a, _ := g.Ruler(task, 4096, 2)
		b, _ := newTestGen(t, 42).Ruler(task, 4096, 2)
		if a.Prompt != b.Prompt {
			t.Errorf("%s: order-dependent output", task)
		}
	}
	if other := digest(t, allSamples(t, newTestGen(t, 43))); other == got {
		t.Error("seed 43 produced the same samples as seed 42")
	}
}

func TestSamplesFitAndContainGolds(t *testing.T) {
	g := newTestGen(t, 7)
	tok := Estimate{BytesPerToken: 4}
	for _, length := range []int{1024, 4096, 16384} {
		for _, task := range RulerTasks() {
			s, err := g.Ruler(task, length, 0)
			if err != nil {
				t.Fatalf("%s/%d: %v", task, length, err)
			}
			n, _ := tok.Count(s.Prompt + s.AnswerPrefix)
			if n != s.PromptTokens || n+s.MaxNewTokens > length {
				t.Errorf("%s/%d: %d prompt tokens (recorded %d) + %d > length", task, length, n, s.PromptTokens, s.MaxNewTokens)
			}
			// QA documents are coarse units and our QA files are tiny; the rest must fill the budget.
			if !strings.HasPrefix(task, "qa") && float64(n) < 0.9*float64(length-s.MaxNewTokens) {
				t.Errorf("%s/%d: only %d of %d tokens used", task, length, n, length-s.MaxNewTokens)
			}
			if len(s.Golds) == 0 {
				t.Errorf("%s: no golds", task)
			}
			for _, gold := range s.Golds {
				if !strings.Contains(s.Prompt, gold) {
					t.Errorf("%s/%d: gold %q not in prompt", task, length, gold)
				}
			}
		}
	}
}

func TestRulerTemplates(t *testing.T) {
	g := newTestGen(t, 1)
	s, _ := g.Ruler("niah_single_1", 2048, 0)
	if !strings.HasPrefix(s.Prompt, "A special magic number is hidden within the following text. Make sure to memorize it. I will quiz you about the number afterwards.\n") {
		t.Errorf("singular template: %.120q", s.Prompt)
	}
	if !regexp.MustCompile(`\nWhat is the special magic number for [a-z]+-[a-z]+ mentioned in the provided text\?$`).MatchString(s.Prompt) {
		t.Errorf("singular question: %q", s.Prompt[len(s.Prompt)-120:])
	}
	if !regexp.MustCompile(`^ The special magic number for [a-z]+-[a-z]+ mentioned in the provided text is$`).MatchString(s.AnswerPrefix) {
		t.Errorf("singular prefix: %q", s.AnswerPrefix)
	}
	if !regexp.MustCompile(`^[1-9][0-9]{6}$`).MatchString(s.Golds[0]) || strings.Count(s.Prompt, "One of the special magic numbers for") != 1 {
		t.Errorf("needle: golds %q", s.Golds)
	}
	if strings.Count(s.Prompt, NoiseSentences) < 10 {
		t.Error("niah_single_1 should use the noise haystack")
	}

	s, _ = g.Ruler("niah_multiquery", 4096, 0)
	if !strings.HasPrefix(s.Prompt, "Some special magic numbers are hidden") || len(s.Golds) != 4 ||
		!regexp.MustCompile(`for [a-z-]+, [a-z-]+, [a-z-]+, and [a-z-]+ mentioned`).MatchString(s.AnswerPrefix) {
		t.Errorf("multiquery: %q golds %q", s.AnswerPrefix, s.Golds)
	}
	s, _ = g.Ruler("niah_single_3", 4096, 0)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(s.Golds[0]) {
		t.Errorf("uuid gold %q", s.Golds[0])
	}
	s, _ = g.Ruler("niah_multikey_3", 4096, 0)
	if strings.Count(s.Prompt, "One of the special magic uuids for") < 20 {
		t.Error("multikey_3 haystack should be needles")
	}

	s, _ = g.Ruler("vt", 4096, 0)
	if len(s.Golds) != 5 || !strings.Contains(s.Prompt, "VAR "+s.Golds[1]+" = VAR "+s.Golds[0]) ||
		!strings.HasPrefix(s.AnswerPrefix, " Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assigned the value ") {
		t.Errorf("vt: golds %q prefix %q", s.Golds, s.AnswerPrefix)
	}

	s, _ = g.Ruler("cwe", 8192, 0)
	main := s.Prompt[strings.LastIndex(s.Prompt, "Below is a numbered list"):]
	for _, w := range s.Golds {
		if n := len(regexp.MustCompile(`\d+\. `+w+`( |\n)`).FindAllString(main, -1)); n != 30 {
			t.Errorf("cwe: common word %q appears %d times, want 30", w, n)
		}
	}

	// A tokenizer of many tokens per word cannot fit cwe's settings for
	// 4096 tokens and up (ten words 30 times each): the short lengths'
	// settings (six times each) take over instead of failing.
	dense, err := New(Config{Seed: 7, Tokenizer: Estimate{BytesPerToken: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s, err = dense.Ruler("cwe", 4096, 0)
	if err != nil {
		t.Fatalf("cwe at 4096 with 1 byte per token: %v", err)
	}
	main = s.Prompt[strings.LastIndex(s.Prompt, "Below is a numbered list"):]
	if n := len(regexp.MustCompile(`\d+\. `+s.Golds[0]+`( |\n)`).FindAllString(main, -1)); n != 6 {
		t.Errorf("cwe with the short settings: common word %q appears %d times, want 6", s.Golds[0], n)
	}

	s, _ = g.Ruler("fwe", 8192, 0)
	count := func(w string) int { return strings.Count(" "+s.Prompt+" ", " "+w+" ") }
	if c1, c2, c3 := count(s.Golds[0]), count(s.Golds[1]), count(s.Golds[2]); !(c1 > c2 && c2 > c3 && c3 > 0) {
		t.Errorf("fwe ranks 2-4 counts %d %d %d", c1, c2, c3)
	}

	s, _ = g.Ruler("qa_1", 4096, 2) // the third answerable question
	if !strings.HasSuffix(s.Prompt, "Question: When did the northern apples ripen?") || s.AnswerPrefix != " Answer:" ||
		s.Metric != "string_match_part" || !strings.Contains(s.Prompt, "Document 1:\n") {
		t.Errorf("qa_1: %q", s.Prompt[len(s.Prompt)-80:])
	}
	s, _ = g.Ruler("qa_2", 4096, 0)
	if !strings.Contains(s.Prompt, "Duskford\nDuskford is a small town. It lies on the Moravel river.") {
		t.Error("qa_2: hotpot document not rendered as title\\nsentences")
	}
}

func TestQAParseErrors(t *testing.T) {
	for _, in := range []string{``, `{"data": 3}`, `{"data": []}`} {
		if _, err := ParseSQuAD([]byte(in)); err == nil {
			t.Errorf("ParseSQuAD(%q) accepted", in)
		}
	}
	for _, in := range []string{`{}`, `[]`, `[{"question":"q","answer":"a","context":[[1,["x"]]]}]`} {
		if _, err := ParseHotpotQA([]byte(in)); err == nil {
			t.Errorf("ParseHotpotQA(%q) accepted", in)
		}
	}
	g, _ := New(Config{Tokenizer: Estimate{BytesPerToken: 4}})
	if _, err := g.Ruler("qa_1", 4096, 0); err == nil || !strings.Contains(err.Error(), "SQuAD") {
		t.Errorf("qa_1 without a file: %v", err)
	}
	if _, err := g.Ruler("nope", 4096, 0); err == nil {
		t.Error("unknown task accepted")
	}
	if _, err := g.Ruler("niah_single_2", 100, 0); err == nil {
		t.Error("length below the generation budget accepted")
	}
}

func TestNIAHDepth(t *testing.T) {
	g := newTestGen(t, 3)
	for _, d := range []int{0, 100} {
		s, err := g.NIAH(4096, d, 0, NIAHOptions{})
		if err != nil {
			t.Fatal(err)
		}
		q := "\n\n" + KamradtQuestion
		switch d {
		case 0:
			if !strings.HasPrefix(s.Prompt, KamradtNeedle+" ") {
				t.Errorf("depth 0: needle not first: %.80q", s.Prompt)
			}
		case 100:
			if !strings.Contains(s.Prompt, KamradtNeedle+q) {
				t.Error("depth 100: needle not last")
			}
		}
		if s.Cell != fmt.Sprintf("depth=%d", d) || s.System == "" {
			t.Errorf("cell %q", s.Cell)
		}
	}
	s, _ := g.NIAH(8192, 50, 0, NIAHOptions{})
	at := strings.Index(s.Prompt, KamradtNeedle)
	if frac := float64(at) / float64(len(s.Prompt)); frac < 0.45 || frac > 0.55 {
		t.Errorf("depth 50: needle at %.2f of the prompt", frac)
	}
	a, _ := g.NIAH(4096, 50, 0, NIAHOptions{})
	b, _ := g.NIAH(4096, 50, 1, NIAHOptions{})
	if a.Prompt == b.Prompt {
		t.Error("samples of one essay cell should differ")
	}
	if _, err := g.NIAH(4096, 101, 0, NIAHOptions{}); err == nil {
		t.Error("depth 101 accepted")
	}
	hg, err := New(Config{Tokenizer: Estimate{BytesPerToken: 4}, Haystack: "Alpha beta. Gamma delta!  Epsilon"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ = hg.NIAH(1024, 0, 0, NIAHOptions{})
	if !strings.Contains(s.Prompt, "Alpha beta. Gamma delta! Epsilon Alpha beta.") {
		t.Errorf("file haystack not cycled: %.200q", s.Prompt)
	}
	if _, err := New(Config{Tokenizer: Estimate{BytesPerToken: 4}, Haystack: " \n "}); err == nil {
		t.Error("blank haystack accepted")
	}
}

// TestNIAHPassKey checks the pass-key grid: RULER's niah_single_1 wording
// around a needle at the cell's depth, a new key and number per sample.
func TestNIAHPassKey(t *testing.T) {
	g := newTestGen(t, 3)
	o := NIAHOptions{Haystack: "noise", PassKey: true}
	ruler, err := g.Ruler("niah_single_1", 2048, 0)
	if err != nil {
		t.Fatal(err)
	}
	head := ruler.Prompt[:strings.Index(ruler.Prompt, "\n")+1]
	for _, d := range []int{0, 50, 100} {
		a, err := g.NIAH(2048, d, 0, o)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := g.NIAH(2048, d, 1, o)
		if len(a.Golds) != 1 || len(a.Golds[0]) != 7 || a.Golds[0] == b.Golds[0] {
			t.Fatalf("depth %d: golds %q and %q, want a new 7-digit number per sample", d, a.Golds, b.Golds)
		}
		needle := "One of the special magic numbers for "
		at := strings.Index(a.Prompt, needle)
		if at < 0 || !strings.Contains(a.Prompt[at:], "is: "+a.Golds[0]+".") {
			t.Fatalf("depth %d: no needle holding %s", d, a.Golds[0])
		}
		key := a.Prompt[at+len(needle) : at+len(needle)+strings.Index(a.Prompt[at+len(needle):], " ")]
		if !strings.HasPrefix(a.Prompt, head) || !strings.HasSuffix(a.Prompt, "What is the special magic number for "+key+" mentioned in the provided text?") ||
			a.AnswerPrefix != " The special magic number for "+key+" mentioned in the provided text is" || a.System != "" {
			t.Errorf("depth %d: not RULER's wording: %.120q ... %q, prefix %q", d, a.Prompt, a.Prompt[len(a.Prompt)-120:], a.AnswerPrefix)
		}
		frac := float64(at-len(head)) / float64(len(a.Prompt)-len(head))
		if want := float64(d) / 100; frac < want-0.06 || frac > want+0.06 {
			t.Errorf("depth %d: needle at %.2f of the context", d, frac)
		}
		if a.Cell != fmt.Sprintf("depth=%d", d) || a.Depth != d {
			t.Errorf("depth %d: cell %q, depth %d", d, a.Cell, a.Depth)
		}
	}
}

func TestLengthsAndEstimate(t *testing.T) {
	for in, want := range map[string]int{"4096": 4096, "4k": 4096, "128K": 131072, " 1m": 1 << 20} {
		if got, err := ParseLength(in); err != nil || got != want {
			t.Errorf("ParseLength(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "k", "-1", "0", "1.5k", "99999999999k"} {
		if _, err := ParseLength(in); err == nil {
			t.Errorf("ParseLength(%q) accepted", in)
		}
	}
	if FormatLength(131072) != "128k" || FormatLength(1000) != "1000" {
		t.Error("FormatLength")
	}
	if n, _ := (Estimate{BytesPerToken: 4}).Count("abcdefghi"); n != 3 {
		t.Errorf("Estimate = %d, want ceil(9/4) = 3", n)
	}
	if !strings.Contains(Estimate{BytesPerToken: 3.5}.String(), "estimated") {
		t.Error("Estimate must say it is an estimate")
	}
}

func TestRNG(t *testing.T) {
	r := newRNG(1, "x")
	seen := map[int]bool{}
	for _, v := range r.sample(10, 10) {
		seen[v] = true
	}
	if len(seen) != 10 {
		t.Error("sample(10,10) is not a permutation")
	}
	counts := make([]int, 3)
	for range 30000 {
		counts[r.intn(3)]++
	}
	for _, c := range counts {
		if c < 9500 || c > 10500 {
			t.Errorf("intn(3) counts %v", counts)
		}
	}
}

// BenchmarkRuler128K generates the 13 RULER tasks at 128K tokens × 100
// samples (the target: under 30 s on 2 cores), tasks in parallel,
// fitted with the byte estimate (Estimate), the fast path for endpoints
// without a tokenizer. With a real tokenizer every prompt is tokenized in
// full at least once, so the time is that of the tokenizer
// (BenchmarkRulerRealTokenizer measures it); the QA tasks use the tiny test
// files, whose few documents cannot fill 128K.
func BenchmarkRuler128K(b *testing.B) {
	for range b.N {
		g := newTestGen(b, 42)
		tasks := RulerTasks()
		errs := make(chan error, len(tasks))
		sem := make(chan struct{}, 2)
		bytes := make(chan int, len(tasks))
		for _, task := range tasks {
			go func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				n := 0
				for i := range 100 {
					s, err := g.Ruler(task, 131072, i)
					if err != nil {
						errs <- err
						return
					}
					n += len(s.Prompt)
				}
				bytes <- n
				errs <- nil
			}()
		}
		total := 0
		for range tasks {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			total += <-bytes
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(len(tasks)*100)/b.Elapsed().Seconds(), "samples/s")
	}
}

// constCount is a tokenizer whose counts never grow (a server that
// ignores the text it is sent).
type constCount struct{}

func (constCount) Count(string) (int, error) { return 1, nil }

// Broken counts end the fitting quickly with an error, not after
// building prompts of gigabytes.
func TestFitRejectsCountsThatDoNotGrow(t *testing.T) {
	g, err := New(Config{Seed: 1, Tokenizer: constCount{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Ruler("niah_single_1", 1024, 0); err == nil || !strings.Contains(err.Error(), "does not grow") {
		t.Errorf("got %v", err)
	}
}

// A QA item without a gold (or, in HotpotQA, without a context) is refused
// when the file loads: an empty gold is in every answer.
func TestQARejectsEmptyGolds(t *testing.T) {
	for _, c := range []struct {
		parse func([]byte) (*QASet, error)
		data  string
	}{
		{ParseSQuAD, `{"data":[{"paragraphs":[{"context":"c","qas":[{"question":"q","answers":[{"answer_start":1}]}]}]}]}`},
		{ParseHotpotQA, `[{"question":"who?","answer":"","context":[["t",["Ada is here."]]]}]`},
		{ParseHotpotQA, `[{"question":"who?","answer":"Ada"}]`},
	} {
		if _, err := c.parse([]byte(c.data)); err == nil {
			t.Errorf("accepted %s", c.data)
		}
	}
}
