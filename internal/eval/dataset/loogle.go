package dataset

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/eval/pylit"
)

// LooGLE's prompts and output budgets (bigai-nlco/LooGLE config/
// task2prompt.json and task2maxlen.json), re-typed; the cloze example's
// doubled braces are Python format escapes and are single here.
var looglePrompts = map[string]string{
	"shortdep_qa":           "Please answer the question based on the long texts below. \n{input}\nQuestion: {Q}\nAnswer: ",
	"longdep_qa":            "Please answer the question based on the long texts below. \n{input}\nQuestion: {Q}\nAnswer: ",
	"longdep_summarization": "Please generate a summary of the below paper. \n{input}\n Summarization: ",
	"shortdep_cloze":        "Please fill in the clozes based on the given long texts below. Each of the placeholder '<mask-n>' in the question could be an entity of Person, Location or Organiocation. The same masks represent the same entity. Output a json format answer, for example: {'<mask-0>': 'Bob', '<mask-1>': 'Gorrosion Magazine','<mask-2>': 'Bethel Horizon'}\n{input}\n Question: {Q} What are the masked entities? \nAnswer:",
}

var loogleMaxNew = map[string]int{"shortdep_qa": 300, "longdep_qa": 500, "longdep_summarization": 500, "shortdep_cloze": 50}

type loogleLine struct {
	Input   string          `json:"input"`
	QAPairs json.RawMessage `json:"qa_pairs"`
	Output  string          `json:"output"`
}

// LoadLooGLE reads LooGLE files (shortdep_qa, longdep_qa,
// longdep_summarization, shortdep_cloze .jsonl; path is one file or a
// directory). Each question of a document's qa_pairs (a Python repr in the
// published files, or a JSON list) is an item; a summarization line is one.
// QA and summaries are scored by pltrdy ROUGE-L recall (LooGLE's
// get_rouge_score default), clozes by exact entity match.
func LoadLooGLE(path string) (*Set, error) {
	paths, err := files(path, ".jsonl")
	if err != nil {
		return nil, err
	}
	set := newSet("loogle", Middle)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := parseLooGLE(set, data, taskName(p)); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return set, nil
}

func parseLooGLE(set *Set, data []byte, task string) error {
	tmpl, ok := looglePrompts[task]
	if !ok {
		return fmt.Errorf("unknown LooGLE task %q (want shortdep_qa, longdep_qa, longdep_summarization or shortdep_cloze)", task)
	}
	lines, lineNo := jsonLines(data)
	if len(lines) == 0 {
		return errEmpty
	}
	for i, l := range lines {
		var x loogleLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			return fmt.Errorf("line %d: %w", lineNo[i], err)
		}
		base := Item{Task: task, MaxNew: loogleMaxNew[task], Metric: "rouge_l_recall"}
		if task == "longdep_summarization" {
			base.ID = task + "-" + strconv.Itoa(i)
			base.Doc = fill(tmpl, x.Input, "")
			base.Golds = []string{x.Output}
			set.add(base)
			continue
		}
		pairs, err := qaPairs(x.QAPairs)
		if err != nil {
			return fmt.Errorf("line %d: qa_pairs: %w", lineNo[i], err)
		}
		for k, qa := range pairs {
			it := base
			it.ID = task + "-" + strconv.Itoa(i) + "-" + strconv.Itoa(k)
			q, _ := qa["Q"].(string)
			it.Doc = fill(tmpl, x.Input, q)
			if task == "shortdep_cloze" {
				golds, err := clozeGolds(qa["A"])
				if err != nil {
					return fmt.Errorf("line %d, question %d: %w", lineNo[i], k, err)
				}
				it.Golds, it.Metric = golds, "cloze_exact"
			} else {
				var a string
				switch v := qa["A"].(type) {
				case string:
					a = v
				case int64: // a Python-literal integer (pylit)
					a = strconv.FormatInt(v, 10)
				case float64: // a JSON number
					a = strconv.FormatFloat(v, 'f', -1, 64)
				}
				if strings.TrimSpace(a) == "" {
					return fmt.Errorf("line %d, question %d: answer %v is not a non-empty string", lineNo[i], k, qa["A"])
				}
				it.Golds = []string{a}
			}
			set.add(it)
		}
	}
	return nil
}

// fill substitutes {input} and {Q} in one pass.
func fill(tmpl, input, q string) string {
	out := make([]byte, 0, len(tmpl)+len(input)+len(q))
	for i := 0; i < len(tmpl); {
		switch {
		case hasAt(tmpl, i, "{input}"):
			out, i = append(out, input...), i+len("{input}")
		case hasAt(tmpl, i, "{Q}"):
			out, i = append(out, q...), i+len("{Q}")
		default:
			out, i = append(out, tmpl[i]), i+1
		}
	}
	return string(out)
}

func hasAt(s string, i int, sub string) bool { return len(s)-i >= len(sub) && s[i:i+len(sub)] == sub }

// qaPairs reads a qa_pairs field: a JSON list of objects, or a string
// holding a Python list literal.
func qaPairs(raw json.RawMessage) ([]map[string]any, error) {
	var v any
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if v, err = pylit.Parse(s); err != nil {
			return nil, err
		}
	} else if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("want a non-empty list of question objects")
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("entry %d is not an object", i)
		}
		if _, ok := m["Q"].(string); !ok {
			return nil, fmt.Errorf("entry %d has no question Q", i)
		}
		if _, ok := m["A"]; !ok {
			return nil, fmt.Errorf("entry %d has no answer A", i)
		}
		out[i] = m
	}
	return out, nil
}

// clozeGolds turns a cloze answer (a dict, or a string holding one) into
// score's "<mask-n>: entity" golds, sorted by mask.
func clozeGolds(a any) ([]string, error) {
	if s, ok := a.(string); ok {
		v, err := pylit.Parse(s)
		if err != nil {
			return nil, err
		}
		a = v
	}
	m, ok := a.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, fmt.Errorf("cloze answer is not a dict of masks")
	}
	var out []string
	for k, v := range m {
		out = append(out, k+": "+fmt.Sprint(v))
	}
	sort.Strings(out)
	return out, nil
}
