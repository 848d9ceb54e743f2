package dataset

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// L-Eval's system prompts and user-message forms (OpenLMLab/LEval
// Baselines/LEval_config.py get_sys_prompt and turbo16k-test.py, GPL-3.0
// code; the prompt wording is re-typed, typos included).
const (
	levalSysGSM      = "Given several question answer pairs, you need to follow a similar format to answer the last question. Make sure the response is end with The answer is _ . "
	levalSysTopic    = "Below is a record of our previous conversation on many different topics. You are the ASSISTANT, and I am the USER. At the beginning of each topic, the USER will say 'I would like to discuss the topic of <TOPIC>'. Memorize each <TOPIC>. At the end of the record, I will ask you to retrieve the first/second/third topic names. Now the record start. "
	levalSysCoursera = "Now you are given a very long document. Please follow the instruction based on this document. For multi-choice questions, there could be a sinlge correct option or multiple correct options. Please only provide the letter corresponding to the answer (like A or AB) when answering. "
	levalSysCode     = "Now you are given a code base consisting of a large amount of functions and the corresponding comments. In the end, I will call some functions defined in the code base. Please carefully read these codes and comments and answer the question."
	levalSysExam     = "Now you are given a very long document. Please follow the instruction based on this document. For multi-choice questions, there is only a sinlge correct option. Please only provide the letter corresponding to the answer (like A or B) when answering. For other questions, please directly give the concise and accurate answer. "
	levalSysOpen     = "Now you are given a very long document. Please follow the instruction after this document. These instructions may include summarizing a document, answering questions based on the document, or writing a required paragraph. "
	levalMaxNew      = 512
)

// levalClosed maps the closed-ended tasks L-Eval scores automatically to
// their system prompt and metric. sci_fi is left out: its score needs a
// second turn asking the same question against real-world knowledge.
var levalClosed = map[string]struct{ system, metric string }{
	"coursera":                 {levalSysCoursera, "leval_choice_multi"},
	"quality":                  {levalSysExam, "leval_choice"},
	"tpo":                      {levalSysExam, "leval_choice"},
	"gsm100":                   {levalSysGSM, "leval_number"},
	"topic_retrieval_longchat": {levalSysTopic, "leval_em"},
	"codeU":                    {levalSysCode, "leval_code"},
}

type levalLine struct {
	Input        string   `json:"input"`
	Instructions []string `json:"instructions"`
	Outputs      []string `json:"outputs"`
	Evaluation   string   `json:"evaluation"`
}

// LoadLEval reads L-Eval task files (<task>.jsonl, one document per line
// with its instructions and reference outputs): path is one file or a
// directory of them. Each instruction is an item. Closed-ended tasks get
// their extractor and exact match; open-ended lines marked "f1" or "rouge"
// get token F1 or the ROUGE-1/2/L geometric mean with the length
// instruction L-Eval adds ("The suggested output length is around N
// words"); lines judged by a model or by people ("LLM", "human") are
// skipped, as L-Eval's n-gram evaluation skips them. Notes says what was
// skipped.
func LoadLEval(path string) (*Set, []string, error) {
	paths, err := files(path, ".jsonl")
	if err != nil {
		return nil, nil, err
	}
	set := newSet("leval", LEvalWords)
	var notes []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		n, err := parseLEval(set, data, taskName(p))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if n != "" {
			notes = append(notes, n)
		}
	}
	if len(set.tasks) == 0 {
		return nil, notes, fmt.Errorf("%s: no L-Eval items with an automatic metric", path)
	}
	return set, notes, nil
}

func parseLEval(set *Set, data []byte, task string) (note string, err error) {
	if task == "sci_fi" {
		return "leval: sci_fi skipped (its score needs a second, knowledge-only turn)", nil
	}
	lines, lineNo := jsonLines(data)
	if len(lines) == 0 {
		return "", errEmpty
	}
	closed, isClosed := levalClosed[task]
	skipped := 0
	for i, l := range lines {
		var x levalLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			return "", fmt.Errorf("line %d: %w", lineNo[i], err)
		}
		if len(x.Instructions) != len(x.Outputs) {
			return "", fmt.Errorf("line %d: %d instructions but %d outputs", lineNo[i], len(x.Instructions), len(x.Outputs))
		}
		var system, metric string
		switch {
		case isClosed:
			system, metric = closed.system, closed.metric
		case x.Evaluation == "f1":
			system, metric = levalSysOpen, "leval_f1"
		case x.Evaluation == "rouge":
			system, metric = levalSysOpen, "leval_rouge"
		case x.Evaluation == "exam":
			system, metric = levalSysExam, "leval_em"
		default:
			skipped += len(x.Instructions)
			continue
		}
		for k, inst := range x.Instructions {
			if strings.TrimSpace(x.Outputs[k]) == "" {
				return "", fmt.Errorf("line %d, instruction %d: no output to score against (an empty gold matches any answer)", lineNo[i], k)
			}
			it := Item{Task: task, ID: task + "-" + strconv.Itoa(i) + "-" + strconv.Itoa(k), System: system, Doc: x.Input,
				Golds: []string{x.Outputs[k]}, Metric: metric, MaxNew: levalMaxNew, KeepEnd: task == "codeU"}
			switch {
			case task == "gsm100" || task == "codeU":
				it.Tail = "\n\n" + inst
			case isClosed || x.Evaluation == "exam":
				it.Head = "Document is as follows. "
				it.Tail = " Question: " + inst + " \nPlease directly give answer without any additional output or explanation\n Answer: "
			default:
				it.Head = "Document is as follows. "
				it.Tail = " Instruction: " + inst + " The suggested output length is around " + strconv.Itoa(len(strings.Fields(x.Outputs[k]))) + " words. Output: "
			}
			set.add(it)
		}
	}
	if skipped > 0 {
		note = fmt.Sprintf("leval: %s: %d instructions skipped (judged by a model or people, no automatic metric)", task, skipped)
	}
	return note, nil
}
