// Package model runs Llama-family decoder-only transformers from GGUF
// weights: llama (Llama 2/3.x, Mistral, SmolLM), qwen2 and qwen3.
//
// The architectures differ only in small ways (q/k/v biases, per-head q/k
// RMSNorm, RoPE pairing), so one forward pass serves all of them, driven by
// a Config read from the file's metadata. Weights stay in their stored
// type and are multiplied directly from the memory-mapped file; the
// activations are quantized the way llama.cpp does so that both engines
// produce the same logits.
package model
