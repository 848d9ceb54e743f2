package trace

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/longctx/longctx/internal/curriculum"
)

func texts(segs []Segment) []string {
	var out []string
	for _, s := range segs {
		out = append(out, s.Text)
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		doc, spec string
		want      []string
	}{
		{"a b c d e", "words:2", []string{"a b ", "c d ", "e"}},
		{"  a b\n\nc  ", "words:2", []string{"  a b\n\n", "c  "}},
		{"one two", "words:100", []string{"one two"}},
		{`He left. "Why?" she asked! Then 3.5 units. End`, "sentence", []string{"He left. ", `"Why?" `, "she asked! ", "Then 3.5 units. ", "End"}},
		{"No stop\n\nNew para. x", "sentence", []string{"No stop\n\n", "New para. ", "x"}},
		{"p1 line\nstill p1\n\n \np2\n\n\n", "paragraph", []string{"p1 line\nstill p1\n\n \n", "p2\n\n\n"}},
		{"a|b||c|", "sep:|", []string{"a|", "b|", "|", "c|"}},
		{"l1\nl2\nl3", `sep:\n`, []string{"l1\n", "l2\n", "l3"}},
		{"«Oui.» Non.", "sentence", []string{"«Oui.» ", "Non."}},
	}
	for _, tc := range tests {
		segs, err := Split(tc.doc, tc.spec)
		if err != nil {
			t.Fatalf("%q %s: %v", tc.doc, tc.spec, err)
		}
		got := texts(segs)
		if strings.Join(got, "\x00") != strings.Join(tc.want, "\x00") {
			t.Errorf("Split(%q, %s) = %q, want %q", tc.doc, tc.spec, got, tc.want)
		}
	}
	for _, bad := range []struct{ doc, spec string }{
		{"x", "words:0"}, {"x", "words:"}, {"x", "words:a"}, {"x", "sentence:2"}, {"x", "sep:"}, {"x", "lines"}, {"  \n", "sentence"},
	} {
		if _, err := Split(bad.doc, bad.spec); err == nil {
			t.Errorf("Split(%q, %q) accepted", bad.doc, bad.spec)
		}
	}
}

// checkSegments is the invariant every split keeps.
func checkSegments(t *testing.T, doc string, segs []Segment) {
	t.Helper()
	at := 0
	for i, s := range segs {
		if s.Start != at || s.End <= s.Start || doc[s.Start:s.End] != s.Text {
			t.Fatalf("segment %d %+v does not continue at %d", i, s, at)
		}
		if strings.TrimSpace(s.Text) == "" {
			t.Fatalf("segment %d holds only space", i)
		}
		at = s.End
	}
	if at != len(doc) {
		t.Fatalf("segments end at %d of %d", at, len(doc))
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("The cat sat. The dog ran!\n\nNew paragraph here.", "sentence")
	f.Add("a b c d e f g", "words:3")
	f.Add("x||y|", "sep:|")
	f.Add("\xff\xfe bad utf8. ok", "sentence")
	f.Fuzz(func(t *testing.T, doc, spec string) {
		segs, err := Split(doc, spec)
		if err != nil {
			return
		}
		checkSegments(t, doc, segs)
	})
}

func TestSplitLongDocument(t *testing.T) {
	s, err := curriculum.New(7).Make("record", 0, 600)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"words:100", "sentence", "paragraph", "sep:. "} {
		segs, err := Split(s.Prompt, spec)
		if err != nil {
			t.Fatal(err)
		}
		checkSegments(t, s.Prompt, segs)
		if spec == "words:100" && (len(segs) < 6 || len(segs) > 8) {
			t.Fatalf("words:100 on ~650 words gave %d segments", len(segs))
		}
		for _, sg := range segs {
			if !utf8.ValidString(sg.Text) {
				t.Fatalf("%s cut inside a character", spec)
			}
		}
	}
}

func TestTemplate(t *testing.T) {
	tpl, err := ParseTemplate(DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	text, at := tpl.Render("DOC {question}", "Q?")
	if want := curriculum.QAPrompt("DOC {question}", "Q?"); text != want || at != 0 {
		t.Fatalf("default template renders %q at %d, want %q", text, at, want)
	}
	tpl, _ = ParseTemplate("Q: {question}\nContext: {document}\nA:")
	text, at = tpl.Render("the doc", "why")
	if text != "Q: why\nContext: the doc\nA:" || text[at:at+7] != "the doc" {
		t.Fatalf("custom template: %q at %d", text, at)
	}
	for _, bad := range []string{"{document}", "{question}", "{document}{document}{question}"} {
		if _, err := ParseTemplate(bad); err == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
}
