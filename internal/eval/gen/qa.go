package gen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// QASet is a question-answering file in RULER's shape: questions with gold
// answers, the documents that answer them, preferred distractors, and a pool
// of all documents.
type QASet struct {
	Name      string
	Questions []QAQuestion
	Docs      []string // distinct, sorted
}

// QAQuestion is one question; Context and More index QASet.Docs.
type QAQuestion struct {
	Query   string
	Answers []string
	Context []int // documents to always include
	More    []int // preferred distractors (SQuAD: the article's other paragraphs)
}

// ParseSQuAD reads a SQuAD v2 dev file (answerable questions only, in file
// order), the way RULER's read_squad does.
func ParseSQuAD(data []byte) (*QASet, error) {
	var f struct {
		Data []struct {
			Paragraphs []struct {
				Context string `json:"context"`
				QAs     []struct {
					Question     string `json:"question"`
					IsImpossible bool   `json:"is_impossible"`
					Answers      []struct {
						Text string `json:"text"`
					} `json:"answers"`
				} `json:"qas"`
			} `json:"paragraphs"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("squad: %w", err)
	}
	var all []string
	for _, d := range f.Data {
		for _, p := range d.Paragraphs {
			all = append(all, p.Context)
		}
	}
	docs, index := distinctSorted(all)
	set := &QASet{Name: "squad", Docs: docs}
	for _, d := range f.Data {
		var article []int
		for _, p := range d.Paragraphs {
			article = append(article, index[p.Context])
		}
		for _, p := range d.Paragraphs {
			self := index[p.Context]
			for _, q := range p.QAs {
				if q.IsImpossible || len(q.Answers) == 0 {
					continue
				}
				qq := QAQuestion{Query: q.Question, Context: []int{self}}
				for _, a := range q.Answers {
					// An empty gold is in every answer: it would score 100.
					if strings.TrimSpace(a.Text) == "" {
						return nil, fmt.Errorf("squad: question %q has an empty answer text", q.Question)
					}
					qq.Answers = append(qq.Answers, a.Text)
				}
				for _, i := range article {
					if i != self {
						qq.More = append(qq.More, i)
					}
				}
				set.Questions = append(set.Questions, qq)
			}
		}
	}
	if len(set.Questions) == 0 {
		return nil, fmt.Errorf("squad: no answerable questions in the file")
	}
	return set, nil
}

// ParseHotpotQA reads a HotpotQA dev (distractor) file: each question's ten
// paragraphs ("title\nsentences") are its documents.
func ParseHotpotQA(data []byte) (*QASet, error) {
	var f []struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
		Context  [][2]json.RawMessage
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("hotpotqa: %w", err)
	}
	type para struct{ docs []string }
	per := make([]para, len(f))
	var all []string
	for i, q := range f {
		for _, c := range q.Context {
			var title string
			var sents []string
			if err := json.Unmarshal(c[0], &title); err != nil {
				return nil, fmt.Errorf("hotpotqa: question %d: context title: %w", i, err)
			}
			if err := json.Unmarshal(c[1], &sents); err != nil {
				return nil, fmt.Errorf("hotpotqa: question %d: context sentences: %w", i, err)
			}
			d := title + "\n" + strings.Join(sents, "")
			per[i].docs = append(per[i].docs, d)
			all = append(all, d)
		}
	}
	docs, index := distinctSorted(all)
	set := &QASet{Name: "hotpotqa", Docs: docs}
	for i, q := range f {
		if strings.TrimSpace(q.Answer) == "" {
			return nil, fmt.Errorf("hotpotqa: question %d has no answer", i)
		}
		if len(per[i].docs) == 0 {
			return nil, fmt.Errorf("hotpotqa: question %d has no context", i)
		}
		qq := QAQuestion{Query: q.Question, Answers: []string{q.Answer}}
		for _, d := range per[i].docs {
			qq.Context = append(qq.Context, index[d])
		}
		set.Questions = append(set.Questions, qq)
	}
	if len(set.Questions) == 0 {
		return nil, fmt.Errorf("hotpotqa: no questions in the file")
	}
	return set, nil
}

func distinctSorted(all []string) ([]string, map[string]int) {
	index := map[string]int{}
	for _, d := range all {
		index[d] = 0
	}
	docs := make([]string, 0, len(index))
	for d := range index {
		docs = append(docs, d)
	}
	sort.Strings(docs)
	for i, d := range docs {
		index[d] = i
	}
	return docs, index
}

// buildQA: question i (cycling through the file, so every length sees the
// same questions), u documents: its own, then preferred distractors, then
// random others, shuffled and numbered.
func buildQA(s *Sample, set *QASet, u, i int, r *rng) error {
	q := set.Questions[i%len(set.Questions)]
	var pick []int
	if u >= len(set.Docs) {
		pick = make([]int, len(set.Docs))
		for j := range pick {
			pick[j] = j
		}
	} else {
		pick = append(pick, q.Context...)
		need := u - len(pick)
		switch {
		case need <= 0:
		case need <= len(q.More):
			for _, j := range r.sample(len(q.More), need) {
				pick = append(pick, q.More[j])
			}
		default:
			pick = append(pick, q.More...)
			taken := map[int]bool{}
			for _, j := range pick {
				taken[j] = true
			}
			for len(pick) < u {
				if j := r.intn(len(set.Docs)); !taken[j] {
					taken[j] = true
					pick = append(pick, j)
				}
			}
		}
	}
	r.shuffle(len(pick), func(a, b int) { pick[a], pick[b] = pick[b], pick[a] })
	var b strings.Builder
	for n, j := range pick {
		if n > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("Document " + strconv.Itoa(n+1) + ":\n")
		b.WriteString(set.Docs[j])
	}
	s.Prompt = fill(qaTemplate, "{context}", b.String(), "{query}", q.Query)
	s.AnswerPrefix = qaPrefix
	s.Golds = append([]string(nil), q.Answers...)
	return nil
}
