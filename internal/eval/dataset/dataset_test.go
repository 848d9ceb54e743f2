package dataset

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/longctx/longctx/internal/eval/gen"
)

// words counts whitespace-separated words: a tokenizer whose counts are
// easy to work out by hand.
type words struct{ perWord int }

func (w words) Count(s string) (int, error) { return w.perWord * len(strings.Fields(s)), nil }

// gluey counts words plus one per double space, so a middle cut's join
// costs a token and the halves must shrink.
type gluey struct{}

func (gluey) Count(s string) (int, error) {
	return len(strings.Fields(s)) + strings.Count(s, "  "), nil
}

func numbered(n int) string {
	var w []string
	for i := 1; i <= n; i++ {
		w = append(w, "w"+itoa(i))
	}
	return strings.Join(w, " ")
}

// itoa writes 1..99 as two digits, so every word has the same length.
func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestTruncateMiddle(t *testing.T) {
	text := numbered(20) // w01 ... w20
	out, n, err := TruncateMiddle(words{1}, text, 10)
	if err != nil || n != 20 || out != "w01 w02 w03 w04 w05  w16 w17 w18 w19 w20" {
		t.Fatalf("TruncateMiddle = %q, %d, %v", out, n, err)
	}
	out, _, _ = TruncateMiddle(words{1}, text, 11) // odd max: halves of 5
	if strings.Count(out, "w") != 10 {
		t.Errorf("max 11 kept %q", out)
	}
	if out, n, _ := TruncateMiddle(words{1}, text, 20); out != text || n != 20 {
		t.Error("a text that fits was cut")
	}
	// The join costs a token: halves shrink from 5 to 4.
	if out, _, err := TruncateMiddle(gluey{}, text, 10); err != nil || out != "w01 w02 w03 w04  w17 w18 w19 w20" {
		t.Errorf("gluey: %q %v", out, err)
	}
	// Bytes: 1 byte per token, two-byte runes are never split.
	out, _, _ = TruncateMiddle(gen.Estimate{BytesPerToken: 1}, strings.Repeat("é", 50), 10)
	if !utf8.ValidString(out) || out != "éééé" {
		t.Errorf("runes: %q", out)
	}
	long := strings.Repeat("abcdefgh ", 5000)
	out, _, _ = TruncateMiddle(gen.Estimate{BytesPerToken: 1}, long, 1001)
	if len(out) != 1000 || out[:500] != long[:500] || out[500:] != long[len(long)-500:] {
		t.Errorf("long text: %d bytes", len(out))
	}
	if _, _, err := TruncateMiddle(words{1}, text, 1); err == nil {
		t.Error("max 1 accepted")
	}
}

func TestTruncateWords(t *testing.T) {
	doc := numbered(2) + " " + strings.Repeat("x ", 1998) + "end"
	// One token a word: the first cut keeps 1000 words and fits.
	out, n, _ := truncateWords(words{1}, doc, 1000, false)
	if len(strings.Fields(out)) != 1000 || n != 2001 || !strings.HasPrefix(out, "w01 w02 x") {
		t.Errorf("1 token/word: %d words, from %d", len(strings.Fields(out)), n)
	}
	// Two tokens a word: 1000-250k words must be at most 500 tokens... k = 2, 500 words.
	out, _, _ = truncateWords(words{2}, doc, 1000, false)
	if len(strings.Fields(out)) != 500 {
		t.Errorf("2 tokens/word: %d words", len(strings.Fields(out)))
	}
	out, _, _ = truncateWords(words{2}, doc, 1000, true)
	if len(strings.Fields(out)) != 500 || !strings.HasSuffix(out, "x end") {
		t.Errorf("keep end: %q...", out[:20])
	}
	if out, _, _ := truncateWords(words{1}, "a b", 5, false); out != "a b" {
		t.Error("a fitting document was cut")
	}
}

