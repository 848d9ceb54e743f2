package train

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/tokenizer"
)

const vocabText = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on the mat at 10:45, then the cat ran.\n" +
	"the key of the blue door is 8812734. what is the key of the blue door? Answer: 8812734"

func TestVocabRoundTripAndDigits(t *testing.T) {
	v, err := TrainVocab(strings.Repeat(vocabText+"\n", 3), 320)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) != 320 {
		t.Fatalf("vocabulary has %d tokens, want 320", len(v.Tokens))
	}
	tok, err := v.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{vocabText, "unseen wörds ✓ and 0123456789", "  two  spaces\n\nnewlines"} {
		ids, err := tok.Encode(s, false, false)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tok.Decode(ids, true, false)
		if err != nil {
			t.Fatal(err)
		}
		if string(back) != s {
			t.Errorf("round trip of %q gave %q", s, back)
		}
	}
	// Numbers are spelled one digit per token.
	if got := pieces(tok, "8812734"); got != "▁|8|8|1|2|7|3|4" {
		t.Errorf("8812734 tokenized as %s", got)
	}
	// Frequent words become single pieces.
	ids, _ := tok.Encode("the cat", false, false)
	if len(ids) != 2 {
		t.Errorf("'the cat' is %d tokens, want 2", len(ids))
	}
}

// testVocab is a small vocabulary trained on vocabText and vocabText's ids.
func testVocab(t *testing.T) (*Vocab, []int32) {
	t.Helper()
	v, err := TrainVocab(vocabText, 300)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tok.Encode(vocabText, true, false)
	if err != nil {
		t.Fatal(err)
	}
	return v, ids
}

// TestExportMatchesEngine trains a tiny model a few steps, exports it and
// checks that internal/model computes the trainer's logits.
// exportedLogits writes tm as GGUF, loads it with the engine's model and
// returns it with the logits of every position of ids.
func exportedLogits(t *testing.T, tm *Model, v *Vocab, opts ExportOptions, ids []int32) (*model.Model, []float32) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := tm.WriteGGUF(&buf, v, opts); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := m.NewCache(len(ids), tensor.F32)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.Forward(ids, 0, cache, true)
	if err != nil {
		t.Fatal(err)
	}
	return m, logits
}

