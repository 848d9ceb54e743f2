package tokenizer

import (
	"testing"

	"github.com/longctx/longctx/internal/gguf"
)

// longText is the 5,000-character paragraph of the shared cases.
func longText(b *testing.B) string {
	var g goldenFile
	readJSON(b, "golden-llama3-nobos-nospecial.json", &g)
	for _, c := range g.Cases {
		if c.Name == "long_5000_chars" {
			return c.Text
		}
	}
	b.Fatal("case long_5000_chars not found")
	return ""
}

func BenchmarkEncode(b *testing.B) {
	text := longText(b)
	for _, v := range []struct{ name, file string }{
		{"llama3", "ggml-vocab-llama3.gguf"},
		{"qwen3", "ggml-vocab-qwen3.gguf"},
		{"llama-spm", "ggml-vocab-llama-spm.gguf"},
		{"deepseek-coder", "ggml-vocab-deepseek-coder.gguf"},
	} {
		tk := loadVocab(b, v.file)
		b.Run(v.name, func(b *testing.B) {
			var n int
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				ids, err := tk.Encode(text, true, true)
				if err != nil {
					b.Fatal(err)
				}
				n = len(ids)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	text := longText(b)
	tk := loadVocab(b, "ggml-vocab-llama3.gguf")
	ids, err := tk.Encode(text, true, true)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := tk.Decode(ids, true, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkFromGGUF(b *testing.B) {
	path := fixturePath(b, "ggml-vocab-llama3.gguf")
	for b.Loop() {
		f, err := gguf.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := FromGGUF(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
