// Package tokenizer implements the tokenizers llama.cpp builds from GGUF
// metadata, with token-for-token parity: byte-level BPE ("gpt2" models,
// with the pre-tokenizer named by tokenizer.ggml.pre) and SentencePiece
// ("llama" models, score-based merging with byte fallback).
//
// llama.cpp's src/llama-vocab.cpp and src/unicode.cpp (tag b10573) are the
// specification, including where it differs from Hugging Face's
// tokenizers: no NFC normalization; control-looking tokens (</s>,
// <|im_end|>, ...) forced to control type and end-of-generation; user-defined
// tokens matched even without special parsing; a SentencePiece space prefix
// after every special token; the clean-up of spaces on decode for
// clean_spaces models (llama-bpe, gpt-2, ...); lenient UTF-8 decoding.
//
// Supported tokenizer.ggml.pre values are those whose regex lists are
// implemented here (llama-bpe/llama3 family, qwen2 family, gpt-2/mpt family,
// starcoder/refact family, falcon, deepseek-llm, deepseek-coder, default)
// and their llama.cpp aliases. An absent or empty value falls back to
// "default", as llama.cpp does; any other unknown value is an error, as in
// llama.cpp.
//
// Where llama.cpp's result depends on hash-map iteration order (which of
// several EOT or FIM candidates it picks when metadata names none; the
// order of equal-length special tokens), this package picks
// deterministically and documents how. Per-model LSTRIP/RSTRIP attributes
// that llama.cpp sets from general.name (phi-3, jina, modern-bert) are not
// reproduced.
//
// Code points are classified with Go's unicode tables (Unicode 15.0) plus
// the Unicode 15.1 additions that llama.cpp's generated tables include.
package tokenizer
