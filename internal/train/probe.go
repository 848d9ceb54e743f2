package train

import (
	"fmt"
	"sort"
	"strings"

	"github.com/longctx/longctx/internal/curriculum"
	"github.com/longctx/longctx/internal/tokenizer"
)

// Probe is a held-out check run during training: for every task of the
// recipe, examples from a curriculum seed the training data never uses,
// scored by exact match of the greedy answer (every answer token the
// argmax, which is what greedy decoding would produce). The training
// loss mixes prose and answers; this says whether the model retrieves.
type Probe struct {
	Tasks    []string
	examples map[string][]Example
}

// ProbeResult is one task's score.
type ProbeResult struct {
	Task           string
	Correct, Total int
}

// probeSeedOffset moves the probe's curriculum seed away from the
// recipe's; copy_tokens indices start past any step*1000+k of a run.
const (
	probeSeedOffset = 0x70726f6265
	probeIndexBase  = 1 << 40
)

// NewProbe makes perTask examples of about tokens tokens for each task
// the recipe samples (in any stage).
func (r Recipe) NewProbe(tok *tokenizer.Tokenizer, perTask, tokens int) (*Probe, error) {
	if perTask < 1 || tokens < 16 || tokens > r.Model.Ctx {
		return nil, fmt.Errorf("train: probe of %d examples of %d tokens (need >= 1 and 16..ctx %d)", perTask, tokens, r.Model.Ctx)
	}
	set := map[string]bool{}
	for t := range r.Tasks {
		set[t] = true
	}
	for _, st := range r.Stages {
		for t := range st.Tasks {
			set[t] = true
		}
	}
	p := &Probe{examples: map[string][]Example{}}
	for t := range set {
		p.Tasks = append(p.Tasks, t)
	}
	sort.Strings(p.Tasks)
	gen, err := curriculum.New(r.Seed + probeSeedOffset).WithVariety(r.variety(r.Stages[len(r.Stages)-1]))
	if err != nil {
		return nil, err
	}
	for _, t := range p.Tasks {
		for i := range perTask {
			e, err := r.example(gen, tok, t, probeIndexBase+i, tokens, min(2*tokens, r.Model.Ctx))
			if err != nil {
				return nil, err
			}
			p.examples[t] = append(p.examples[t], e)
		}
	}
	return p, nil
}

// Run scores the model on every task.
func (p *Probe) Run(m *Model) ([]ProbeResult, error) {
	V := m.Cfg.Vocab
	var out []ProbeResult
	for _, t := range p.Tasks {
		res := ProbeResult{Task: t}
		for _, e := range p.examples[t] {
			logits, err := m.Logits(e.Tokens)
			if err != nil {
				return nil, err
			}
			res.Total++
			if answerIsArgmax(e, logits, V) {
				res.Correct++
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// answerIsArgmax reports whether every full-weight target but the final
// end-of-sequence is its row's argmax.
func answerIsArgmax(e Example, logits []float32, V int) bool {
	for t := 1; t < len(e.Tokens)-1; t++ {
		if e.Weight[t] != 1 {
			continue
		}
		row := logits[(t-1)*V : t*V]
		best := 0
		for j, x := range row {
			if x > row[best] {
				best = j
			}
		}
		if int32(best) != e.Tokens[t] {
			return false
		}
	}
	return true
}

// FormatProbe is a one-line summary: "task k/n ..." and the overall share.
func FormatProbe(res []ProbeResult) string {
	var b strings.Builder
	c, n := 0, 0
	for _, r := range res {
		fmt.Fprintf(&b, " %s %d/%d", r.Task, r.Correct, r.Total)
		c += r.Correct
		n += r.Total
	}
	return fmt.Sprintf("%.0f%% exact:%s", 100*float64(c)/float64(max(1, n)), b.String())
}
