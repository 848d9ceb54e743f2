package score

import (
	"fmt"
	"strings"

	"github.com/longctx/longctx/internal/eval/pylit"
)

// ClozeExact is LooGLE's cloze exact match for one answer: the prediction
// is read as a Python dict literal (upstream uses eval), and the score is
// the share of gold masks whose predicted entity is exactly the gold one. A
// prediction that is not a dict scores 0. (LooGLE pools counts over the
// dataset; averaging this share per question weights questions equally.)
func ClozeExact(pred string, gold map[string]string) float64 {
	if len(gold) == 0 {
		return 0
	}
	m, ok := clozeDict(pred)
	if !ok {
		return 0
	}
	hit := 0
	for k, g := range gold {
		if v, ok := m[k]; ok && v == g {
			hit++
		}
	}
	return float64(hit) / float64(len(gold))
}

// clozeDict parses a dict literal with string values: the whole prediction,
// as upstream does, and failing that its outermost {...}, since models
// often add words around the dict (upstream scores those 0).
func clozeDict(pred string) (map[string]string, bool) {
	try := func(s string) (map[string]string, bool) {
		v, err := pylit.Parse(s)
		if err != nil {
			return nil, false
		}
		d, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		out := make(map[string]string, len(d))
		for k, v := range d {
			out[k] = fmt.Sprint(v)
		}
		return out, true
	}
	if m, ok := try(pred); ok {
		return m, true
	}
	i, j := strings.Index(pred, "{"), strings.LastIndex(pred, "}")
	if i >= 0 && j > i {
		return try(pred[i : j+1])
	}
	return nil, false
}
