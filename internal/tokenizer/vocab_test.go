package tokenizer

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
)

// kv is one metadata entry of a synthetic vocabulary.
type kv struct {
	key string
	val gguf.Value
}

// parseGGUF writes kvs as a vocab-only GGUF file and parses it back.
func parseGGUF(t *testing.T, kvs []kv) *gguf.File {
	t.Helper()
	w := gguf.NewWriter()
	for _, e := range kvs {
		if err := w.AddKV(e.key, e.val); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tinyBPE is a byte-level BPE vocabulary over "a", "b", "c", "Ġ" (space)
// with the given merges.
func tinyBPE(merges ...string) []kv {
	return []kv{
		{keyModel, gguf.String("gpt2")},
		{keyPre, gguf.String("gpt-2")},
		{keyTokens, gguf.StringArray([]string{"a", "b", "c", "ab", "bc", "Ġ", "Ġa", "<|endoftext|>"})},
		{keyTypes, gguf.Int32Array([]int32{1, 1, 1, 1, 1, 1, 1, 3})},
		{keyMerges, gguf.StringArray(merges)},
		{"tokenizer.ggml.bos_token_id", gguf.Uint32(7)},
		{"tokenizer.ggml.eos_token_id", gguf.Uint32(7)},
	}
}

// tinySPM is a SentencePiece vocabulary with byte fallback; extra tokens
// and their scores are appended after the 3 specials and 256 bytes.
func tinySPM(extra []string, scores []float32) []kv {
	toks := []string{"<unk>", "<s>", "</s>"}
	types := []int32{2, 3, 3}
	sc := []float32{0, 0, 0}
	for b := 0; b < 256; b++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", b))
		types = append(types, 6)
		sc = append(sc, 0)
	}
	for i, s := range extra {
		toks = append(toks, s)
		types = append(types, 1)
		sc = append(sc, scores[i])
	}
	return []kv{
		{keyModel, gguf.String("llama")},
		{keyTokens, gguf.StringArray(toks)},
		{keyTypes, gguf.Int32Array(types)},
		{keyScores, gguf.Float32Array(sc)},
	}
}

func mustTokenizer(t *testing.T, kvs []kv) *Tokenizer {
	t.Helper()
	tk, err := FromGGUF(parseGGUF(t, kvs))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func mustEncode(t *testing.T, tk *Tokenizer, text string, addSpecial, parseSpecial bool) []int32 {
	t.Helper()
	ids, err := tk.Encode(text, addSpecial, parseSpecial)
	if err != nil {
		t.Fatalf("Encode(%q): %v", text, err)
	}
	return ids
}

func TestBPEMergeRankOrder(t *testing.T) {
	tests := []struct {
		merges []string
		text   string
		want   []int32
	}{
		{[]string{"b c", "a b"}, "abc", []int32{0, 4}}, // b+c ranks first: a | bc
		{[]string{"a b", "b c"}, "abc", []int32{3, 2}}, // a+b ranks first: ab | c
		{[]string{"Ġ a"}, "a a", []int32{0, 6}},
		{[]string{"a b"}, "adb", []int32{0, 1}}, // "d" has no token: llama.cpp drops it
		{[]string{"a b", "a b"}, "ab", []int32{3}},
	}
	for _, tc := range tests {
		tk := mustTokenizer(t, tinyBPE(tc.merges...))
		if got := mustEncode(t, tk, tc.text, false, false); !slices.Equal(got, tc.want) {
			t.Errorf("merges %q, %q: got %v want %v", tc.merges, tc.text, got, tc.want)
		}
	}
}

func TestSPMScoresAndByteFallback(t *testing.T) {
	tests := []struct {
		extra  []string
		scores []float32
		text   string
		want   []string
	}{
		{[]string{"▁", "a", "b", "▁a", "ab"}, []float32{-5, -5, -5, -1, -2}, "ab", []string{"▁a", "b"}},
		{[]string{"▁", "a", "b", "▁a", "ab"}, []float32{-5, -5, -5, -2, -1}, "ab", []string{"▁", "ab"}},
		{[]string{"▁", "a", "b", "▁a", "ab", "▁ab"}, []float32{-5, -5, -5, -2, -1, -3}, "ab", []string{"▁ab"}},
		// equal scores: the leftmost pair merges first
		{[]string{"▁", "a", "▁a", "aa"}, []float32{-5, -5, -1, -1}, "aa", []string{"▁a", "a"}},
		// no token: UTF-8 bytes; invalid UTF-8 goes byte by byte too
		{[]string{"▁"}, []float32{-1}, "é\xff", []string{"▁", "<0xC3>", "<0xA9>", "<0xFF>"}},
	}
	for _, tc := range tests {
		tk := mustTokenizer(t, tinySPM(tc.extra, tc.scores))
		var got []string
		for _, id := range mustEncode(t, tk, tc.text, false, false) {
			got = append(got, tk.Token(id))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q with %q %v: got %q want %q", tc.text, tc.extra, tc.scores, got, tc.want)
		}
	}
}

func TestSPMDefaults(t *testing.T) {
	tk := mustTokenizer(t, tinySPM([]string{"▁", "a"}, []float32{-1, -1}))
	if tk.BOS() != 1 || tk.EOS() != 2 || !tk.AddBOS() || tk.AddEOS() {
		t.Errorf("bos %d eos %d addBOS %v addEOS %v, want 1 2 true false", tk.BOS(), tk.EOS(), tk.AddBOS(), tk.AddEOS())
	}
	// Prefix space at the start and after a special token (README #4).
	got := mustEncode(t, tk, "a<s>a", true, true)
	want := []int32{1, tk.lookup("▁"), tk.lookup("a"), 1, tk.lookup("▁"), tk.lookup("a")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	// Decode drops the prefix space unless a BOS was removed before it.
	for _, c := range []struct {
		ids    []int32
		remove bool
		want   string
	}{
		{want[1:3], false, "a"},
		{want[:3], false, " a"},
		{want[:3], true, " a"},
		{want[:4], false, " a"},
	} {
		b, err := tk.Decode(c.ids, c.remove, false)
		if err != nil || string(b) != c.want {
			t.Errorf("Decode(%v, %v) = %q, %v; want %q", c.ids, c.remove, b, err, c.want)
		}
	}
}

func TestBPEDefaults(t *testing.T) {
	base := tinyBPE("a b")
	// Without bos/eos ids in metadata llama.cpp's BPE default is 11 for
	// both (dropped if the vocabulary is smaller); add_bos defaults false.
	tk := mustTokenizer(t, base[:5])
	if tk.BOS() != -1 || tk.EOS() != -1 || tk.AddBOS() || tk.AddEOS() {
		t.Errorf("defaults: bos %d eos %d addBOS %v addEOS %v", tk.BOS(), tk.EOS(), tk.AddBOS(), tk.AddEOS())
	}
	tk = mustTokenizer(t, base)
	if tk.BOS() != 7 || tk.EOS() != 7 || !tk.IsEOG(7) || !tk.IsControl(7) || tk.IsEOG(0) {
		t.Errorf("bos %d eos %d eog %v", tk.BOS(), tk.EOS(), tk.EOG())
	}
	// An out-of-range id in metadata is ignored, as llama.cpp does.
	tk = mustTokenizer(t, append(slices.Clone(base[:5]), kv{"tokenizer.ggml.bos_token_id", gguf.Uint32(99)}))
	if tk.BOS() != -1 {
		t.Errorf("out-of-range bos: got %d", tk.BOS())
	}
	// add_bos_token without a BOS token: Encode reports it.
	tk = mustTokenizer(t, append(slices.Clone(base[:5]), kv{keyAddBOS, gguf.Bool(true)}))
	if _, err := tk.Encode("a", true, false); err == nil {
		t.Error("want error for add_bos without BOS")
	}
	if ids := mustEncode(t, tk, "a", false, false); !slices.Equal(ids, []int32{0}) {
		t.Errorf("got %v", ids)
	}
}

func TestCorruptMetadata(t *testing.T) {
	good := tinyBPE("a b")
	with := func(key string, v gguf.Value) []kv {
		out := slices.Clone(good)
		for i := range out {
			if out[i].key == key {
				out[i].val = v
				return out
			}
		}
		return append(out, kv{key, v})
	}
	without := func(key string) []kv {
		return slices.DeleteFunc(slices.Clone(good), func(e kv) bool { return e.key == key })
	}
	tests := []struct {
		name    string
		kvs     []kv
		wantErr string
	}{
		{"no model", without(keyModel), "no tokenizer.ggml.model"},
		{"model not a string", with(keyModel, gguf.Uint32(1)), "not a string"},
		{"unsupported model", with(keyModel, gguf.String("bert")), `model "bert" is not supported`},
		{"unknown pre", with(keyPre, gguf.String("no-such")), `unknown pre-tokenizer "no-such"`},
		{"unimplemented pre", with(keyPre, gguf.String("gpt-4o")), "not implemented"},
		{"no tokens", without(keyTokens), "no tokenizer.ggml.tokens"},
		{"tokens not strings", with(keyTokens, gguf.Int32Array([]int32{1, 2})), "tokenizer.ggml.tokens"},
		{"empty tokens", with(keyTokens, gguf.StringArray(nil)), "is empty"},
		{"duplicate token", with(keyTokens, gguf.StringArray([]string{"a", "b", "c", "ab", "bc", "Ġ", "a", "x"})), `tokens 0 and 6 are both "a"`},
		{"types length", with(keyTypes, gguf.Int32Array([]int32{1, 1})), "has 2 entries for 8 tokens"},
		{"types not ints", with(keyTypes, gguf.StringArray([]string{"1"})), "tokenizer.ggml.token_type"},
		{"scores length", with(keyScores, gguf.Float32Array([]float32{0})), "has 1 entries for 8 tokens"},
		{"scores not numbers", with(keyScores, gguf.StringArray([]string{"x"})), "tokenizer.ggml.scores"},
		{"no merges", without(keyMerges), "has no tokenizer.ggml.merges"},
		{"merges not strings", with(keyMerges, gguf.Int32Array([]int32{1})), "tokenizer.ggml.merges"},
		{"merge without space", with(keyMerges, gguf.StringArray([]string{"a b", "ab"})), `merge 1 "ab"`},
		{"empty merge", with(keyMerges, gguf.StringArray([]string{""})), "merge 0"},
		{"add_bos not bool", with(keyAddBOS, gguf.Uint32(1)), "add_bos_token is not a bool"},
		{"bos id not int", with("tokenizer.ggml.bos_token_id", gguf.String("7")), "bos_token_id is not an integer"},
		{"token above U+10FFFF", with(keyTokens, gguf.StringArray([]string{"a", "b", "c", "ab", "bc", "Ġ", "\xf5\x80\x80\x80", "x"})), "above U+10FFFF"},
		{"short byte token", with(keyTypes, gguf.Int32Array([]int32{6, 1, 1, 1, 1, 1, 1, 3})), "byte token 0"},
	}
	for _, tc := range tests {
		_, err := FromGGUF(parseGGUF(t, tc.kvs))
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestFixtureSpecialTokens(t *testing.T) {
	tests := []struct {
		vocab          string
		bos, eos, eot  int32
		addBOS         bool
		eog            []int32
		control, notCt []int32
	}{
		{"ggml-vocab-llama3.gguf", 128000, 128001, 128009, true, []int32{128001, 128009}, []int32{128000, 128255}, []int32{9906}},
		// </s> (128247) is forced to control and made end-of-generation (README #1).
		{"ggml-vocab-qwen3.gguf", 151643, 151645, 151645, false, []int32{128247, 151643, 151645, 151662, 151663, 151664},
			[]int32{128247, 151644}, []int32{151657}},
		{"ggml-vocab-llama-spm.gguf", 1, 2, -1, true, []int32{2}, []int32{1, 2}, []int32{0, 3}},
		{"ggml-vocab-gpt-2.gguf", 50256, 50256, 50256, false, []int32{50256}, []int32{50256}, nil},
		{"ggml-vocab-deepseek-coder.gguf", 32013, 32014, 32014, true, []int32{32014}, []int32{32013}, []int32{32020}},
	}
	for _, tc := range tests {
		tk := loadVocab(t, tc.vocab)
		if tk.BOS() != tc.bos || tk.EOS() != tc.eos || tk.EOT() != tc.eot || tk.AddBOS() != tc.addBOS || tk.AddEOS() {
			t.Errorf("%s: bos %d eos %d eot %d addBOS %v addEOS %v", tc.vocab, tk.BOS(), tk.EOS(), tk.EOT(), tk.AddBOS(), tk.AddEOS())
		}
		if !slices.Equal(tk.EOG(), tc.eog) {
			t.Errorf("%s: EOG %v want %v", tc.vocab, tk.EOG(), tc.eog)
		}
		for _, id := range tc.control {
			if !tk.IsControl(id) {
				t.Errorf("%s: %d %q should be control", tc.vocab, id, tk.Token(id))
			}
		}
		for _, id := range tc.notCt {
			if tk.IsControl(id) {
				t.Errorf("%s: %d %q should not be control", tc.vocab, id, tk.Token(id))
			}
		}
	}
}

// A merge whose left side is not itself a token is still applied (llama.cpp
// looks merges up by text), and a merged span that is not a token falls
// back to the tokens of its single bytes.
func TestBPEMergeThroughNonToken(t *testing.T) {
	vocab := func(merges ...string) []kv {
		return []kv{
			{keyModel, gguf.String("gpt2")},
			{keyPre, gguf.String("gpt-2")},
			{keyTokens, gguf.StringArray([]string{"a", "b", "c", "acb"})},
			{keyMerges, gguf.StringArray(merges)},
		}
	}
	for _, tc := range []struct {
		merges []string
		want   []int32
	}{
		{[]string{"a c", "ac b"}, []int32{3}},
		{[]string{"a c"}, []int32{0, 2, 1}},
	} {
		tk := mustTokenizer(t, vocab(tc.merges...))
		if got := mustEncode(t, tk, "acb", false, false); !slices.Equal(got, tc.want) {
			t.Errorf("merges %q: got %v want %v", tc.merges, got, tc.want)
		}
	}
}
