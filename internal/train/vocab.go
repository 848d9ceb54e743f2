package train

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tokenizer"
)

// SentencePiece token types, as llama.cpp numbers them.
const (
	typeNormal  = 1
	typeUnknown = 2
	typeControl = 3
	typeByte    = 6
)

// Vocab is a SentencePiece ("llama") vocabulary with byte fallback:
// <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, the single
// characters of the training text, then merged pieces in the order BPE
// learned them, scored so that llama.cpp's score-ordered merging replays
// that order.
type Vocab struct {
	Tokens []string
	Scores []float32
	Types  []int32
}

// Special token ids.
const (
	UnkID = 0
	BOSID = 1
	EOSID = 2
)

const spaceMarker = "▁"

// TrainVocab learns a vocabulary of size tokens from text by byte-pair
// merging within words (a word is an optional leading space and a run of
// letters). Digits and punctuation are never merged, so every number is
// spelled digit by digit — which makes copying numbers and keys a
// token-by-token job for the model.
func TrainVocab(text string, size int) (*Vocab, error) {
	v := &Vocab{}
	add := func(tok string, score float32, typ int32) {
		v.Tokens = append(v.Tokens, tok)
		v.Scores = append(v.Scores, score)
		v.Types = append(v.Types, typ)
	}
	add("<unk>", 0, typeUnknown)
	add("<s>", 0, typeControl)
	add("</s>", 0, typeControl)
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), 0, typeByte)
	}
	norm := spaceMarker + strings.ReplaceAll(text, " ", spaceMarker)
	// Single characters: every one that occurs, in code-point order.
	chars := map[rune]int{}
	for _, r := range norm {
		chars[r]++
	}
	var alphabet []rune
	for r := range chars {
		if r != '\n' && r != utf8RuneError {
			alphabet = append(alphabet, r)
		}
	}
	sort.Slice(alphabet, func(i, j int) bool { return alphabet[i] < alphabet[j] })
	if len(v.Tokens)+len(alphabet) > size {
		return nil, fmt.Errorf("train: vocabulary of %d is too small for %d special, byte and character tokens", size, len(v.Tokens)+len(alphabet))
	}
	for _, r := range alphabet {
		add(string(r), 0, typeNormal)
	}

	// Words and their counts.
	counts := map[string]int{}
	rs := []rune(norm)
	for i := 0; i < len(rs); {
		j := i
		if string(rs[j]) == spaceMarker {
			j++
		}
		k := j
		for k < len(rs) && unicode.IsLetter(rs[k]) {
			k++
		}
		if k == j { // not a word: a single character
			i = max(i+1, j)
			continue
		}
		counts[string(rs[i:k])]++
		i = k
	}
	type word struct {
		syms  []string
		count int
	}
	var words []word
	keys := make([]string, 0, len(counts))
	for w := range counts {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	for _, w := range keys {
		var syms []string
		for _, r := range w {
			syms = append(syms, string(r))
		}
		words = append(words, word{syms, counts[w]})
	}
	have := map[string]bool{}
	for _, t := range v.Tokens {
		have[t] = true
	}
	for rank := 0; len(v.Tokens) < size; rank++ {
		pairs := map[[2]string]int{}
		for _, w := range words {
			for i := 0; i+1 < len(w.syms); i++ {
				pairs[[2]string{w.syms[i], w.syms[i+1]}] += w.count
			}
		}
		var best [2]string
		bestN := 0
		for p, n := range pairs {
			if n > bestN || n == bestN && p[0]+"\x00"+p[1] < best[0]+"\x00"+best[1] {
				best, bestN = p, n
			}
		}
		if bestN < 2 {
			break // nothing left worth merging
		}
		merged := best[0] + best[1]
		for wi := range words {
			s := words[wi].syms
			out := s[:0]
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == best[0] && s[i+1] == best[1] {
					out = append(out, merged)
					i++
				} else {
					out = append(out, s[i])
				}
			}
			words[wi].syms = out
		}
		if !have[merged] {
			have[merged] = true
			add(merged, -float32(rank+1), typeNormal)
		}
	}
	return v, nil
}

// DigitPairs is the number of pieces AddDigitPairs adds.
const DigitPairs = 100

// AddDigitPairs appends the pieces "00".."99", all scored alike, so that
// SentencePiece's merging (highest score first, the leftmost of equal
// scores) spells a number in pairs from its left: 7284913 is 72 84 91 3.
// Copying a number then takes half the steps, and each step is keyed on
// one of a hundred pieces instead of ten: a copy that looks for where the
// piece it just wrote occurs jumps to another number far less often.
func (v *Vocab) AddDigitPairs() {
	for d := range DigitPairs {
		v.Tokens = append(v.Tokens, fmt.Sprintf("%02d", d))
		v.Scores = append(v.Scores, 0)
		v.Types = append(v.Types, typeNormal)
	}
}

const utf8RuneError = '\uFFFD'

// AddTo writes the vocabulary as GGUF tokenizer metadata.
func (v *Vocab) AddTo(w *gguf.Writer) error {
	kvs := []metaKV{
		{"tokenizer.ggml.model", gguf.String("llama")},
		{"tokenizer.ggml.tokens", gguf.StringArray(v.Tokens)},
		{"tokenizer.ggml.scores", gguf.Float32Array(v.Scores)},
		{"tokenizer.ggml.token_type", gguf.Int32Array(v.Types)},
		{"tokenizer.ggml.bos_token_id", gguf.Uint32(BOSID)},
		{"tokenizer.ggml.eos_token_id", gguf.Uint32(EOSID)},
		{"tokenizer.ggml.unknown_token_id", gguf.Uint32(UnkID)},
		{"tokenizer.ggml.add_bos_token", gguf.Bool(true)},
		{"tokenizer.ggml.add_eos_token", gguf.Bool(false)},
	}
	for _, kv := range kvs {
		if err := w.AddKV(kv.k, kv.v); err != nil {
			return err
		}
	}
	return nil
}

// Tokenizer builds the tokenizer llama.cpp (and internal/tokenizer) would
// build from this vocabulary's GGUF metadata, so training data is
// tokenized exactly as the exported model's input will be.
func (v *Vocab) Tokenizer() (*tokenizer.Tokenizer, error) {
	if len(v.Tokens) < 3+256 {
		return nil, errors.New("train: vocabulary has no byte tokens")
	}
	w := gguf.NewWriter()
	if err := v.AddTo(w); err != nil {
		return nil, err
	}
	var b strings.Builder
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	f, err := gguf.Parse([]byte(b.String()))
	if err != nil {
		return nil, err
	}
	return tokenizer.FromGGUF(f)
}
