package tokenizer

import (
	"slices"
	"testing"
)

// words splits text with the named preset's regex list.
func splitWords(t *testing.T, pre, text string) []string {
	t.Helper()
	p, err := lookupPreset(pre)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := decodeLlama([]byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	fl := make([]cpFlags, len(cps))
	for i, r := range cps {
		fl[i] = flagsOf(r)
	}
	var a, b []int
	var out []string
	pos := 0
	for _, n := range preTokenize(p.steps, cps, fl, &a, &b) {
		out = append(out, string(cps[pos:pos+n]))
		pos += n
	}
	if pos != len(cps) {
		t.Fatalf("segments cover %d of %d code points", pos, len(cps))
	}
	return out
}

// The expected splits below are derived by hand from the regex lists
// llama.cpp applies for each pre-tokenizer (see the comments).
func TestPreTokenizerSplits(t *testing.T) {
	tests := []struct {
		pre, text string
		want      []string
	}{
		// default: [\p{P}\$\+<=>\^~\|]+ , GPT-2's regex, \p{N}+, [0-9][0-9][0-9]
		{"default", "Hello, world! 12345 a+b=c $5.00",
			[]string{"Hello", ",", " world", "!", " ", "123", "45", " a", "+", "b", "=", "c", " ", "$", "5", ".", "00"}},
		{"default", "x ١٢", []string{"x", " ", "١٢"}}, // \p{N}+ splits the space off
		{"default", "a`b", []string{"a", "`", "b"}},   // ` is not in the first class
		{"", "x ١٢", []string{"x", " ", "١٢"}},        // absent pre falls back to default
		// falcon: [\p{P}\$\+<=>\^~\|]+ , GPT-2's regex, [0-9][0-9][0-9]
		{"falcon", "x ١٢", []string{"x", " ١٢"}},
		{"falcon", "a `x", []string{"a", " ", "`", "x"}}, // Falcon's first class has the backquote
		{"default", "a `x", []string{"a", " `", "x"}},    // the default's does not
		{"falcon", "n=1234567", []string{"n", "=", "123", "456", "7"}},
		{"falcon", "it's--ok", []string{"it", "'", "s", "--", "ok"}}, // the quote is punctuation first
		// starcoder / refact: \p{N} , GPT-2's regex
		{"starcoder", "abc 123 x1", []string{"abc", " ", "1", "2", "3", " x", "1"}},
		{"refact", "v2.0  end", []string{"v", "2", ".", "0", " ", " end"}},
		// mpt / gpt-2: GPT-2's regex alone (contractions are case-sensitive)
		{"mpt", "I'm  fine\n\nYou're 42!!  ",
			[]string{"I", "'m", " ", " fine", "\n", "\n", "You", "'re", " 42", "!!", "  "}},
		{"gpt-2", "I'M", []string{"I", "'", "M"}},
		{"gpt-2", "a \u00a0b", []string{"a", " ", "\u00a0", "b"}}, // only a literal space joins a word
		// llama3: contractions fold case, digits in threes, [\r\n] ends a punctuation run
		{"llama-bpe", "I'M 1234567 ok?!\n\n  x", []string{"I", "'M", " ", "123", "456", "7", " ok", "?!\n\n", " ", " x"}},
		// qwen2: digits one by one
		{"qwen2", "x 123", []string{"x", " ", "1", "2", "3"}},
		// deepseek-llm: [\r\n], \s?[letters]+, \s?[punctuation and ASCII]+, \s+$, [CJK]+, \p{N}+
		{"deepseek-llm", "Hello world\n数字123 ok!  ",
			[]string{"Hello", " world", "\n", "数字", "123", " ok", "!", "  "}},
		{"deepseek-llm", "a[b", []string{"a", "[", "b"}},               // [ is not in the letter class
		{"deepseek-llm", "\u00c0\u212A", []string{"\u00c0", "\u212A"}}, // U+0800-U+4E00 of [一-龥ࠀ-一가-퟿] holds KELVIN SIGN
		{"deepseek-llm", "a  b  ", []string{"a", " ", " b", "  "}},
		{"deepseek-llm", "a。\u3000", []string{"a", "。", "\u3000"}}, // U+3000 is white space, outside the class
		// deepseek-coder: [\r\n], \s?\p{L}+, \s?\p{P}+, [CJK]+, \p{N}
		{"deepseek-coder", "if (x1) {\n\treturn 42;}", []string{"if", " (", "x", "1", ")", " {", "\n", "\treturn", " ", "4", "2", ";}"}},
	}
	for _, tc := range tests {
		got := splitWords(t, tc.pre, tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.pre, tc.text, got, tc.want)
		}
	}
}

func TestPresetLookup(t *testing.T) {
	for _, name := range []string{"llama-bpe", "qwen2", "gpt-2", "deepseek-llm", "deepseek-coder",
		"falcon", "starcoder", "refact", "mpt", "default", ""} {
		if _, err := lookupPreset(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	if _, err := lookupPreset("gpt-4o"); err == nil {
		t.Error("gpt-4o: want not-implemented error")
	}
	if _, err := lookupPreset("no-such-pre"); err == nil {
		t.Error("unknown pre: want error")
	}
	p, _ := lookupPreset("llama-bpe")
	q, _ := lookupPreset("qwen2")
	if !p.cleanSpaces || !p.ignoreMerges || !p.addBOS || q.cleanSpaces || q.ignoreMerges || q.addBOS {
		t.Errorf("flags: llama-bpe %+v qwen2 %+v", p, q)
	}
}
