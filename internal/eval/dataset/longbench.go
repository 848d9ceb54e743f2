package dataset

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// LongBench's prompt templates (THUDM/LongBench LongBench/config/
// dataset2prompt.json, MIT), re-typed byte for byte, typos included.
var longBenchPrompts = map[string]string{
	"narrativeqa":          "You are given a story, which can be either a novel or a movie script, and a question. Answer the question asconcisely as you can, using a single phrase if possible. Do not provide any explanation.\n\nStory: {context}\n\nNow, answer the question based on the story asconcisely as you can, using a single phrase if possible. Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
	"qasper":               "You are given a scientific article and a question. Answer the question as concisely as you can, using a single phrase or sentence if possible. If the question cannot be answered based on the information in the article, write \"unanswerable\". If the question is a yes/no question, answer \"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n\nArticle: {context}\n\n Answer the question based on the above article as concisely as you can, using a single phrase or sentence if possible. If the question cannot be answered based on the information in the article, write \"unanswerable\". If the question is a yes/no question, answer \"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
	"multifieldqa_en":      "Read the following text and answer briefly.\n\n{context}\n\nNow, answer the following question based on the above text, only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
	"multifieldqa_zh":      "阅读以下文字并用中文简短回答：\n\n{context}\n\n现在请基于上面的文章回答下面的问题，只告诉我答案，不要输出任何其他字词。\n\n问题：{input}\n回答：",
	"hotpotqa":             "Answer the question based on the given passages. Only give me the answer and do not output any other words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given passages. Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
	"2wikimqa":             "Answer the question based on the given passages. Only give me the answer and do not output any other words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given passages. Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
	"musique":              "Answer the question based on the given passages. Only give me the answer and do not output any other words.\n\nThe following are given passages.\n{context}\n\nAnswer the question based on the given passages. Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:",
	"dureader":             "请基于给定的文章回答下述问题。\n\n文章：{context}\n\n请基于上述文章回答下面的问题。\n\n问题：{input}\n回答：",
	"gov_report":           "You are given a report by a government agency. Write a one-page summary of the report.\n\nReport:\n{context}\n\nNow, write a one-page summary of the report.\n\nSummary:",
	"qmsum":                "You are given a meeting transcript and a query containing a question or instruction. Answer the query in one or more sentences.\n\nTranscript:\n{context}\n\nNow, answer the query based on the above meeting transcript in one or more sentences.\n\nQuery: {input}\nAnswer:",
	"multi_news":           "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n{context}\n\nNow, write a one-page summary of all the news.\n\nSummary:",
	"vcsum":                "下面有一段会议记录，请你阅读后，写一段总结，总结会议的内容。\n会议记录：\n{context}\n\n会议总结：",
	"trec":                 "Please determine the type of the question below. Here are some examples of questions.\n\n{context}\n{input}",
	"triviaqa":             "Answer the question based on the given passage. Only give me the answer and do not output any other words. The following are some examples.\n\n{context}\n\n{input}",
	"samsum":               "Summarize the dialogue into a few short sentences. The following are some examples.\n\n{context}\n\n{input}",
	"lsht":                 "请判断给定新闻的类别，下面是一些例子。\n\n{context}\n{input}",
	"passage_count":        "There are some paragraphs below sourced from Wikipedia. Some of them may be duplicates. Please carefully read these paragraphs and determine how many unique paragraphs there are after removing duplicates. In other words, how many non-repeating paragraphs are there in total?\n\n{context}\n\nPlease enter the final count of unique paragraphs after removing duplicates. The output format should only contain the number, such as 1, 2, 3, and so on.\n\nThe final answer is: ",
	"passage_retrieval_en": "Here are 30 paragraphs from Wikipedia, along with an abstract. Please determine which paragraph the abstract is from.\n\n{context}\n\nThe following is an abstract.\n\n{input}\n\nPlease enter the number of the paragraph that the abstract is from. The answer format must be like \"Paragraph 1\", \"Paragraph 2\", etc.\n\nThe answer is: ",
	"passage_retrieval_zh": "以下是若干段落文字，以及其中一个段落的摘要。请确定给定的摘要出自哪一段。\n\n{context}\n\n下面是一个摘要\n\n{input}\n\n请输入摘要所属段落的编号。答案格式必须是\"段落1\"，\"段落2\"等格式\n\n答案是：",
	"lcc":                  "Please complete the code given below. \n{context}Next line of code:\n",
	"repobench-p":          "Please complete the code given below. \n{context}{input}Next line of code:\n",
}

