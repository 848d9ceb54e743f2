package gen

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Sample is one prompt with its gold answers.
type Sample struct {
	Suite string // "niah", "ruler", "needlebench", "threading", "longbio", or a file-based suite
	Task  string // the task name ("niah" for the Kamradt grid)
	// Cell is the key this sample's score is averaged under in a summary:
	// the task name, or "depth=<percent>" for the NIAH grid.
	Cell   string
	Length int // the token budget the sample was fitted to
	Depth  int // needle depth in percent where a task places one by depth; else 0
	Index  int

	System       string // system message ("" for none)
	Prompt       string // the task input, without the answer prefix
	AnswerPrefix string // RULER's pre-filled start of the answer ("" for none)
	Golds        []string
	Metric       string // a score id (score.Apply)
	MaxNewTokens int
	// Extra is what some metrics need besides the golds: the label set for
	// "classification", the UUIDs an answer may repeat from the question
	// for "uuid_*".
	Extra []string `json:",omitempty"`
	// TruncatedFrom is the prompt's token count before a file-based
	// suite's truncation rule cut it (0: not cut).
	TruncatedFrom int `json:",omitempty"`
	// Raw asks for the prompt without a chat template where the target
	// allows it (LongBench's few-shot and code tasks).
	Raw bool `json:",omitempty"`

	PromptTokens int // tokens of System+Prompt+AnswerPrefix as counted when fitting
	Units        int // the fitted unit count (haystack words, lines, documents...)
}

// Tokenizer counts the tokens of a text as the target model would.
type Tokenizer interface {
	Count(text string) (int, error)
}

// Estimate is a Tokenizer that guesses: ceil(bytes / BytesPerToken). It
// exists for endpoints that cannot tokenize; whoever uses it must say so in
// the run's report (String gives the wording).
type Estimate struct{ BytesPerToken float64 }

// Count returns the estimated token count.
func (e Estimate) Count(text string) (int, error) {
	if !(e.BytesPerToken > 0) || math.IsInf(e.BytesPerToken, 1) {
		return 0, errors.New("gen: Estimate.BytesPerToken must be positive and finite")
	}
	return int(math.Ceil(float64(len(text)) / e.BytesPerToken)), nil
}

func (e Estimate) String() string {
	return "estimated token counts (" + strconv.FormatFloat(e.BytesPerToken, 'g', -1, 64) + " bytes per token; not the model's tokenizer)"
}

var (
	errEmptyHaystack = errors.New("gen: haystack text is empty")
	// ErrTooShort means the length cannot hold even the smallest sample.
	ErrTooShort = errors.New("gen: length too small for this task")
)

// fullText is what is counted against the budget.
func (s *Sample) fullText() string {
	if s.System == "" {
		return s.Prompt + s.AnswerPrefix
	}
	return s.System + "\n" + s.Prompt + s.AnswerPrefix
}

// buildFunc builds a sample with u units. It must be deterministic in u.
type buildFunc func(u int) (Sample, error)

// fitUnits finds the largest u >= 1 with tokens(build(u)) <= budget: it
// doubles from u0 until a build overflows, then binary-searches. (RULER
// instead extrapolates an upper bound from one measurement, which fixed
// prompt overhead — few-shot examples — makes too low at short lengths.)
// maxU > 0 caps u (a QA file has only so many documents).
func fitUnits(tok Tokenizer, build buildFunc, budget, u0, maxU int) (int, error) {
	count := func(u int) (int, error) {
		s, err := build(u)
		if err != nil {
			return 0, err
		}
		return tok.Count(s.fullText())
	}
	lo, hi := 0, max(u0, 1) // lo fits (0 = nothing fits yet); hi is the next probe
	if maxU > 0 {
		hi = min(hi, maxU)
	}
	for {
		n, err := count(hi)
		if err != nil {
			return 0, err
		}
		if n > budget {
			hi--
			break
		}
		// Every unit (a word, a line, a document) is at least a token:
		// more units than twice the budget still counted within it means
		// the counts are broken (e.g. a /tokenize that ignores the text),
		// and doubling on would build gigabytes of prompt.
		if hi > 2*budget+16 || hi > 1<<26 {
			return 0, fmt.Errorf("gen: the prompt does not grow with its unit count (%d units counted as %d tokens): is the tokenizer counting the text?", hi, n)
		}
		if hi == maxU {
			return hi, nil
		}
		lo, hi = hi, 2*hi
		if maxU > 0 {
			hi = min(hi, maxU)
		}
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		n, err := count(mid)
		if err != nil {
			return 0, err
		}
		if n <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return 0, ErrTooShort
	}
	return lo, nil
}

// fitSample builds with u and, if randomness made this sample overflow,
// steps u down until it fits.
func fitSample(tok Tokenizer, build buildFunc, budget, u int) (Sample, error) {
	step := max(1, u/64)
	for u > 0 {
		s, err := build(u)
		if err != nil {
			return Sample{}, err
		}
		n, err := tok.Count(s.fullText())
		if err != nil {
			return Sample{}, err
		}
		if n <= budget {
			s.PromptTokens, s.Units = n, u
			return s, nil
		}
		u -= step
	}
	return Sample{}, ErrTooShort
}

// ParseLength reads a length like "4096", "4k" or "128K" (k = 1024).
func ParseLength(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mul := 1
	switch {
	case strings.HasSuffix(t, "k"):
		mul, t = 1024, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mul, t = 1024*1024, t[:len(t)-1]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 || n > math.MaxInt32/mul {
		return 0, fmt.Errorf("bad length %q (want e.g. 4096, 4k, 128k)", s)
	}
	return n * mul, nil
}

// FormatLength writes a length the way summaries key it: "4k" for multiples
// of 1024, else the number.
func FormatLength(n int) string {
	if n%1024 == 0 {
		return strconv.Itoa(n/1024) + "k"
	}
	return strconv.Itoa(n)
}
