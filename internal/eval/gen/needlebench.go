package gen

import (
	"fmt"
	"strconv"
	"strings"
)

// NeedleBench v2 (OpenCompass) prompt wording, English, question at the
// end, re-typed from opencompass/datasets/needlebench_v2 (Apache-2.0).
const (
	nbOriginTemplate    = "This is a test of long-text capability. You need to first read the long document below, and then answer the final question based on the information in the document.\nThe content of the long document is as follows\n\n<Document>\n{context}\n</Document>\n\nBased on the information in the document, now please answer: {question}\n"
	nbParallelTemplate  = "This is a test of long-text capability. You need to first read the long document below, and then answer the final questions one by one based on the information in the document.\nThe content of the long document is as follows\n\n<Document>\n{context}\n</Document>\n\nBased on the information in the document, now please answer: {question}\n"
	nbKinshipExamples   = "For example:\nExample 1: If James Hill's father is Jasmine Lane, and no further information about familial relationships is provided in the text, then the oldest relative James Hill can trace back to in the provided text is \\boxed{Jasmine Lane}.\nExample 2: If Andrew Williams's grandmother is Dan Newton, and Dan Newton's father is James Hill, and no further information about familial relationships is provided in the text, then the oldest relative Andrew Williams can trace back to in the provided text is \\boxed{James Hill}.\nExample 3: If Jeff White's father is Kevin Le, Dan Newton's grandmother is Jeff White, and Jeff White's father is Kevin Le, and Shelley Mills is Dan Newton's great-granddaughter, and no further information about familial relationships is provided in the text, then the oldest relative Shelley Mills can trace back to in the provided text is \\boxed{Kevin Le}.\n\nNotes:\n1. You do not need to worry about the gender consistency of names in this test. For example, a name that is typically considered feminine can still be the father of another person. Our primary focus is on who is older.\n2. Ignore surname inheritance issues. For instance, Andrew Williams could still be the biological father of Christopher Baker. We only care about who is older and do not need to consider whether a child should inherit the father's or mother's surname.\n3. At the end of your response, remember to put your final answer within \\boxed{}. For example: \"So the oldest relative '{last_person}' can trace back to in the provided text is \\boxed{"
	nbReasoningTemplate = "This is a test of long-text capability. You need to first read the long document below, and then answer the final question based on the information in the document.\nThe content of the long document is as follows\n\n<Document>\n{context}\n</Document>\n\nBased on the information in the document, now please answer: {question}\n\n" + nbKinshipExamples + "(your answer here)}.\"\n\n"
	nbATCTemplate       = "Here is a test for multi-step reasoning ability called the Ancestral Trace Challenge. In this test, we will simulate different people's familial relationships, and your task is to continuously reason through them until you identify the eldest ancestor.\n\n" + nbKinshipExamples + "somebody (your answer here)}.\"\n\nNow, the scrambled family relationships are provided below:\n{context}\n\nGiven the scrambled family relationships described above, who is the eldest relative that '{last_person}' can trace back to in the context?\n"
	nbKinshipQuestion   = "Given the context described above, who is the eldest relative that '{last_person}' can trace back to in the context?"
)

var (
	nbRelationTerms     = []string{"father", "mother", "dad", "mom", "grandfather", "grandmother", "maternal grandmother", "maternal grandfather", "paternal grandfather", "paternal grandmother"}
	nbRelationTemplates = []string{
		"{A} is {B}'s {relationship}.",
		"{B}'s {relationship} is {A}.",
		"{A}, as {B}'s {relationship}, has a significant impact on {B}'s upbringing.",
		"{A} is not only {B}'s {relationship} but also {B}'s role model.",
		"During {B}'s upbringing, {A} was not only {B}'s {relationship}, but also {B}'s guardian.",
		"For {B}, {A} is not just a {relationship}, but also a friend.",
		"For {B}, {A} is more than just a {relationship}; {A} is a lifelong mentor of {B}.",
	}
	// nbDepths are NeedleBench v2's needle depths in percent.
	nbDepths = []int{0, 10, 21, 31, 42, 52, 63, 73, 84, 94, 100}
)

type nbTask struct {
	kind    string // single, parallel, reasoning, atc
	needles int    // reasoning: kinship statements
	maxNew  int
}

var needleBenchTasks = map[string]nbTask{
	"single_retrieval":  {kind: "single", maxNew: 128},
	"multi_retrieval":   {kind: "parallel", maxNew: 512},
	"multi_reasoning_2": {kind: "reasoning", needles: 2, maxNew: 512},
	"multi_reasoning_3": {kind: "reasoning", needles: 3, maxNew: 512},
	"multi_reasoning_4": {kind: "reasoning", needles: 4, maxNew: 512},
	"multi_reasoning_5": {kind: "reasoning", needles: 5, maxNew: 512},
	"ancestral_trace":   {kind: "atc", maxNew: 1024},
}

// NeedleBenchTasks lists the NeedleBench tasks in report order.
func NeedleBenchTasks() []string {
	return []string{"single_retrieval", "multi_retrieval", "multi_reasoning_2", "multi_reasoning_3",
		"multi_reasoning_4", "multi_reasoning_5", "ancestral_trace"}
}

// nbFact is a generated retrieval needle: a made-up fact, its question, the
// answer format the question asks for, and the keyword a right answer holds.
type nbFact struct{ needle, question, format, keyword, subject string }

