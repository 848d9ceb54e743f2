// Package tokenizer implements the tokenizers llama.cpp builds from GGUF
// metadata, with token-for-token parity: byte-level BPE ("gpt2" models,
// with the pre-tokenizer named by tokenizer.ggml.pre) and SentencePiece
// ("llama" models, score-based merging with byte fallback).
//
// llama.cpp's src/llama-vocab.cpp and src/unicode.cpp (tag b10573) are the
// specification, including behaviour that differs from Hugging Face's
// tokenizers: no NFC normalization, control-looking tokens forced to
// control type, user-defined tokens matched even without special parsing,
// a SentencePiece space prefix after every special token, and the
// clean-up of spaces on decode for clean_spaces models.
//
// Code points are classified with Go's unicode tables (Unicode 15.0) plus
// the Unicode 15.1 additions llama.cpp's tables include.
package tokenizer
