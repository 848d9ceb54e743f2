package tokenizer

import (
	"bytes"
	"math"
	"slices"
	"sync"
	"testing"
	"unicode/utf8"
)

// goldenTexts returns the texts of the shared test cases.
func goldenTexts(t testing.TB) []string {
	var g goldenFile
	readJSON(t, "golden-qwen3-nobos-nospecial.json", &g)
	var out []string
	for _, c := range g.Cases {
		out = append(out, c.Text)
	}
	return out
}

// Qwen's tokenizer has no clean-up of spaces, so decode inverts encode
// (README #5); special tokens survive when parsed and rendered.
func TestQwenRoundTrip(t *testing.T) {
	tk := loadVocab(t, "ggml-vocab-qwen3.gguf")
	for _, text := range goldenTexts(t) {
		for _, special := range []bool{false, true} {
			ids := mustEncodeTB(t, tk, text, false, special)
			got, err := tk.Decode(ids, false, special)
			if err != nil || string(got) != text {
				t.Errorf("special=%v %q: decoded %q, %v", special, text, got, err)
			}
		}
	}
}

func mustEncodeTB(t testing.TB, tk *Tokenizer, text string, addSpecial, parseSpecial bool) []int32 {
	t.Helper()
	ids, err := tk.Encode(text, addSpecial, parseSpecial)
	if err != nil {
		t.Fatalf("Encode(%q): %v", text, err)
	}
	return ids
}

// streamAll decodes ids one at a time and checks that every chunk is
// valid UTF-8 whenever the pieces so far end on a character boundary.
func streamAll(t *testing.T, tk *Tokenizer, ids []int32, unparse bool) []byte {
	t.Helper()
	d := NewStreamDecoder(tk, unparse)
	var out []byte
	for _, id := range ids {
		b, err := d.Add(id)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) && utf8.Valid(append(append([]byte(nil), out...), b...)) {
			t.Fatalf("chunk %q is not whole characters", b)
		}
		out = append(out, b...)
	}
	return append(out, d.Flush()...)
}

func TestStreamDecoderMatchesPieces(t *testing.T) {
	for _, vocab := range []string{"ggml-vocab-llama3.gguf", "ggml-vocab-qwen3.gguf", "ggml-vocab-llama-spm.gguf"} {
		tk := loadVocab(t, vocab)
		for _, text := range goldenTexts(t) {
			ids := mustEncodeTB(t, tk, text, true, true)
			var want []byte
			for _, id := range ids {
				p, err := tk.Piece(id, true)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, p...)
			}
			if got := streamAll(t, tk, ids, true); !bytes.Equal(got, want) {
				t.Errorf("%s %q: stream %q, pieces %q", vocab, text, got, want)
			}
		}
	}
}

func TestStreamDecoderHoldsPartialSequences(t *testing.T) {
	tk := loadVocab(t, "ggml-vocab-llama-spm.gguf")
	// "é😀" as byte tokens: nothing comes out until a character completes.
	bytesOf := func(s string) (ids []int32) {
		for i := 0; i < len(s); i++ {
			ids = append(ids, tk.spmByteToken[s[i]])
		}
		return ids
	}
	d := NewStreamDecoder(tk, false)
	var chunks []string
	for _, id := range bytesOf("é😀\xff") {
		b, err := d.Add(id)
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, string(b))
	}
	want := []string{"", "é", "", "", "", "😀", "\xff"}
	if !slices.Equal(chunks, want) {
		t.Errorf("chunks %q want %q", chunks, want)
	}
	// A truncated sequence is flushed as is.
	for _, id := range bytesOf("a\xf0\x9f") {
		if _, err := d.Add(id); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Flush(); string(got) != "\xf0\x9f" {
		t.Errorf("flush %q", got)
	}
	if _, err := d.Add(-1); err == nil {
		t.Error("invalid id: want error")
	}
}

func TestInvalidIDs(t *testing.T) {
	tk := loadVocab(t, "ggml-vocab-gpt-2.gguf")
	for _, id := range []int32{-1, int32(tk.NVocab()), 1 << 30} {
		if _, err := tk.Piece(id, true); err == nil {
			t.Errorf("Piece(%d): want error", id)
		}
		if _, err := tk.Decode([]int32{0, id}, false, false); err == nil {
			t.Errorf("Decode(%d): want error", id)
		}
		if tk.Token(id) != "" || tk.IsControl(id) || tk.IsEOG(id) {
			t.Errorf("accessors accept %d", id)
		}
	}
}

