package score

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestRougeGoogle(t *testing.T) {
	if got := googleTokens("Hello, WORLD! café_x2"); !reflect.DeepEqual(got, []string{"hello", "world", "caf", "x2"}) {
		t.Errorf("googleTokens = %q", got)
	}
	pred, ref := "the cat sat on the mat", "the cat is on the mat"
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		// unigrams: the×2, cat, on, mat shared = 5 of 6 on each side.
		{"rouge1", RougeNGoogle(pred, ref, 1), 5.0 / 6},
		// bigrams shared: "the cat", "on the", "the mat" = 3 of 5.
		{"rouge2", RougeNGoogle(pred, ref, 2), 0.6},
		// LCS "the cat on the mat" = 5 of 6.
		{"rougeL", RougeLGoogle(pred, ref), 5.0 / 6},
		{"leval geometric mean", LEvalRouge(pred, ref), math.Cbrt(5.0 / 6 * 0.6 * 5.0 / 6)},
		// pred "a b" ref "a b c d": P 1, R 1/2.
		{"rouge1 unequal", RougeNGoogle("A b", "a b c d", 1), 2 * 0.5 / 1.5},
		{"empty pred", RougeNGoogle("", "x", 1), 0},
		{"only punctuation", RougeLGoogle("!!", "x"), 0},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// pltrdy recall: ref distinct {a} (1), hyp {a, b} (2), LCS {a}.
	if p, r, _ := RougeLPltrdyPRF("a a b", "a a"); !near(p, 0.5) || !near(r, 1) {
		t.Errorf("RougeLPltrdyPRF P %v R %v", p, r)
	}
}

