// Package testmodel writes random-weight GGUF models of real shapes
// (Llama-3.2-1B, Qwen2-0.5B, or a tiny one) so that speed can be measured,
// and compared with llama.cpp on the very same file, without downloading
// weights. Weights are drawn from N(0, 0.02) with a fixed seed, norms are
// ones, and the vocabulary is a synthetic SentencePiece-style `llama` one
// like the test fixtures'. The output is deterministic for a given seed,
// whatever the number of threads.
package testmodel