// llama.cpp decodes invalid UTF-8 leniently before BPE: a stray byte is
// U+FFFD, an overlong form is decoded to its value, and a code point above
// U+10FFFF is an error (llama.cpp aborts).
func TestInvalidUTF8(t *testing.T) {
	tk := loadVocab(t, "ggml-vocab-llama3.gguf")
	same := [][2]string{
		{"a\xffb", "a\uFFFDb"},
		{"x\x80", "x\uFFFD"},
		{"caf\xc3", "caf\uFFFD"},       // truncated at the end
		{"\xe4\xb8x", "\uFFFD\uFFFDx"}, // each byte of a broken sequence
		{"a\xc0\x80b", "a\x00b"},       // overlong NUL
		{"\xf8\x88\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
	}
	for _, c := range same {
		got := mustEncodeTB(t, tk, c[0], false, false)
		want := mustEncodeTB(t, tk, c[1], false, false)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v (as %q)", c[0], got, want, c[1])
		}
	}
	if _, err := tk.Encode("ok \xf5\x80\x80\x80", false, false); err == nil {
		t.Error("code point above U+10FFFF: want error")
	}
	// SentencePiece never decodes: invalid bytes become byte tokens.
	spm := loadVocab(t, "ggml-vocab-llama-spm.gguf")
	ids := mustEncodeTB(t, spm, "\xf5\x80", false, false)
	if want := []int32{spm.lookup("▁"), spm.spmByteToken[0xF5], spm.spmByteToken[0x80]}; !slices.Equal(ids, want) {
		t.Errorf("spm: got %v want %v", ids, want)
	}
}

func TestCleanSpaces(t *testing.T) {
	for _, c := range [][2]string{
		{"a , b . c ? d !", "a, b. c? d!"},
		{"I 'm you 're we 've he 's", "I'm you're we've he's"},
		{"don 't I 'd we 'll", "don 't I 'd we 'll"},
		{"a ' b", "a'b"},
		{" ,", ","},
		{"", ""},
		{"x ' ' y", "x'' y"}, // the zeroed space stops the second match
	} {
		if got := string(cleanSpaces([]byte(c[0]))); got != c[1] {
			t.Errorf("cleanSpaces(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

func TestCodepointFlags(t *testing.T) {
	for _, c := range []struct {
		r    rune
		want cpFlags
	}{
		{'a', flagLetter}, {'5', flagNumber}, {' ', flagSeparator | flagWhitespace}, {'\n', flagControl | flagWhitespace},
		{'$', flagSymbol}, {'_', flagPunct}, {0x301, flagMark}, {0xA0, flagSeparator | flagWhitespace},
		{0x85, flagControl | flagWhitespace}, {0x1C, flagControl}, {0x378, flagUndefined}, {0xD800, flagControl},
		{0xE000, flagControl}, {0x3000, flagSeparator | flagWhitespace}, {0x2FFC, flagSymbol}, {0x31EF, flagSymbol},
		{0x2EBF0, flagLetter}, {0x2EE5D, flagLetter}, {0x2EE5E, flagUndefined}, {0x1F600, flagSymbol},
		{0xF0000, flagControl}, {0x110000, flagUndefined},
	} {
		if got := flagsOf(c.r); got != c.want {
			t.Errorf("flagsOf(%U) = %#x, want %#x", c.r, got, c.want)
		}
	}
}

func TestBigramOrder(t *testing.T) {
	// Pop order: higher score first, equal scores (including -0 and +0)
	// leftmost first; BPE: lower rank first, then leftmost.
	var h bigramHeap
	spm := []struct {
		score float32
		left  int32
	}{{-1, 0}, {2.5, 7}, {0, 3}, {float32(math.Copysign(0, -1)), 1}, {-1e30, 2}, {2.5, 4}, {-0.5, 9}}
	for _, b := range spm {
		h.push(bigram{key: spmKey(b.score, b.left)})
	}
	var got []int32
	for len(h) > 0 {
		got = append(got, h.pop().left())
	}
	if want := []int32{4, 7, 1, 3, 9, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("spm order %v want %v", got, want)
	}
	for _, b := range [][2]int32{{5, 1}, {0, 9}, {5, 0}, {1 << 30, 2}, {0, 3}} {
		h.push(bigram{key: bpeKey(b[0], b[1])})
	}
	got = got[:0]
	for len(h) > 0 {
		b := h.pop()
		got = append(got, b.rank(), b.left())
	}
	if want := []int32{0, 3, 0, 9, 5, 0, 5, 1, 1 << 30, 2}; !slices.Equal(got, want) {
		t.Errorf("bpe order %v want %v", got, want)
	}
}

func TestConcurrentEncode(t *testing.T) {
	tk := loadVocab(t, "ggml-vocab-qwen3.gguf")
	texts := goldenTexts(t)
	want := make([][]int32, len(texts))
	for i, s := range texts {
		want[i] = mustEncodeTB(t, tk, s, false, true)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i, s := range texts {
				if got, err := tk.Encode(s, false, true); err != nil || !slices.Equal(got, want[i]) {
					t.Errorf("concurrent Encode(%q) differs: %v", s, err)
				}
			}
		})
	}
	wg.Wait()
}