func TestLongBench(t *testing.T) {
	set, err := LoadLongBench("testdata/longbench", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Tasks(); !reflect.DeepEqual(got, []string{"hotpotqa", "passage_retrieval_en_e", "trec"}) {
		t.Fatalf("tasks %q", got)
	}
	hp := set.Items("hotpotqa")[0]
	want := "Answer the question based on the given passages. Only give me the answer and do not output any other words.\n\nThe following are given passages.\n" +
		"Passage 1:\nDuskford\nDuskford is a small town on the Moravel river.\nPassage 2:\nMoravel\nThe Moravel is a {braced} river." +
		"\n\nAnswer the question based on the given passages. Only give me the answer and do not output any other words.\n\nQuestion: Which river runs through Duskford?\nAnswer:"
	if hp.Doc != want || hp.Metric != "qa_f1" || hp.MaxNew != 32 || hp.Raw || hp.ID != "hp-1" {
		t.Errorf("hotpotqa item: %+v", hp)
	}
	tr := set.Items("trec")[0]
	if !tr.Raw || tr.Metric != "first_line:classification" || !reflect.DeepEqual(tr.Extra, []string{"City", "Individual", "Distance"}) || tr.MaxNew != 64 ||
		!strings.HasSuffix(tr.Doc, "Type: Distance\nWhat city hosts the Moravel fair?") {
		t.Errorf("trec item: %+v", tr)
	}
	pr := set.Items("passage_retrieval_en_e")[0]
	if pr.Metric != "retrieval" || !strings.HasSuffix(pr.Doc, "\n\nThe answer is: ") {
		t.Errorf("LongBench-E item: %+v", pr)
	}
	for _, bad := range []string{
		`{"dataset":"nope","answers":["a"]}`,
		`{"dataset":"hotpotqa","answers":[]}`,
		`{"dataset":"trec","answers":["City"]}`,
		`{"dataset":`,
		"\n\n",
	} {
		if err := parseLongBench(newSet("longbench", Middle), []byte(bad), "hotpotqa", false); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := LoadLongBench("testdata/missing", false); err == nil {
		t.Error("missing path accepted")
	}
	// LongBench-E buckets by the length field: 24 and 8 words are both 0-4k.
	byLen, err := LoadLongBench("testdata/longbench", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := byLen.Tasks(); !reflect.DeepEqual(got, []string{"hotpotqa@0-4k", "passage_retrieval_en_e@0-4k", "trec@0-4k"}) || len(byLen.Items("hotpotqa@0-4k")) != 2 {
		t.Errorf("by length: %q", got)
	}
	for n, want := range map[int]string{3999: "0-4k", 4000: "4-8k", 7999: "4-8k", 8000: "8k+"} {
		if lengthBucket(n) != want {
			t.Errorf("lengthBucket(%d) = %s", n, lengthBucket(n))
		}
	}
}

func TestLongBench2(t *testing.T) {
	set, err := LoadLongBench2("testdata/longbench2.json", "domain")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Tasks(); !reflect.DeepEqual(got, []string{"code_repository_understanding", "single_document_qa"}) {
		t.Fatalf("tasks %q", got)
	}
	it := set.Items("single_document_qa")[0]
	want := "Please read the following text and answer the question below.\n\n<text>\nBen crossed the Moravel.\n</text>\n\n" +
		"What is the correct answer to this question: Who crossed the river?\nChoices:\n(A) Ada\n(B) Ben\n(C) Cy\n(D) Dee\n\n" +
		"Format your response as follows: \"The correct answer is (insert answer here)\"."
	if it.Doc != want || it.Metric != "choice" || it.MaxNew != 128 || !reflect.DeepEqual(it.Golds, []string{"B"}) {
		t.Errorf("item %+v", it)
	}
	for by, tasks := range map[string][]string{"difficulty": {"easy", "hard"}, "length": {"long", "short"}} {
		s, err := LoadLongBench2("testdata/longbench2.json", by)
		if err != nil || !reflect.DeepEqual(s.Tasks(), tasks) || s.Items(tasks[0])[0].Doc == "" {
			t.Errorf("by %s: %v %v", by, s.Tasks(), err)
		}
	}
	if _, err := LoadLongBench2("testdata/longbench2.json", "colour"); err == nil {
		t.Error("unknown grouping accepted")
	}
	for _, bad := range []string{`[{"answer":"E"}]`, `[]`, `{"answer":"A"`, `x`} {
		if err := parseLongBench2(newSet("longbench2", Middle), []byte(bad), "domain"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	// jsonl works too
	if err := parseLongBench2(newSet("longbench2", Middle), []byte(`{"answer":"A","domain":"Long In-context Learning"}`+"\n"), "domain"); err != nil {
		t.Error(err)
	}
}

func TestLEval(t *testing.T) {
	set, notes, err := LoadLEval("testdata/leval")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Tasks(); !reflect.DeepEqual(got, []string{"codeU", "coursera", "financial_qa"}) {
		t.Fatalf("tasks %q", got)
	}
	if len(notes) != 2 || !strings.Contains(notes[0]+notes[1], "sci_fi skipped") || !strings.Contains(notes[0]+notes[1], "financial_qa: 2 instructions skipped") {
		t.Errorf("notes %q", notes)
	}
	c := set.Items("coursera")[0]
	if c.System != levalSysCoursera || c.Head != "Document is as follows. " || c.Metric != "leval_choice_multi" ||
		c.Tail != " Question: Question 1. What does data do?\nA. Sleeps\nB. Answers questions\nC. Sings\nD. Nothing \nPlease directly give answer without any additional output or explanation\n Answer: " {
		t.Errorf("coursera %+v", c)
	}
	f := set.Items("financial_qa")
	if len(f) != 1 || f[0].Metric != "leval_f1" || f[0].System != levalSysOpen ||
		f[0].Tail != " Instruction: How much did it grow? The suggested output length is around 6 words. Output: " {
		t.Errorf("financial_qa %+v", f)
	}
	cu := set.Items("codeU")[0]
	if !cu.KeepEnd || cu.Head != "" || cu.Tail != "\n\nWhat is the output of the code?" || cu.Metric != "leval_code" {
		t.Errorf("codeU %+v", cu)
	}
	if _, err := parseLEval(newSet("leval", LEvalWords), []byte(`{"instructions":["a","b"],"outputs":["x"]}`), "quality"); err == nil {
		t.Error("mismatched instructions accepted")
	}
	// A null or empty output would be a gold every answer contains.
	if _, err := parseLEval(newSet("leval", LEvalWords), []byte(`{"input":"doc","instructions":["Which? A. x B. y"],"outputs":[null],"evaluation":"exam"}`), "coursera"); err == nil {
		t.Error("a null output accepted")
	}
}

func TestLooGLE(t *testing.T) {
	set, err := LoadLooGLE("testdata/loogle")
	if err != nil {
		t.Fatal(err)
	}
	qa := set.Items("shortdep_qa")
	if len(qa) != 2 || qa[0].Doc != "Please answer the question based on the long texts below. \nAda Quill founded Duskford in 1802.\nQuestion: Who founded Duskford?\nAnswer: " ||
		qa[0].Golds[0] != "Ada Quill, the town's founder." || qa[0].Metric != "rouge_l_recall" || qa[0].MaxNew != 300 {
		t.Errorf("shortdep_qa %+v", qa)
	}
	cz := set.Items("shortdep_cloze")[0]
	if !reflect.DeepEqual(cz.Golds, []string{"<mask-0>: Ada Quill", "<mask-1>: Ben Rowe"}) || cz.Metric != "cloze_exact" ||
		!strings.Contains(cz.Doc, "for example: {'<mask-0>': 'Bob',") || !strings.HasSuffix(cz.Doc, " Question: <mask-0> met <mask-1> in Duskford. What are the masked entities? \nAnswer:") {
		t.Errorf("cloze %+v", cz)
	}
	sm := set.Items("longdep_summarization")[0]
	if sm.Doc != "Please generate a summary of the below paper. \nWe prove a theorem about rivers.\n Summarization: " || sm.MaxNew != 500 {
		t.Errorf("summarization %+v", sm)
	}
	for _, bad := range []string{`{"qa_pairs":[{"Q":"who?","A":null}]}`, `{"qa_pairs":[{"Q":"who?","A":" "}]}`, `{"qa_pairs":"[1, 2]"}`, `{"qa_pairs":"[{'A': 'x'}]"}`, `{"qa_pairs":"[{'Q': 'x'}]"}`, `{"qa_pairs":"'unterminated"}`, `{"qa_pairs":[]}`} {
		if err := parseLooGLE(newSet("loogle", Middle), []byte(bad), "shortdep_qa"); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	// Numeric answers keep their digits, as JSON numbers or Python integers.
	for _, line := range []string{`{"input":"d","qa_pairs":[{"Q":"q","A":12345678}]}`, `{"input":"d","qa_pairs":"[{'Q': 'q', 'A': 12345678}]"}`} {
		s := newSet("loogle", Middle)
		if err := parseLooGLE(s, []byte(line), "shortdep_qa"); err != nil || s.Items("shortdep_qa")[0].Golds[0] != "12345678" {
			t.Errorf("%s: %v", line, err)
		}
	}
	if err := parseLooGLE(newSet("loogle", Middle), []byte(`{"qa_pairs":[{"Q":"q","A":"{'<mask-0>': 'x'}"}]}`), "shortdep_cloze"); err != nil {
		t.Errorf("JSON qa_pairs: %v", err)
	}
	if err := parseLooGLE(newSet("loogle", Middle), []byte(`{}`), "other"); err == nil {
		t.Error("unknown task accepted")
	}
}

func TestBoundSample(t *testing.T) {
	set, _ := LoadLongBench("testdata/longbench", false)
	b := set.Bind(words{1}, 4)
	s, err := b.Sample("hotpotqa", 200, 0)
	if err != nil || s.TruncatedFrom != 0 || s.Suite != "longbench" || s.Cell != "hotpotqa" || s.Extra != nil {
		t.Fatalf("%+v %v", s, err)
	}
	n := len(strings.Fields(set.Items("hotpotqa")[0].Doc))
	// 32 answer tokens + 4 reserved: a budget of 20 cuts the 60-word prompt.
	s, err = b.Sample("hotpotqa", 56, 0)
	if err != nil || s.TruncatedFrom != n || s.PromptTokens != 20 || !strings.HasPrefix(s.Prompt, "Answer the question") || !strings.HasSuffix(s.Prompt, "\nAnswer:") {
		t.Errorf("cut: %d tokens from %d (prompt has %d): %q %v", s.PromptTokens, s.TruncatedFrom, n, s.Prompt, err)
	}
	if _, err := b.Sample("hotpotqa", 200, 5); err == nil {
		t.Error("index out of range accepted")
	}
	lv, _, _ := LoadLEval("testdata/leval")
	it := lv.Items("financial_qa")[0]
	sys, rest := len(strings.Fields(levalSysOpen)), len(strings.Fields(it.Head+it.Tail))
	// Room for three document words: the first three are kept, instructions whole.
	s, err = lv.Bind(words{1}, 0).Sample("financial_qa", 512+sys+rest+3, 0)
	if err != nil || s.System != levalSysOpen || s.Prompt != it.Head+"The company grew"+it.Tail || s.TruncatedFrom != rest+5 || s.PromptTokens != sys+rest+3 {
		t.Errorf("leval: %+v %v", s, err)
	}
	if _, err := lv.Bind(words{1}, 0).Sample("financial_qa", 512+sys+rest-1, 0); err == nil {
		t.Error("a budget below the instructions accepted")
	}
}

// FuzzParse feeds arbitrary bytes to every loader: they return an error or
// items, never panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/longbench/hotpotqa.jsonl", "testdata/longbench2.json", "testdata/leval/coursera.jsonl", "testdata/loogle/shortdep_cloze.jsonl"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parseLongBench(newSet("longbench", Middle), b, "hotpotqa", true)
		parseLongBench2(newSet("longbench2", Middle), b, "length")
		parseLEval(newSet("leval", LEvalWords), b, "coursera")
		for _, task := range []string{"shortdep_qa", "shortdep_cloze", "longdep_summarization"} {
			parseLooGLE(newSet("loogle", Middle), b, task)
		}
	})
}

// Errors name the line of the file, blank lines counted, and a JSON array's
// errors the line they are on.
func TestErrorLines(t *testing.T) {
	good := `{"input": "x", "context": "y", "answers": ["a"]}`
	jsonl := good + "\n\n\n" + good + "\n" + `{"input": "x", "context": "y", "answers": ["a"`
	if err := parseLongBench(newSet("longbench", Middle), []byte(jsonl), "hotpotqa", false); err == nil || !strings.Contains(err.Error(), "line 5:") {
		t.Errorf("jsonl: %v", err)
	}
	arr := "[\n{\"_id\": \"1\", \"answer\": \"A\"},\n{\"_id\": \"2\", \"choice_A\": 5}\n]"
	if err := parseLongBench2(newSet("longbench2", Middle), []byte(arr), "domain"); err == nil || !strings.Contains(err.Error(), "line 3:") {
		t.Errorf("array: %v", err)
	}
}
