package trace

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
)

func sampleReport(t *testing.T) (*Problem, *Report) {
	t.Helper()
	doc := "First <b>bold</b> & \"quoted\" part. Second part here.\n\nThird, the answer: Paris. Fourth."
	p, err := NewProblem(doc, "sentence", "Where?", "Paris", Template{})
	if err != nil {
		t.Fatal(err)
	}
	r := newResult("attntrace", len(p.Segments))
	for i, s := range []float64{0.1, -0.2, 0.9} {
		r.Scores[i], r.Scored[i] = s, true
	}
	r.Passes, r.Seconds = 3, 0.5
	return p, NewReport(p, r, 2)
}

func TestReportJSON(t *testing.T) {
	p, rep := sampleReport(t)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Answer != "Paris" || len(back.Top) != 2 || back.Top[0].Segment != 2 || back.Top[1].Segment != 0 {
		t.Fatalf("top %+v, answer %q", back.Top, back.Answer)
	}
	// The top segment's offsets locate it in the document (by hand: the
	// third sentence starts after the blank line).
	if top := back.Top[0]; top.Start != strings.Index(p.Document, "Third") || p.Document[top.Start:top.End] != top.Text {
		t.Fatalf("top segment at %d..%d, text %q", top.Start, top.End, top.Text)
	}
	if len(back.Segments) != len(p.Segments) || back.Segments[3].Score != nil || back.Segments[1].Rank != 3 || back.Segments[3].Rank != 0 {
		t.Fatalf("segments %+v", back.Segments)
	}
}

func TestReportText(t *testing.T) {
	p, rep := sampleReport(t)
	var plain, color bytes.Buffer
	rep.WriteText(&plain, p.Document, false)
	rep.WriteText(&color, p.Document, true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Fatal("ANSI codes without colour")
	}
	if !strings.Contains(plain.String(), " 1. segment 2 ") || !strings.Contains(plain.String(), "answer: Paris") {
		t.Fatalf("plain output:\n%s", plain.String())
	}
	out := color.String()
	// Rank 1 in the first heat colour, rank 2 in the second; segment 1
	// (rank 3, outside the top 2) and 3 unhighlighted.
	if !strings.Contains(out, "\x1b[1m[1]\x1b[0m\x1b[30;48;5;196mThird, the answer: Paris. \x1b[0m") ||
		!strings.Contains(out, "\x1b[30;48;5;202mFirst") || strings.Contains(out, "[3]") {
		t.Fatalf("colour output:\n%q", out)
	}
	stripped := strings.NewReplacer("\x1b[1m[1]\x1b[0m", "", "\x1b[1m[2]\x1b[0m", "", "\x1b[30;48;5;196m", "", "\x1b[30;48;5;202m", "", "\x1b[0m", "").Replace(out)
	if !strings.HasSuffix(stripped, p.Document+"\n") {
		t.Fatalf("the highlighted document does not read back as the document:\n%q", stripped)
	}
}

// TestReportHTML parses the page as XML and checks its structure: one
// span per segment whose text is the segment, shading only on positive
// scores, the ranking table in order.
func TestReportHTML(t *testing.T) {
	p, rep := sampleReport(t)
	var buf bytes.Buffer
	if err := rep.WriteHTML(&buf, p.Document); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || strings.Contains(page, "<script") || strings.Contains(page, "http") {
		t.Fatal("want a self-contained page (doctype, no scripts, no external links)")
	}
	d := xml.NewDecoder(strings.NewReader(page))
	type span struct {
		attrs map[string]string
		text  strings.Builder
	}
	var spans []*span
	var cur *span
	var stack []string
	var rows [][]string
	var cell *strings.Builder
	ids := map[string]string{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the page is not well-formed: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			stack = append(stack, x.Name.Local)
			a := map[string]string{}
			for _, at := range x.Attr {
				a[at.Name.Local] = at.Value
			}
			if x.Name.Local == "span" && a["class"] == "seg" {
				cur = &span{attrs: a}
				spans = append(spans, cur)
			}
			if x.Name.Local == "tr" && len(stack) > 2 && stack[len(stack)-2] == "tbody" {
				rows = append(rows, nil)
			}
			if x.Name.Local == "td" {
				cell = &strings.Builder{}
			}
			if id := a["id"]; id != "" {
				ids[id] = x.Name.Local
			}
		case xml.EndElement:
			if x.Name.Local == "span" {
				cur = nil
			}
			if x.Name.Local == "td" {
				rows[len(rows)-1] = append(rows[len(rows)-1], cell.String())
				cell = nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if cur != nil {
				cur.text.Write(x)
			}
			if cell != nil {
				cell.Write(x)
			}
		}
	}
	for _, id := range []string{"question", "answer", "method", "ranking", "document"} {
		if ids[id] == "" {
			t.Fatalf("no element with id %q", id)
		}
	}
	if len(spans) != len(p.Segments) {
		t.Fatalf("%d segment spans, want %d", len(spans), len(p.Segments))
	}
	var doc strings.Builder
	for i, s := range spans {
		doc.WriteString(s.text.String())
		if s.text.String() != p.Segments[i].Text || s.attrs["data-index"] != strconv.Itoa(i) {
			t.Fatalf("span %d holds %q (index %s), want %q", i, s.text.String(), s.attrs["data-index"], p.Segments[i].Text)
		}
		_, shaded := s.attrs["style"]
		if wantShade := i == 0 || i == 2; shaded != wantShade {
			t.Fatalf("span %d shaded=%v (score %q)", i, shaded, s.attrs["data-score"])
		}
	}
	if doc.String() != p.Document {
		t.Fatal("the spans do not spell the document")
	}
	if spans[2].attrs["data-rank"] != "1" || spans[3].attrs["data-score"] != "" || !strings.Contains(spans[2].attrs["style"], "0.800") {
		t.Fatalf("best span attrs %v, unscored span attrs %v", spans[2].attrs, spans[3].attrs)
	}
	if len(rows) != 2 || rows[0][0] != "1" || rows[0][1] != "2" || rows[1][1] != "0" {
		t.Fatalf("ranking rows %q", rows)
	}
}