func newFact(r *rng) nbFact {
	places := placeNames()
	switch r.intn(3) {
	case 0:
		p := places[r.intn(len(places))]
		item := title(adjectives[r.intn(len(adjectives))] + " " + nouns[r.intn(len(nouns))])
		return nbFact{
			needle:   "Hidden on " + p + " Island is the legendary " + item + ".",
			question: "What legendary item is hidden on " + p + " Island?",
			format:   "The legendary item hidden on " + p + " Island is ______",
			keyword:  item, subject: p + " Island",
		}
	case 1:
		who := personName(r)
		dish := nouns[r.intn(len(nouns))]
		spice := adjectives[r.intn(len(adjectives))] + " " + nouns[r.intn(len(nouns))]
		return nbFact{
			needle:   "The secret ingredient of " + who + "'s famous " + dish + " soup is " + spice + ".",
			question: "What is the secret ingredient of " + who + "'s famous " + dish + " soup?",
			format:   "The secret ingredient of " + who + "'s famous " + dish + " soup is ______",
			keyword:  spice, subject: who,
		}
	default:
		p := places[r.intn(len(places))]
		pw := nouns[r.intn(len(nouns))] + "-" + strconv.Itoa(r.between(1000, 9999))
		return nbFact{
			needle:   "The password to the " + p + " archive is " + pw + ".",
			question: "What is the password to the " + p + " archive?",
			format:   "The password to the " + p + " archive is ______",
			keyword:  pw, subject: p + " archive",
		}
	}
}

// kinshipChain returns n+1 distinct names and n shuffled statements, each
// making names[i] an elder of names[i+1].
func kinshipChain(r *rng, n int) (names, statements []string) {
	names = distinctNames(r, n+1)
	for i := range n {
		t := nbRelationTemplates[r.intn(len(nbRelationTemplates))]
		term := nbRelationTerms[r.intn(len(nbRelationTerms))]
		statements = append(statements, fill(t, "{A}", names[i], "{B}", names[i+1], "{relationship}", term))
	}
	r.shuffle(len(statements), func(i, j int) { statements[i], statements[j] = statements[j], statements[i] })
	return names, statements
}

// NeedleBench makes sample index of a NeedleBench v2-style task at length
// tokens. The haystack is the essay (units: sentences), needles stand on
// lines of their own. single_retrieval cycles its needle through the 11
// NeedleBench depths by index; multi_retrieval puts one needle at each
// depth; multi_reasoning_N puts N kinship statements 10% of the context
// apart starting at the index's depth; ancestral_trace has no haystack and
// fits the number of kinship statements (units) to the length. Needles and
// names are generated, not NeedleBench's files.
func (g *Generator) NeedleBench(task string, length, index int) (Sample, error) {
	t, ok := needleBenchTasks[task]
	if !ok {
		return Sample{}, fmt.Errorf("gen: unknown needlebench task %q", task)
	}
	budget := length - t.maxNew - g.cfg.Reserve
	mk := func(i int) buildFunc {
		return func(u int) (Sample, error) {
			r := newRNG(g.cfg.Seed, "needlebench", task, length, i)
			depth := nbDepths[i%len(nbDepths)]
			s := Sample{Suite: "needlebench", Task: task, Cell: task, Length: length, Index: i, MaxNewTokens: t.maxNew}
			switch t.kind {
			case "single":
				f := newFact(r)
				sents := g.essayWindow(r, u)
				ctx := spliceLines(sents, []string{f.needle}, []int{depthPos(u, depth)})
				s.Depth = depth
				s.Prompt = fill(nbOriginTemplate, "{context}", ctx, "{question}", f.question+" Please answer in the format of '"+f.format+".'")
				s.Golds, s.Metric = []string{f.keyword}, "keyword_all"
			case "parallel":
				var facts []nbFact
				seen := map[string]bool{}
				for len(facts) < len(nbDepths) {
					f := newFact(r)
					if seen[f.subject] || seen[f.keyword] {
						continue
					}
					seen[f.subject], seen[f.keyword] = true, true
					facts = append(facts, f)
				}
				sents := g.essayWindow(r, u)
				var needles, qs, formats []string
				var pos []int
				for k, f := range facts {
					needles = append(needles, f.needle)
					pos = append(pos, depthPos(u, nbDepths[k]))
					qs = append(qs, f.question)
					formats = append(formats, f.format)
					s.Golds = append(s.Golds, f.keyword)
				}
				q := strings.Join(qs, "、") + "Please answer in the format of '" + strings.Join(formats, "、") + "'"
				s.Prompt = fill(nbParallelTemplate, "{context}", spliceLines(sents, needles, pos), "{question}", q)
				s.Metric = "keyword_all"
			case "reasoning":
				names, st := kinshipChain(r, t.needles)
				sents := g.essayWindow(r, u)
				pos := make([]int, len(st))
				for k := range st {
					pos[k] = min(depthPos(u, depth)+depthPos(u, 10*k), u)
				}
				last := names[len(names)-1]
				s.Depth = depth
				s.Prompt = fill(nbReasoningTemplate, "{context}", spliceLines(sents, st, pos),
					"{question}", fill(nbKinshipQuestion, "{last_person}", last), "{last_person}", last)
				s.Golds, s.Metric = []string{names[0]}, "boxed_match"
			case "atc":
				names, st := kinshipChain(r, u)
				last := names[len(names)-1]
				s.Prompt = fill(nbATCTemplate, "{context}", strings.Join(st, " "), "{last_person}", last)
				s.Golds, s.Metric = []string{names[0]}, "boxed_match"
			}
			return s, nil
		}
	}
	u0, maxU := 100, 0
	if t.kind == "atc" {
		u0, maxU = 10, len(firstNames)*len(lastNames)-1
	}
	u, err := g.fit("needlebench/"+task+"/"+strconv.Itoa(length), mk(0), budget, u0, maxU)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: needlebench %s at %d tokens: %w", task, length, err)
	}
	s, err := fitSample(g.cfg.Tokenizer, mk(index), budget, u)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: needlebench %s at %d tokens, sample %d: %w", task, length, index, err)
	}
	return s, nil
}