// longBenchMaxNew is dataset2maxlen.json.
var longBenchMaxNew = map[string]int{
	"narrativeqa": 128, "qasper": 128, "multifieldqa_en": 64, "multifieldqa_zh": 64, "hotpotqa": 32,
	"2wikimqa": 32, "musique": 32, "dureader": 128, "gov_report": 512, "qmsum": 512, "multi_news": 512,
	"vcsum": 512, "trec": 64, "triviaqa": 32, "samsum": 128, "lsht": 64, "passage_count": 32,
	"passage_retrieval_en": 32, "passage_retrieval_zh": 32, "lcc": 64, "repobench-p": 64,
}

// longBenchMetric is eval.py's dataset2metric in score.Apply ids; the
// first_line: datasets are those eval.py scores by their first line. The
// Chinese qa_f1/rouge use a character segmenter, not jieba.
var longBenchMetric = map[string]string{
	"narrativeqa": "qa_f1", "qasper": "qa_f1", "multifieldqa_en": "qa_f1", "multifieldqa_zh": "qa_f1_zh_char",
	"hotpotqa": "qa_f1", "2wikimqa": "qa_f1", "musique": "qa_f1", "dureader": "rouge_zh_char",
	"gov_report": "rouge_l", "qmsum": "rouge_l", "multi_news": "rouge_l", "vcsum": "rouge_zh_char",
	"trec": "first_line:classification", "triviaqa": "first_line:qa_f1", "samsum": "first_line:rouge_l",
	"lsht": "first_line:classification", "passage_retrieval_en": "retrieval", "passage_count": "count",
	"passage_retrieval_zh": "retrieval", "lcc": "code_sim", "repobench-p": "code_sim",
}

// longBenchRaw are the datasets pred.py sends without the chat template.
var longBenchRaw = map[string]bool{"trec": true, "triviaqa": true, "samsum": true, "lsht": true, "lcc": true, "repobench-p": true}

type longBenchLine struct {
	Input      string   `json:"input"`
	Context    string   `json:"context"`
	Answers    []string `json:"answers"`
	AllClasses []string `json:"all_classes"`
	Dataset    string   `json:"dataset"`
	ID         string   `json:"_id"`
	Length     int      `json:"length"`
}

// lengthBucket is LongBench-E's bucket of an item's length field (words,
// or characters for Chinese).
func lengthBucket(n int) string {
	switch {
	case n < 4000:
		return "0-4k"
	case n < 8000:
		return "4-8k"
	}
	return "8k+"
}

// LoadLongBench reads LongBench v1 (or LongBench-E) jsonl files: path is one
// file or a directory of them. The dataset is each line's "dataset" field,
// else the file name; "<name>_e" files are LongBench-E and keep that task
// name with <name>'s prompt and metric. byLength splits every task into
// LongBench-E's length buckets, "<task>@0-4k", "@4-8k" and "@8k+" (the
// requests are the same, so a run split this way after an unsplit one is
// answered from the store).
func LoadLongBench(path string, byLength bool) (*Set, error) {
	paths, err := files(path, ".jsonl")
	if err != nil {
		return nil, err
	}
	set := newSet("longbench", Middle)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := parseLongBench(set, data, taskName(p), byLength); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return set, nil
}

