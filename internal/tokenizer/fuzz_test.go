package tokenizer

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzEncodeDecode checks, on every fixture vocabulary, that Encode and
// Decode never panic, that ids stay in range, that streaming decode
// reproduces the pieces, and that Qwen (no clean-up of spaces) decodes
// valid UTF-8 back to itself.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{"", "Hello world", " ' s 're", "a\xffb\xc0\x80", "\xf5\x80\x80\x80",
		"<|im_start|>x<|endoftext|>", "<s> </s>", "数字 😀\u200d👩", "\r\n\t \u3000 12345"} {
		f.Add(s)
	}
	vocabs := []*Tokenizer{
		loadVocab(f, "ggml-vocab-qwen3.gguf"),
		loadVocab(f, "ggml-vocab-llama3.gguf"),
		loadVocab(f, "ggml-vocab-llama-spm.gguf"),
		loadVocab(f, "ggml-vocab-gpt-2.gguf"),
		loadVocab(f, "ggml-vocab-deepseek-coder.gguf"),
	}
	f.Fuzz(func(t *testing.T, text string) {
		for vi, tk := range vocabs {
			for _, special := range []bool{false, true} {
				ids, err := tk.Encode(text, true, special)
				if err != nil {
					if utf8.ValidString(text) {
						t.Fatalf("vocab %d: Encode(%q) of valid UTF-8: %v", vi, text, err)
					}
					continue
				}
				var pieces []byte
				d := NewStreamDecoder(tk, special)
				var streamed []byte
				for _, id := range ids {
					if !tk.valid(id) {
						t.Fatalf("vocab %d: id %d out of range", vi, id)
					}
					p, _ := tk.Piece(id, special)
					pieces = append(pieces, p...)
					b, err := d.Add(id)
					if err != nil {
						t.Fatal(err)
					}
					streamed = append(streamed, b...)
				}
				streamed = append(streamed, d.Flush()...)
				if !bytes.Equal(streamed, pieces) {
					t.Fatalf("vocab %d: streamed %q != pieces %q", vi, streamed, pieces)
				}
				out, err := tk.Decode(ids, true, special)
				if err != nil {
					t.Fatal(err)
				}
				if vi == 0 && utf8.ValidString(text) && string(out) != text {
					t.Fatalf("qwen: decode(encode(%q)) = %q (special=%v)", text, out, special)
				}
			}
		}
	})
}
