package gen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tokenizer"
)

// vocabTokenizer counts with a real vocabulary (no BOS), as the built-in
// target does.
type vocabTokenizer struct{ t *tokenizer.Tokenizer }

func (v vocabTokenizer) Count(s string) (int, error) {
	ids, err := v.t.Encode(s, false, false)
	return len(ids), err
}

func llama3(tb testing.TB) vocabTokenizer {
	tb.Helper()
	p := filepath.Join("..", "..", "..", "..", "shared", "fixtures", "tokenizer", "ggml-vocab-llama3.gguf")
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("fixture %s: %v", p, err)
	}
	f, err := gguf.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := tokenizer.FromGGUF(f)
	if err != nil {
		tb.Fatal(err)
	}
	return vocabTokenizer{t}
}

// Fitting with a real BPE vocabulary (Llama 3's) keeps every sample within
// its budget while filling most of it, for every generated suite.
func TestRealTokenizerFits(t *testing.T) {
	tok := llama3(t)
	sq, hp := qaSets(t)
	g, err := New(Config{Seed: 9, Tokenizer: tok, Reserve: 16, SQuAD: sq, HotpotQA: hp})
	if err != nil {
		t.Fatal(err)
	}
	const length = 4096
	for _, suite := range []string{"ruler", "needlebench", "threading", "longbio"} {
		for _, task := range Tasks(suite) {
			s, err := g.Sample(suite, task, length, 1)
			if err != nil {
				t.Fatalf("%s/%s: %v", suite, task, err)
			}
			n, _ := tok.Count(s.Prompt + s.AnswerPrefix)
			budget := length - s.MaxNewTokens - 16
			if n != s.PromptTokens || n > budget {
				t.Errorf("%s/%s: %d tokens (recorded %d), budget %d", suite, task, n, s.PromptTokens, budget)
			}
			if !strings.HasPrefix(task, "qa_") { // the tiny QA files cannot fill 4k
				if float64(n) < 0.9*float64(budget) {
					t.Errorf("%s/%s: only %d of %d tokens used", suite, task, n, budget)
				}
			}
		}
	}
}

// BenchmarkRulerRealTokenizer fits the 13 RULER tasks at 32K tokens with
// Llama 3's vocabulary, 4 samples each: the cost of exact fitting, which
// tokenizes every candidate prompt in full (BenchmarkRuler128K uses the
// byte estimate).
func BenchmarkRulerRealTokenizer(b *testing.B) {
	tok := llama3(b)
	sq, hp := qaSets(b)
	for range b.N {
		g, err := New(Config{Seed: 42, Tokenizer: tok, SQuAD: sq, HotpotQA: hp})
		if err != nil {
			b.Fatal(err)
		}
		tokens := 0
		for _, task := range RulerTasks() {
			for i := range 4 {
				s, err := g.Ruler(task, 32768, i)
				if err != nil {
					b.Fatal(err)
				}
				tokens += s.PromptTokens
			}
		}
		b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "prompt-tokens/s")
	}
}
