package heads

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/score"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/trace"
	"github.com/longctx/longctx/internal/trace/observe"
)

// Needle is one fact to hide; the model is asked Question and answers by
// repeating Fact (the Kamradt shape the default model is trained on).
type Needle struct {
	Fact     string   `json:"fact"`
	Question string   `json:"question"`
	Golds    []string `json:"golds"` // phrases a correct answer holds (NIAH accuracy)
}

// DefaultNeedles are our own three needles (the reference uses three too).
var DefaultNeedles = []Needle{
	{"The best thing to do in Millbrook is bake a plum pie and sit in Harlow Gardens on a misty day.",
		"What is the best thing to do in Millbrook?", []string{"bake a plum pie", "Harlow Gardens"}},
	{"The best thing to do in Port Avery is grill a fresh fish and sit in Quinn Square on a breezy day.",
		"What is the best thing to do in Port Avery?", []string{"grill a fresh fish", "Quinn Square"}},
	{"The best thing to do in Elmstead is share a warm loaf and sit in Corwin Park on a bright day.",
		"What is the best thing to do in Elmstead?", []string{"share a warm loaf", "Corwin Park"}},
}

// NumberNeedles hide seven-digit numbers under word keys (RULER's needle
// wording): a copy-paste task for models that copy numbers reliably but
// not a sentence-long Kamradt needle, such as the embedded default model.
var NumberNeedles = []Needle{
	{"One of the special magic numbers for quiet-harbor is: 4417261.",
		"What is the special magic number for quiet-harbor mentioned in the provided text?", []string{"4417261"}},
	{"One of the special magic numbers for amber-lantern is: 7093518.",
		"What is the special magic number for amber-lantern mentioned in the provided text?", []string{"7093518"}},
	{"One of the special magic numbers for silent-meadow is: 2685904.",
		"What is the special magic number for silent-meadow mentioned in the provided text?", []string{"2685904"}},
}

// Threshold is the retrieval score above which the paper calls a head a
// retrieval head (it copies at least 10% of the needle).
const Threshold = 0.1

// Options set the grid.
type Options struct {
	Lengths []int // prompt lengths in tokens (default 1000, 2000)
	Depths  []int // needle depths in percent (default 0, 25, 50, 75, 100)
	Needles []Needle
	MaxNew  int    // most answer tokens (default 50)
	Seed    uint64 // haystack seed
	// KeepAll scores every sample, not only correct retrievals (for
	// models too weak to answer most of the grid).
	KeepAll bool
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Lengths) == 0 {
		o.Lengths = []int{1000, 2000}
	}
	if len(o.Depths) == 0 {
		o.Depths = []int{0, 25, 50, 75, 100}
	}
	if len(o.Needles) == 0 {
		o.Needles = DefaultNeedles
	}
	if o.MaxNew == 0 {
		o.MaxNew = 50
	}
	if o.MaxNew < 1 {
		return o, fmt.Errorf("heads: MaxNew must be positive")
	}
	for _, d := range o.Depths {
		if d < 0 || d > 100 {
			return o, fmt.Errorf("heads: depth %d%% outside 0..100", d)
		}
	}
	for _, n := range o.Needles {
		if n.Fact == "" || n.Question == "" {
			return o, fmt.Errorf("heads: a needle needs a fact and a question")
		}
	}
	return o, nil
}

// Sample is one grid prompt.
type Sample struct {
	Length, Depth, Needle int
	Prompt                string
	Tokens                []int32
	Span                  kv.Span // tokens of the needle
}

// tokenCounter counts tokens with the model's tokenizer for gen's fitting.
type tokenCounter struct{ l *trace.Local }

func (c tokenCounter) Count(text string) (int, error) {
	ids, err := c.l.Tok.Encode(text, false, false)
	return len(ids), err
}

// Samples builds the grid's prompts: gen's Kamradt haystack (our essay)
// with the needle at the depth, in the Kamradt prompt shape.
func Samples(l *trace.Local, o Options) ([]Sample, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	g, err := gen.New(gen.Config{Seed: o.Seed, Tokenizer: tokenCounter{l}})
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, length := range o.Lengths {
		for _, depth := range o.Depths {
			for ni, nd := range o.Needles {
				s, err := g.NIAH(length, depth, ni, gen.NIAHOptions{Needle: nd.Fact, Question: nd.Question, Golds: nd.Golds, MaxNewTokens: o.MaxNew})
				if err != nil {
					return nil, err
				}
				prompt := s.System + "\n\n" + s.Prompt
				at := strings.Index(prompt, nd.Fact)
				if at < 0 {
					return nil, fmt.Errorf("heads: the needle is not in the generated prompt")
				}
				ids, spans, err := trace.TokenSpans(l.Tok, prompt, []kv.Span{{From: at, To: at + len(nd.Fact)}})
				if err != nil {
					return nil, err
				}
				out = append(out, Sample{Length: length, Depth: depth, Needle: ni, Prompt: prompt, Tokens: ids, Span: spans[0]})
			}
		}
	}
	return out, nil
}