func TestNeedleScores(t *testing.T) {
	const u1, u2, u3 = "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "00000000-0000-4000-8000-000000000000", "ffffffff-ffff-4fff-bfff-ffffffffffff"
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"keywords case-sensitive", KeywordsAll("Alpha and beta", []string{"Alpha", "Beta"}), 0.5},
		{"keywords none", KeywordsAll("x", nil), 0},
		{"boxed text", BoxedMatch(`So it is \boxed{\text{Kevin Le}}.`, "Kevin Le"), 1},
		{"boxed last wins", BoxedMatch(`\boxed{A B} no, \boxed{{Jasmine Lane}}`, "Jasmine Lane"), 1},
		{"boxed wrong", BoxedMatch(`\boxed{Kevin}`, "Kevin Le"), 0},
		{"no boxed", BoxedMatch("Kevin Le", "Kevin Le"), 0},
		{"first uuid upper-case", FirstUUID("value: "+strings.ToUpper(u1)+" and "+u2, u1, nil), 1},
		{"first uuid is another", FirstUUID(u2+" "+u1, u1, nil), 0},
		{"question key skipped", FirstUUID("The key "+u2+" has value "+u1, u1, []string{strings.ToUpper(u2)}), 1},
		// pred {u1,u2,u3} vs gold {u1,u2}: P 2/3, R 1.
		{"uuid set f1", UUIDSetF1(u1+", "+u2+", "+u3+", "+u1, []string{u1, u2}, nil), 0.8},
		// u3 is a key of the question and skipped: P 1, R 1/2.
		{"uuid set f1 ignoring keys", UUIDSetF1(u3+" -> "+u1, []string{u1, u2}, []string{u3}), 2.0 / 3},
		{"set f1 duplicates", SetF1([]string{"a", "a"}, []string{"a", "b"}), 2.0 / 3},
		{"set f1 empty", SetF1(nil, []string{"a"}), 0},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, ok := BoxedAnswer(`\boxed{abc`); ok {
		t.Error("unterminated \\boxed accepted")
	}
	for in, want := range map[string]string{`"Dan~Newton"`: "Dan Newton", "": "None", `\[ x \]`: "x", "a \n\t b": "a b"} {
		if got := CleanATC(in); got != want {
			t.Errorf("CleanATC(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLongBioScores(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"all contained", AllContained("Paris and berlin", []string{"paris", "Berlin"}), 1},
		{"one missing", AllContained("Paris", []string{"paris", "Berlin"}), 0},
		{"no golds", AllContained("x", nil), 0},
		{"last number", LastNumber("born 1960 and 1972, a gap of 12", "12"), 1},
		{"not the last", LastNumber("12 years, or 13", "12"), 0},
		{"sign kept", LastNumber("-5", "5"), 0},
		{"no number", LastNumber("twelve", "12"), 0},
		{"in order", InOrder("Ann, then Bob, then Cid", []string{"ann", "bob", "cid"}), 1},
		{"out of order", InOrder("Ann, then Bob", []string{"bob", "ann"}), 0},
		{"repeats need two", InOrder("ab", []string{"ab", "ab"}), 0},
		{"repeats present", InOrder("abab", []string{"ab", "ab"}), 1},
		{"refusal", Refusal("The bio does not mention it."), 1},
		{"answer is not refusal", Refusal("Paris"), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestCitationSentences(t *testing.T) {
	got := CitationSentences("The sky is blue [1][2]. Blue sky. [3] Water is wet!  Done")
	want := []CitedSentence{
		{"The sky is blue.", []int{0, 1}},
		{"Blue sky.", []int{2}},
		{"Water is wet!", nil},
		{"Done", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CitationSentences = %#v", got)
	}
}

func TestCitationAIS(t *testing.T) {
	// The oracle: which passage sets entail which claim.
	facts := map[string][][]int{
		"The sky is blue.": {{0, 1}, {1}},
		"Grass is green.":  {{2}},
		"All three.":       {{0, 1, 2}, {0}, {1}, {2}},
	}
	entails := func(ps []int, claim string) bool {
		for _, s := range facts[claim] {
			if reflect.DeepEqual(s, ps) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name     string
		resp     string
		atMost   int
		r, p, f1 float64
		cites    int
	}{
		// s1: joint {0,1} entails; [1] alone does not but {2nd} alone does, so
		// [1] is redundant (0) and [2] precise (1). s2: single citation, entailed (1).
		// s3: no citation. CR 2/3, CP 2/3.
		{"mixed", "The sky is blue [1][2]. Grass is green [3]. Water is wet.", 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, 3},
		// Out of range: the sentence fails and its citations are not counted.
		{"out of range", "Grass is green [3]. The sky is blue [9].", 3, 0.5, 1, 2 * 0.5 / 1.5, 1},
		{"zero is out of range", "Grass is green [0].", 3, 0, 0, 0, 0},
		// Four citations truncated to three, each alone entails: all precise.
		{"at most three", "All three [1][2][3][1].", 3, 1, 1, 1, 3},
		{"unentailed citations count against precision", "Grass is green [1].", 3, 0, 0, 0, 1},
		{"empty", "", 3, 0, 0, 0, 0},
	} {
		got := CitationAIS(c.resp, 3, c.atMost, entails)
		if !near(got.Recall, c.r) || !near(got.Precision, c.p) || !near(got.F1, c.f1) || got.Citations != c.cites {
			t.Errorf("%s: %+v, want R %v P %v F1 %v citations %d", c.name, got, c.r, c.p, c.f1, c.cites)
		}
	}
	g := CitationGold([]int{2, 2, 5}, []int{2})
	if !near(g.Recall, 1) || !near(g.Precision, 0.5) || !near(g.F1, 2.0/3) {
		t.Errorf("CitationGold = %+v", g)
	}
}

func TestLEval(t *testing.T) {
	for _, c := range []struct {
		pred, gold string
		want       float64
	}{
		{"AB", "AB", 1},
		{"A", "AB", 0.25}, // some of several options
		{"AC", "AB", 0},
		{"None", "B", 0},
		{"18", "18.0", 1}, // numbers compare as floats
		{"18 dollars", "18", 1},
		{"17", "18", 0},
		{"The Role of Art", "the role of art", 1}, // substring without case or spaces
		{"x", "the role", 0},
	} {
		if got := LEvalExactMatch(c.pred, c.gold); got != c.want {
			t.Errorf("LEvalExactMatch(%q, %q) = %v, want %v", c.pred, c.gold, got, c.want)
		}
	}
	for _, c := range []struct {
		in    string
		multi bool
		want  string
	}{
		{"B", false, "B"},
		{"The answer is C.", false, "C"},
		{"Answer: C", false, "A"}, // upstream quirk: the capital A of "Answer" is the first letter
		{" ", false, "None"},
		{"xyz", false, "A"},
		{"AC and more", true, "AC"},
		{"A and C.", true, "AC"},
		{"The options B) and D) are right", true, "BD"},
		{"I pick Bb", true, "B"},
	} {
		if got := LEvalChoice(c.in, c.multi); got != c.want {
			t.Errorf("LEvalChoice(%q, %v) = %q, want %q", c.in, c.multi, got, c.want)
		}
	}
	for in, want := range map[string]string{"AB (two options)": "AB", "Option x": "A", "": "A"} {
		if got := LEvalChoiceGold(in); got != want {
			t.Errorf("LEvalChoiceGold(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Roughly. The answer is 1,234.5 dollars":    "1234",
		"She has 3 apples and 18 pears\n\nLater 99": "18",
		"no digits": "",
	} {
		if got := LEvalNumber(in); got != want {
			t.Errorf("LEvalNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if got := LEvalCodeGold("[1, 2.0]\n 'a'"); got != "[1 2] a" {
		t.Errorf("LEvalCodeGold = %q", got)
	}
	if got := LEvalCodeOutput("The output will be [1, 2]", "[1, 2]"); got != "The output [1 2]" {
		t.Errorf("LEvalCodeOutput = %q", got)
	}
	if got := LEvalCodeOutput("so the final output [3, 4] and more words here to drop", "[3, 4]"); got != " [3 4] and more" { // split keeps the leading "": 5 = 2 + 3 pieces
		t.Errorf("LEvalCodeOutput after 'the final output' = %q", got)
	}
}

func TestZh(t *testing.T) {
	if got := NormalizeZh("你好，World！ a"); got != "你好worlda" {
		t.Errorf("NormalizeZh = %q", got)
	}
	// pred chars 北 京 大 学 vs gold 北 京: common 2, P 1/2, R 1.
	if got := TokenF1ZhChars("北京大学", "北京"); !near(got, 2.0/3) {
		t.Errorf("TokenF1ZhChars = %v", got)
	}
	if got := RougeLZhChars("北京大学", "北京"); !near(got, 2*0.5/(1.5+1e-8)) {
		t.Errorf("RougeLZhChars = %v", got)
	}
}

func TestApply(t *testing.T) {
	for _, c := range []struct {
		id, pred       string
		golds, classes []string
		want           float64
	}{
		{"first_line:qa_f1", "\n\nParis\nand more words", []string{"Paris"}, nil, 1},
		{"qa_f1", "\n\nParis\nand more words", []string{"Paris"}, nil, 2 * 0.25 / 1.25},
		{"string_match_all", " 12\x00AB ", []string{"12", "ab", "zz"}, nil, 2.0 / 3},
		{"classification", "Location", []string{"Location"}, []string{"Location", "Person"}, 1},
		{"cloze_exact", "Sure: {'<mask-0>': 'Bob', '<mask-1>': 'X'}", []string{"<mask-0>: Bob", "<mask-1>: Ann"}, nil, 0.5},
		{"cloze_exact", "Bob and Ann", []string{"<mask-0>: Bob"}, nil, 0},
		{"rouge_l_recall", "a a b", []string{"a a"}, nil, 1},
		{"leval_choice_multi", " A and C.", []string{"AC"}, nil, 1},
		{"leval_number", "so 42 it is", []string{"Answer: The answer is 42"}, nil, 1},
		{"choice", "The correct answer is (B)", []string{"B"}, nil, 1},
		{"boxed_match", `\boxed{X}`, []string{"Y", "X"}, nil, 1},
	} {
		got, err := Apply(c.id, c.pred, c.golds, c.classes)
		if err != nil || !near(got, c.want) {
			t.Errorf("Apply(%s, %q) = %v, %v; want %v", c.id, c.pred, got, err, c.want)
		}
	}
	if _, err := Apply("judge", "", nil, nil); err == nil {
		t.Error("unknown metric accepted")
	}
	if len(Metrics()) < 25 {
		t.Errorf("Metrics() = %v", Metrics())
	}
}
