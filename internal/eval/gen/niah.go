package gen

import (
	"fmt"
	"strconv"
	"strings"
)

// Kamradt's needle, question and prompt wording (gkamradt/LLMTest_NeedleInAHaystack).
const (
	KamradtNeedle   = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
	KamradtQuestion = "What is the best thing to do in San Francisco?"
	kamradtSystem   = "You are a helpful AI bot that answers questions for a user. Keep your response short and direct"
	kamradtSuffix   = " Don't give information outside the document or repeat your findings"
)

// KamradtGolds are the phrases a correct answer must contain. Scoring them
// with string_match_all replaces the original LLM judge: it measures whether
// the needle was retrieved, not how the answer is worded.
var KamradtGolds = []string{"eat a sandwich", "Dolores Park"}

// NIAHOptions configures the Kamradt grid.
type NIAHOptions struct {
	Needle, Question string   // default Kamradt's
	Golds            []string // default KamradtGolds
	// Haystack is "essay" (generated, or Config.Haystack when set) or
	// "noise" (RULER's filler lines; every sample of a cell is then identical).
	Haystack     string
	MaxNewTokens int // default 128
	// PassKey replaces the fixed needle by RULER's single needle: a
	// random word key and 7-digit number per sample, asked and answered
	// with niah_single_1's wording and answer prefix (no system message),
	// so a retrieval model is graded by depth as well as length.
	PassKey bool
}

func (o NIAHOptions) withDefaults() NIAHOptions {
	if o.Needle == "" {
		o.Needle, o.Question, o.Golds = KamradtNeedle, KamradtQuestion, KamradtGolds
	}
	if o.Haystack == "" {
		o.Haystack = "essay"
	}
	if o.MaxNewTokens == 0 {
		o.MaxNewTokens = 128
	}
	return o
}

// NIAH makes sample index of the Kamradt cell (length, depth percent): a
// system message, then the haystack with the needle spliced in at the
// sentence boundary ⌊sentences·depth/100⌋ (depth 100 = at the end), then the
// question. Units are haystack sentences (essay) or lines (noise); each
// sample of a cell starts the essay at its own seeded offset.
func (g *Generator) NIAH(length, depth, index int, o NIAHOptions) (Sample, error) {
	if depth < 0 || depth > 100 {
		return Sample{}, fmt.Errorf("gen: niah depth %d outside 0..100", depth)
	}
	if o.Haystack != "" && o.Haystack != "essay" && o.Haystack != "noise" {
		return Sample{}, fmt.Errorf("gen: niah haystack %q (want essay or noise)", o.Haystack)
	}
	o = o.withDefaults()
	budget := length - o.MaxNewTokens - g.cfg.Reserve
	mk := func(i int) buildFunc {
		return func(u int) (Sample, error) {
			r := newRNG(g.cfg.Seed, "niah", length, depth, i)
			sents := make([]string, u)
			if o.Haystack == "noise" {
				for j := range sents {
					sents[j] = NoiseSentences
				}
			} else {
				start := r.intn(len(g.essay.sentences))
				for j := range sents {
					sents[j] = g.essay.sentences[(start+j)%len(g.essay.sentences)]
				}
			}
			pos := u * depth / 100
			sep := " "
			if o.Haystack == "noise" {
				sep = "\n"
			}
			needle, key, value := o.Needle, "", ""
			if o.PassKey {
				key, value = randomOf(r, "words"), randomOf(r, "numbers")
				needle = fill(niahNeedle, "{type_needle_v}", "numbers", "{key}", key, "{value}", value)
			}
			var b strings.Builder
			writeJoined(&b, sents[:pos], sep)
			if pos > 0 {
				b.WriteString(sep)
			}
			b.WriteString(needle)
			if pos < u {
				b.WriteString(sep)
				writeJoined(&b, sents[pos:], sep)
			}
			s := Sample{
				Suite: "niah", Task: "niah", Cell: "depth=" + strconv.Itoa(depth),
				Length: length, Depth: depth, Index: i,
				Metric:       metricAll,
				MaxNewTokens: o.MaxNewTokens,
			}
			if o.PassKey {
				s.Golds = []string{value}
				s.Prompt = fill(singular(niahTemplate), "{type_needle_v}", "number", "{query}", key, "{context}", b.String())
				s.AnswerPrefix = fill(singular(niahPrefix), "{type_needle_v}", "number", "{query}", key)
			} else {
				s.System = kamradtSystem
				s.Prompt = b.String() + "\n\n" + o.Question + kamradtSuffix
				s.Golds = append([]string(nil), o.Golds...)
			}
			return s, nil
		}
	}
	needle := o.Needle
	if o.PassKey {
		needle = "passkey"
	}
	key := "niah/" + o.Haystack + "/" + strconv.Itoa(length) + "/" + strconv.Itoa(depth) + "/" + needle
	u, err := g.fit(key, mk(0), budget, 25, 0)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: niah at %d tokens: %w", length, err)
	}
	s, err := fitSample(g.cfg.Tokenizer, mk(index), budget, u)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: niah at %d tokens, depth %d, sample %d: %w", length, depth, index, err)
	}
	return s, nil
}