// HeadScore is one head's retrieval score.
type HeadScore struct {
	Layer   int     `json:"layer"`
	Head    int     `json:"head"`
	Score   float64 `json:"score"`
	Samples int     `json:"samples"`
}

// Report is the saved result of Detect.
type Report struct {
	Model         string               `json:"model"`
	Layers        int                  `json:"layers"`
	HeadsPerLayer int                  `json:"heads_per_layer"`
	Lengths       []int                `json:"lengths"`
	Depths        []int                `json:"depths"`
	Needles       int                  `json:"needles"`
	Samples       int                  `json:"samples"`
	Kept          int                  `json:"kept"` // samples scored (correct, or all with KeepAll)
	KeepAll       bool                 `json:"keep_all,omitempty"`
	Threshold     float64              `json:"threshold"`
	Seconds       float64              `json:"seconds"`
	Heads         []HeadScore          `json:"heads"` // best first
	Raw           map[string][]float64 `json:"raw"`   // "layer-head": per kept sample, the reference format
}

// scoreStep credits the heads whose top-1 attention (argmax[layer][head],
// a position) lands on a needle token equal to the token w just written.
func scoreStep(argmax [][]int, needle kv.Span, tokens []int32, w int32, acc [][]float64) {
	inc := 1 / float64(needle.To-needle.From)
	for l, row := range argmax {
		for h, pos := range row {
			if pos >= needle.From && pos < needle.To && pos < len(tokens) && tokens[pos] == w {
				acc[l][h] += inc
			}
		}
	}
}

// retrieved reports whether out retrieved needle: the paper's test
// (ROUGE-1 recall of the needle above one half), or the accuracy's (every
// gold phrase present), which a short answer such as the number alone
// passes and the recall test would drop.
func retrieved(out string, needle Needle) bool {
	return score.StringMatchAll(out, needle.Golds) >= 1 || needleRecall(out, needle.Fact) > 0.5
}

// needleRecall is ROUGE-1 recall of the needle's words in the output
// (SQuAD-normalised words, clipped counts).
func needleRecall(output, needle string) float64 {
	have := map[string]int{}
	for _, w := range strings.Fields(score.Normalize(output)) {
		have[w]++
	}
	ref := strings.Fields(score.Normalize(needle))
	if len(ref) == 0 {
		return 0
	}
	hit := 0
	for _, w := range ref {
		if have[w] > 0 {
			have[w]--
			hit++
		}
	}
	return float64(hit) / float64(len(ref))
}

// Detect runs the grid and ranks the heads. progress, when set, is called
// after each sample.
func Detect(ctx context.Context, l *trace.Local, name string, o Options, progress func(done, total int, output string)) (*Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	samples, err := Samples(l, o)
	if err != nil {
		return nil, err
	}
	g := l.Geometry()
	rep := &Report{Model: name, Layers: g.Layers, HeadsPerLayer: g.Heads, Lengths: o.Lengths, Depths: o.Depths,
		Needles: len(o.Needles), Samples: len(samples), KeepAll: o.KeepAll, Threshold: Threshold, Raw: map[string][]float64{}}
	sums := newGrid(g)
	am := observe.NewArgmax(g)
	for si, s := range samples {
		acc := newGrid(g)
		ids, err := l.GenerateWatched(ctx, s.Tokens, o.MaxNew, am, func(w int32) {
			scoreStep(am.Pos, s.Span, s.Tokens, w, acc)
			am.Reset()
		})
		if err != nil {
			return nil, err
		}
		out := pieces(l, ids)
		if progress != nil {
			progress(si+1, len(samples), out)
		}
		if !o.KeepAll && !retrieved(out, o.Needles[s.Needle]) {
			continue
		}
		rep.Kept++
		for ly := range acc {
			for h, v := range acc[ly] {
				sums[ly][h] += v
				k := strconv.Itoa(ly) + "-" + strconv.Itoa(h)
				rep.Raw[k] = append(rep.Raw[k], v)
			}
		}
	}
	for ly := range sums {
		for h, v := range sums[ly] {
			hs := HeadScore{Layer: ly, Head: h, Samples: rep.Kept}
			if rep.Kept > 0 {
				hs.Score = v / float64(rep.Kept)
			}
			rep.Heads = append(rep.Heads, hs)
		}
	}
	sort.SliceStable(rep.Heads, func(i, j int) bool { return rep.Heads[i].Score > rep.Heads[j].Score })
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func newGrid(g observe.Geometry) [][]float64 {
	out := make([][]float64, g.Layers)
	for i := range out {
		out[i] = make([]float64, g.Heads)
	}
	return out
}

func pieces(l *trace.Local, ids []int32) string {
	var b []byte
	for _, id := range ids {
		p, _ := l.Tok.Piece(id, false)
		b = append(b, p...)
	}
	return string(b)
}