func TestExportMatchesEngine(t *testing.T) {
	v, ids := testVocab(t)
	for _, tied := range []bool{true, false} {
		cfg := Config{Vocab: len(v.Tokens), Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Ctx: 256, RopeBase: 10000, RMSEps: 1e-5, Tied: tied}
		target := make([]float32, len(ids))
		for i := range target {
			target[i] = 1
		}
		tr, err := NewTrainer(cfg, DefaultHyper(3), 2, func(int) ([]Example, error) {
			return []Example{{Tokens: ids, Weight: target}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		runSteps(t, tr, 3)
		want, err := tr.Model.Logits(ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			typ tensor.Type
			tol float64
		}{{tensor.F32, 1e-5}, {tensor.F16, 2e-3}, {tensor.Q8_0, 3e-2}} {
			m, got := exportedLogits(t, tr.Model, v, ExportOptions{Type: c.typ}, ids)
			if m.Config.TiedOutput != tied {
				t.Errorf("tied=%v exported as tied=%v", tied, m.Config.TiedOutput)
			}
			worst := 0.0
			for i := range want {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
			t.Logf("tied=%v %s: max |logit difference| %.3g over %d positions", tied, c.typ, worst, len(ids))
			if worst > c.tol {
				t.Errorf("tied=%v %s: logits differ by up to %.3g (tolerance %g)", tied, c.typ, worst, c.tol)
			}
		}
	}
}

// TestScaledRopeMatchesEngine trains under a RoPE scaling and checks that
// the engine, reading the scaling from the exported file, computes the
// same logits: the trainer's rotation is the runtime's.
func TestScaledRopeMatchesEngine(t *testing.T) {
	v, ids := testVocab(t)
	target := make([]float32, len(ids))
	for i := range target {
		target[i] = 1
	}
	for _, sc := range []struct {
		typ    string
		factor float32
	}{{"yarn", 4}, {"linear", 2}} {
		cfg := Config{Vocab: len(v.Tokens), Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 96, Ctx: 64, RopeBase: 10000, RMSEps: 1e-5, Tied: true}
		tr, err := NewTrainer(cfg, DefaultHyper(3), 2, func(int) ([]Example, error) {
			return []Example{{Tokens: ids[:min(len(ids), 64)], Weight: target[:min(len(ids), 64)]}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := tr.Model.Logits(ids)
		if err != nil {
			t.Fatal(err)
		}
		tr.Scaling = func(int) (string, float32) { return sc.typ, sc.factor }
		runSteps(t, tr, 3)
		want, err := tr.Model.Logits(ids)
		if err != nil {
			t.Fatal(err)
		}
		_, got := exportedLogits(t, tr.Model, v, ExportOptions{Type: tensor.F32, RopeScaling: sc.typ, RopeFactor: sc.factor}, ids)
		worst, moved := 0.0, 0.0
		for i := range want {
			worst = max(worst, math.Abs(float64(got[i]-want[i])))
			moved = max(moved, math.Abs(float64(plain[i]-want[i])))
		}
		t.Logf("%s x%g: max |logit difference| %.3g over %d positions (training moved logits by %.3g)", sc.typ, sc.factor, worst, len(ids), moved)
		if worst > 1e-5 {
			t.Errorf("%s x%g: logits differ by up to %.3g", sc.typ, sc.factor, worst)
		}
		if moved < 1e-3 {
			t.Errorf("%s x%g: logits moved only %.3g: did training run?", sc.typ, sc.factor, moved)
		}
	}
}

// TestDigitPairs: the pairs recipe's vocabulary is the default's with the
// hundred digit pairs after it, and tokenizes as llama.cpp does (ids from
// llama_tokenize, llama.cpp d775b89, on the vocabulary exported by
// `longctx train --recipe pairs --until 1` and `--export`): numbers in
// pairs from the left, ties between equal scores going to the leftmost.
func TestDigitPairs(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two vocabularies")
	}
	def, err := Recipes["default"].BuildVocab()
	if err != nil {
		t.Fatal(err)
	}
	v, err := Recipes["pairs"].BuildVocab()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) != len(def.Tokens)+DigitPairs || !slices.Equal(v.Tokens[:len(def.Tokens)], def.Tokens) {
		t.Fatalf("pairs vocabulary: %d pieces, default's a prefix: %v", len(v.Tokens), slices.Equal(v.Tokens[:len(def.Tokens)], def.Tokens))
	}
	tok, err := v.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	text := "The special magic number for sunny-copper is: 7284913. And 2024-07-15, 1234567890, 5, 05 and x99y.\n"
	want := []int32{1, 355, 387, 386, 416, 370, 836, 264, 307, 319, 320, 320, 338, 341, 276, 333, 1096, 1108, 1115,
		269, 265, 446, 318, 308, 333, 1044, 1048, 264, 1031, 264, 1039, 263, 333, 1036, 1058, 1080, 1102, 1114, 263,
		333, 271, 263, 333, 1029, 449, 333, 328, 1123, 329, 265, 13}
	got, err := tok.Encode(text, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("tokenized as\n%v\nllama.cpp:\n%v", got, want)
	}
	if s := pieces(tok, "7284913"); s != "▁|72|84|91|3" {
		t.Errorf("7284913 tokenized as %s", s)
	}
}

// pieces is text's tokens (no BOS) joined by "|".
func pieces(tok *tokenizer.Tokenizer, text string) string {
	ids, _ := tok.Encode(text, false, false)
	var p []string
	for _, id := range ids {
		p = append(p, tok.Token(id))
	}
	return strings.Join(p, "|")
}
