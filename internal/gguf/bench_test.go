package gguf

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseVocab parses a 128K-token vocabulary (llama3), the
// metadata-heaviest file in the fixtures.
func BenchmarkParseVocab(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(fixtures, "tokenizer/ggml-vocab-llama3.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
