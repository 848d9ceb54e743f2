package testmodel

import (
	"fmt"

	"github.com/longctx/longctx/internal/gguf"
)

// SentencePiece token types (llama_token_type).
const (
	tokNormal  = 1
	tokUnknown = 2
	tokControl = 3
	tokByte    = 6
)

// vocab builds a `llama` vocabulary of n tokens like the fixtures': <unk>,
// <s>, </s>, the 256 byte tokens, then distinct made-up pieces (every other
// one starting with the ▁ space marker); the score of token i is -i.
func vocab(n int) (tokens []string, scores []float32, types []int32) {
	tokens = make([]string, n)
	scores = make([]float32, n)
	types = make([]int32, n)
	for i := range tokens {
		scores[i] = -float32(i)
		types[i] = tokNormal
		switch {
		case i == 0:
			tokens[i], types[i] = "<unk>", tokUnknown
		case i <= 2:
			tokens[i], types[i] = []string{"<s>", "</s>"}[i-1], tokControl
		case i < 3+256:
			tokens[i], types[i] = fmt.Sprintf("<0x%02X>", i-3), tokByte
		default:
			tokens[i] = piece(i - 3 - 256)
		}
	}
	return tokens, scores, types
}

// piece is the k-th made-up piece: k written in base 26 with letters, so
// all pieces differ, with a leading ▁ for odd k.
func piece(k int) string {
	var b []byte
	for v := k/2 + 1; v > 0; v = (v - 1) / 26 {
		b = append([]byte{byte('a' + (v-1)%26)}, b...)
	}
	if k%2 == 1 {
		return "▁" + string(b)
	}
	return string(b)
}

func addMetadata(w *gguf.Writer, arch string, s Shape, ftype uint32) error {
	hd := s.Embd / s.Heads
	tokens, scores, types := vocab(s.Vocab)
	kvs := []struct {
		k string
		v gguf.Value
	}{
		{"general.architecture", gguf.String(arch)},
		{"general.name", gguf.String("longctx testmodel")},
		{"general.file_type", gguf.Uint32(ftype)},
		{"general.quantization_version", gguf.Uint32(2)},
		{arch + ".vocab_size", gguf.Uint32(uint32(s.Vocab))},
		{arch + ".context_length", gguf.Uint32(uint32(s.Ctx))},
		{arch + ".embedding_length", gguf.Uint32(uint32(s.Embd))},
		{arch + ".block_count", gguf.Uint32(uint32(s.Layers))},
		{arch + ".feed_forward_length", gguf.Uint32(uint32(s.FFN))},
		{arch + ".attention.head_count", gguf.Uint32(uint32(s.Heads))},
		{arch + ".attention.head_count_kv", gguf.Uint32(uint32(s.KVHeads))},
		{arch + ".attention.key_length", gguf.Uint32(uint32(hd))},
		{arch + ".attention.value_length", gguf.Uint32(uint32(hd))},
		{arch + ".rope.dimension_count", gguf.Uint32(uint32(hd))},
		{arch + ".rope.freq_base", gguf.Float32(s.RopeBase)},
		{arch + ".attention.layer_norm_rms_epsilon", gguf.Float32(s.RMSEps)},
		{"tokenizer.ggml.model", gguf.String("llama")},
		{"tokenizer.ggml.tokens", gguf.StringArray(tokens)},
		{"tokenizer.ggml.scores", gguf.Float32Array(scores)},
		{"tokenizer.ggml.token_type", gguf.Int32Array(types)},
		{"tokenizer.ggml.bos_token_id", gguf.Uint32(1)},
		{"tokenizer.ggml.eos_token_id", gguf.Uint32(2)},
		{"tokenizer.ggml.unknown_token_id", gguf.Uint32(0)},
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
