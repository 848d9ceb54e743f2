package trace

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tokenizer"
)

// DefaultTemplate is the QA format of longctx's default model (see
// curriculum.QAPrompt): the model answers with a space, the answer and
// end-of-sequence.
const DefaultTemplate = "{document}\n\nQuestion: {question}\nAnswer:"

// Template renders a prompt from a document and a question. It holds
// {document} and {question} once each.
type Template struct {
	parts []string // literal text, "{document}" and "{question}" in order
}

// ParseTemplate checks a template string.
func ParseTemplate(s string) (Template, error) {
	var t Template
	for _, ph := range []string{"{document}", "{question}"} {
		if n := strings.Count(s, ph); n != 1 {
			return t, fmt.Errorf("trace: the prompt template must hold %s exactly once (found %d)", ph, n)
		}
	}
	for s != "" {
		i, j := strings.Index(s, "{document}"), strings.Index(s, "{question}")
		k := i
		if k < 0 || (j >= 0 && j < k) {
			k = j
		}
		if k < 0 {
			t.parts = append(t.parts, s)
			break
		}
		if k > 0 {
			t.parts = append(t.parts, s[:k])
		}
		t.parts = append(t.parts, s[k:k+10]) // both placeholders are 10 bytes
		s = s[k+10:]
	}
	return t, nil
}

// Render returns the prompt and the byte offset of the document in it.
// Placeholders inside the document or question are not expanded.
func (t Template) Render(doc, question string) (string, int) {
	var b strings.Builder
	docAt := 0
	for _, p := range t.parts {
		switch p {
		case "{document}":
			docAt = b.Len()
			b.WriteString(doc)
		case "{question}":
			b.WriteString(question)
		default:
			b.WriteString(p)
		}
	}
	return b.String(), docAt
}

// Problem is one traceback: which segments of a document made the model
// give Answer to Question.
type Problem struct {
	Document string
	Segments []Segment
	Question string
	// Answer is the text traced, as the model writes it after the prompt
	// (with its leading space when the prompt ends without one).
	Answer   string
	Template Template
}

// NewProblem splits doc by segSpec. The answer gets a leading space when
// neither it nor the rendered prompt has one at the join (the default
// template ends in "Answer:" and the model writes " <answer>"); an empty
// answer is filled in later by generating it.
func NewProblem(doc, segSpec, question, answer string, tpl Template) (*Problem, error) {
	if tpl.parts == nil {
		var err error
		if tpl, err = ParseTemplate(DefaultTemplate); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(question) == "" {
		return nil, fmt.Errorf("trace: the question is empty")
	}
	segs, err := Split(doc, segSpec)
	if err != nil {
		return nil, err
	}
	p := &Problem{Document: doc, Segments: segs, Question: question, Template: tpl}
	p.SetAnswer(answer)
	return p, nil
}

// SetAnswer sets the traced answer, adding the joining space when needed.
func (p *Problem) SetAnswer(answer string) {
	prompt, _ := p.Template.Render("", p.Question)
	if answer != "" && !startsSpace(answer) && !endsSpace(prompt) {
		answer = " " + answer
	}
	p.Answer = answer
}

func startsSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func endsSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r)
}

// Prompt renders the prompt holding only the kept segments (indices in
// increasing order), and the byte span of each kept segment in it.
func (p *Problem) Prompt(keep []int) (string, []kv.Span) {
	var doc strings.Builder
	spans := make([]kv.Span, len(keep))
	for k, i := range keep {
		spans[k].From = doc.Len()
		doc.WriteString(p.Segments[i].Text)
		spans[k].To = doc.Len()
	}
	text, at := p.Template.Render(doc.String(), p.Question)
	for k := range spans {
		spans[k].From += at
		spans[k].To += at
	}
	return text, spans
}

// All lists every segment index.
func (p *Problem) All() []int {
	keep := make([]int, len(p.Segments))
	for i := range keep {
		keep[i] = i
	}
	return keep
}

