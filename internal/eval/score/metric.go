package score

import (
	"fmt"
	"sort"
	"strings"
)

// FirstLine is LongBench's rule for its few-shot datasets (trec, triviaqa,
// samsum, lsht): only the first line of the prediction, after leading
// newlines, is scored.
func FirstLine(pred string) string {
	return strings.SplitN(strings.TrimLeft(pred, "\n"), "\n", 2)[0]
}

type metric func(pred string, golds, extra []string) float64

// best lifts a single-reference metric to the max over golds.
func best(f func(pred, gold string) float64) metric {
	return func(pred string, golds, _ []string) float64 { return Best(f, pred, golds) }
}

var metrics = map[string]metric{
	// RULER and the generated suites
	"string_match_all": func(p string, g, _ []string) float64 { return StringMatchAll(RulerPostprocess(p), g) },
	"string_match_part": func(p string, g, _ []string) float64 {
		return StringMatchPart(RulerPostprocess(p), g)
	},
	"keyword_all": func(p string, g, _ []string) float64 { return KeywordsAll(p, g) },
	"boxed_match": best(BoxedMatch),
	"uuid_first": func(p string, g, x []string) float64 {
		return Best(func(p, g string) float64 { return FirstUUID(p, g, x) }, p, g)
	},
	"uuid_f1":      func(p string, g, x []string) float64 { return UUIDSetF1(p, g, x) },
	"contains_all": func(p string, g, _ []string) float64 { return AllContained(p, g) },
	"last_number":  best(LastNumber),
	"in_order":     func(p string, g, _ []string) float64 { return InOrder(p, g) },
	"refusal":      func(p string, _, _ []string) float64 { return Refusal(p) },
	// LongBench v1/v2
	"qa_f1":         best(TokenF1),
	"qa_f1_zh_char": best(TokenF1ZhChars),
	"rouge_l":       best(RougeLPltrdy),
	"rouge_zh_char": best(RougeLZhChars),
	"code_sim":      best(CodeSim),
	"retrieval":     best(Retrieval),
	"count":         best(Count),
	"classification": func(p string, g, c []string) float64 {
		return Best(func(p, g string) float64 { return Classification(p, g, c) }, p, g)
	},
	"choice": best(MultipleChoice),
	// L-Eval
	"leval_rouge": best(LEvalRouge),
	"leval_f1":    best(TokenF1),
	"leval_em":    best(LEvalExactMatch),
	"leval_choice": func(p string, g, _ []string) float64 {
		return Best(func(p, g string) float64 { return LEvalExactMatch(LEvalChoice(p, false), LEvalChoiceGold(g)) }, strings.TrimSpace(p), g)
	},
	"leval_choice_multi": func(p string, g, _ []string) float64 {
		return Best(func(p, g string) float64 { return LEvalExactMatch(LEvalChoice(p, true), LEvalChoiceGold(g)) }, strings.TrimSpace(p), g)
	},
	"leval_number": best(func(p, g string) float64 { return LEvalExactMatch(LEvalNumber(p), LEvalNumber(g)) }),
	"leval_code":   best(func(p, g string) float64 { return LEvalExactMatch(LEvalCodeOutput(p, g), LEvalCodeGold(g)) }),
	// LooGLE
	"rouge_l_recall": best(func(p, g string) float64 { _, r, _ := RougeLPltrdyPRF(p, g); return r }),
	"cloze_exact":    func(p string, g, _ []string) float64 { return ClozeExact(p, ClozeGolds(g)) },
}

// ClozeGolds reads cloze golds written as "<mask-n>: entity" into a map.
func ClozeGolds(golds []string) map[string]string {
	out := make(map[string]string, len(golds))
	for _, g := range golds {
		if k, v, ok := strings.Cut(g, ": "); ok {
			out[k] = v
		}
	}
	return out
}

// Metrics lists the metric ids Apply knows.
func Metrics() []string {
	ids := make([]string, 0, len(metrics))
	for id := range metrics {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Apply scores pred with the metric named id against golds. extra is the
// label set for "classification" and the UUIDs to skip for "uuid_*". A
// "first_line:" prefix scores only FirstLine(pred). Single-reference
// metrics take the best gold.
func Apply(id, pred string, golds, extra []string) (float64, error) {
	if rest, ok := strings.CutPrefix(id, "first_line:"); ok {
		id, pred = rest, FirstLine(pred)
	}
	m, ok := metrics[id]
	if !ok {
		return 0, fmt.Errorf("score: unknown metric %q", id)
	}
	return m(pred, golds, extra), nil
}