func parseLongBench(set *Set, data []byte, fileTask string, byLength bool) error {
	lines, lineNo := jsonLines(data)
	if len(lines) == 0 {
		return errEmpty
	}
	for i, l := range lines {
		var x longBenchLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			return fmt.Errorf("line %d: %w", lineNo[i], err)
		}
		task := x.Dataset
		if task == "" {
			task = fileTask
		}
		base := strings.TrimSuffix(task, "_e")
		tmpl, ok := longBenchPrompts[base]
		if !ok {
			return fmt.Errorf("line %d: unknown LongBench dataset %q", lineNo[i], task)
		}
		if len(x.Answers) == 0 {
			return fmt.Errorf("line %d: no answers", lineNo[i])
		}
		metric := longBenchMetric[base]
		if strings.HasSuffix(metric, "classification") && len(x.AllClasses) == 0 {
			return fmt.Errorf("line %d: %s needs all_classes", lineNo[i], task)
		}
		id := x.ID
		if id == "" {
			id = fmt.Sprintf("%s-%d", task, i)
		}
		// One pass, so braces inside the context are never read as slots.
		prompt := strings.NewReplacer("{context}", x.Context, "{input}", x.Input).Replace(tmpl)
		if byLength {
			task += "@" + lengthBucket(x.Length)
		}
		set.add(Item{Task: task, ID: id, Doc: prompt, Golds: x.Answers, Extra: x.AllClasses, Metric: metric,
			MaxNew: longBenchMaxNew[base], Raw: longBenchRaw[base]})
	}
	return nil
}

// longBench2Prompt is LongBench v2's prompts/0shot.txt.
const longBench2Prompt = "Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nFormat your response as follows: \"The correct answer is (insert answer here)\"."

type longBench2Item struct {
	ID         string `json:"_id"`
	Domain     string `json:"domain"`
	Difficulty string `json:"difficulty"`
	Length     string `json:"length"`
	Question   string `json:"question"`
	A          string `json:"choice_A"`
	B          string `json:"choice_B"`
	C          string `json:"choice_C"`
	D          string `json:"choice_D"`
	Answer     string `json:"answer"`
	Context    string `json:"context"`
}

// LongBench v2 groupings: the report's Overall/Easy/Hard/Short/Medium/Long
// rows come from running by "difficulty" and by "length" (the same
// requests, answered from the store after the first run).
var LongBench2Groupings = []string{"domain", "difficulty", "length"}

// LoadLongBench2 reads LongBench v2: its data.json (a JSON array) or the
// same items as jsonl. Tasks are the items' domains in snake case
// ("single_document_qa"...), difficulties or length classes, as by says;
// every item is zero-shot multiple choice with a 128-token answer, scored
// by the extracted letter.
func LoadLongBench2(path, by string) (*Set, error) {
	if !slices.Contains(LongBench2Groupings, by) {
		return nil, fmt.Errorf("dataset: LongBench v2 grouping %q (want %s)", by, strings.Join(LongBench2Groupings, ", "))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	set := newSet("longbench2", Middle)
	if err := parseLongBench2(set, data, by); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}

func parseLongBench2(set *Set, data []byte, by string) error {
	var items []longBench2Item
	if t := strings.TrimSpace(string(data)); strings.HasPrefix(t, "[") {
		if err := json.Unmarshal(data, &items); err != nil {
			return jsonErrAt(data, err)
		}
	} else {
		lines, lineNo := jsonLines(data)
		for i, l := range lines {
			var it longBench2Item
			if err := json.Unmarshal([]byte(l), &it); err != nil {
				return fmt.Errorf("line %d: %w", lineNo[i], err)
			}
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return errEmpty
	}
	for i, x := range items {
		if len(x.Answer) != 1 || !strings.Contains("ABCD", x.Answer) {
			return fmt.Errorf("item %d (counted from 1): answer %q is not one of A-D", i+1, x.Answer)
		}
		group := map[string]string{"domain": x.Domain, "difficulty": x.Difficulty, "length": x.Length}[by]
		task := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(group)), " ", "_")
		task = strings.ReplaceAll(task, "-", "_")
		if task == "" {
			task = "unknown_" + by
		}
		prompt := strings.NewReplacer("$DOC$", strings.TrimSpace(x.Context), "$Q$", strings.TrimSpace(x.Question),
			"$C_A$", strings.TrimSpace(x.A), "$C_B$", strings.TrimSpace(x.B), "$C_C$", strings.TrimSpace(x.C),
			"$C_D$", strings.TrimSpace(x.D)).Replace(longBench2Prompt)
		set.add(Item{Task: task, ID: x.ID, Doc: prompt, Golds: []string{x.Answer}, Metric: "choice", MaxNew: 128})
	}
	return nil
}