// tokenAnchors returns, for each token of ids (the encoding of text), the
// byte offset in text of its first non-space byte (of its start when it is
// all space; special tokens get the offset of what follows them), and the
// offset where it ends. A SentencePiece tokenizer's leading dummy space is
// accounted for. A token belongs to the segment holding its anchor, so
// "▁word" joins the segment of "word", not the one whose trailing space it
// also covers.
func tokenAnchors(tok *tokenizer.Tokenizer, ids []int32, text string) (anchors, ends []int, err error) {
	pieces := make([][]byte, len(ids))
	total := 0
	for i, id := range ids {
		p, err := tok.Piece(id, false)
		if err != nil {
			return nil, nil, err
		}
		pieces[i] = p
		total += len(p)
	}
	shift := total - len(text)
	if shift < 0 || shift > 1 {
		return nil, nil, fmt.Errorf("trace: the tokens of the prompt spell %d bytes, the text has %d: cannot map tokens to segments", total, len(text))
	}
	anchors, ends = make([]int, len(ids)), make([]int, len(ids))
	off := -shift
	for i, p := range pieces {
		a := off + len(p) // a special token: the following text
		for k, c := range p {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				a = off + k
				break
			}
			if k == len(p)-1 { // all space
				a = off
			}
		}
		lo := max(0, off)
		if hi := off + len(p); hi > lo && string(p[lo-off:]) != text[lo:hi] {
			return nil, nil, fmt.Errorf("trace: token %d (%q) does not spell the prompt at byte %d: cannot map tokens to segments", i, p, off)
		}
		off += len(p)
		anchors[i] = max(0, min(a, len(text)))
		ends[i] = max(0, off)
	}
	return anchors, ends, nil
}

// firstAtOrAfter is the index of the first anchor >= b (anchors are
// non-decreasing).
func firstAtOrAfter(anchors []int, b int) int {
	lo, hi := 0, len(anchors)
	for lo < hi {
		m := (lo + hi) / 2
		if anchors[m] < b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// layout is a tokenized prompt with its answer appended.
type layout struct {
	tokens  []int32   // prompt tokens (BOS first when the model adds it), then the answer's
	prompt  int       // number of prompt tokens
	context kv.Span   // tokens of the document
	segs    []kv.Span // tokens of each kept segment, in keep order
}

// buildLayout tokenizes the prompt of keep and appends the answer tokens.
func buildLayout(tok *tokenizer.Tokenizer, p *Problem, keep []int, answer []int32) (layout, error) {
	text, spans := p.Prompt(keep)
	ids, segs, err := TokenSpans(tok, text, spans)
	if err != nil {
		return layout{}, fmt.Errorf("trace: tokenizing the prompt: %w", err)
	}
	lay := layout{tokens: append(ids, answer...), prompt: len(ids), segs: segs}
	if len(segs) > 0 {
		lay.context = kv.Span{From: segs[0].From, To: segs[len(segs)-1].To}
	}
	return lay, nil
}

// answerTokens tokenizes the full prompt followed by the answer, in one
// piece so the join tokenizes as it would in running text, and returns
// the tokens from the first one whose anchor is in the answer (a token
// straddling the join belongs to the answer).
func answerTokens(tok *tokenizer.Tokenizer, p *Problem) ([]int32, error) {
	if strings.TrimSpace(p.Answer) == "" {
		return nil, fmt.Errorf("trace: the answer is empty")
	}
	prompt, _ := p.Prompt(p.All())
	text := prompt + p.Answer
	ids, err := tok.Encode(text, true, false)
	if err != nil {
		return nil, fmt.Errorf("trace: tokenizing the answer: %w", err)
	}
	anchors, ends, err := tokenAnchors(tok, ids, text)
	if err != nil {
		return nil, err
	}
	i := firstAtOrAfter(anchors, len(prompt))
	if i > 0 && ends[i-1] > len(prompt) {
		i-- // the token straddles the join
	}
	if i >= len(ids) {
		return nil, fmt.Errorf("trace: the answer %q tokenized to nothing", p.Answer)
	}
	return append([]int32(nil), ids[i:]...), nil
}

// TokenSpans tokenizes text (with BOS when the model adds it) and maps
// byte spans of text to the token spans that hold them (by the same
// anchor rule as segments).
func TokenSpans(tok *tokenizer.Tokenizer, text string, spans []kv.Span) ([]int32, []kv.Span, error) {
	ids, err := tok.Encode(text, true, false)
	if err != nil {
		return nil, nil, err
	}
	anchors, _, err := tokenAnchors(tok, ids, text)
	if err != nil {
		return nil, nil, err
	}
	out := make([]kv.Span, len(spans))
	for i, s := range spans {
		out[i] = kv.Span{From: firstAtOrAfter(anchors, s.From), To: firstAtOrAfter(anchors, s.To)}
	}
	return ids, out, nil
}
