// Package kv holds the attention key/value cache the model talks to.
//
// The model sees only the Cache interface: it stores each layer's keys and
// values for a run of positions and asks the cache to attend a run of
// queries over what it holds. Keeping attention behind the cache lets the
// cache choose how keys are laid out and read. Selective adds attention
// over chosen spans of positions and reading the stored keys and values,
// the contract attention policies and observers wrap; Meter reports memory
// and bytes read.
//
// Caches:
//
//   - Contiguous: one sequence, preallocated.
//   - Pool and Seq: fixed-size blocks shared by many sequences through
//     per-sequence block tables, with Fork (copy on write), Remove (later
//     positions move back; their keys are re-rotated by a KeyShifter, the
//     model), a RAM budget past which the least recently written blocks
//     spill to a file, and Save/Load of a sequence's prefix to a file
//     checked against the model's fingerprint.
//   - Config turns the --kv-* flags into a Pool.
//
// Both store f32, f16, q8_0 or q4_0 in the same block layout (layout.go):
// keys transposed in groups of 16 positions, values as rows, quantized
// per position and 32 dimensions exactly as ggml's q8_0/q4_0.
//
// Attention (attend.go) is blockwise: work units of (KV head, query tokens,
// 1024-position chunks) read each block once for all the query heads that
// share its KV head (and several tokens in prefill); per chunk the scores,
// softmax and weighted values are computed by AVX2 kernels (kernels_amd64.s,
// Go reference kernels in kernels.go) and partial softmaxes are merged in
// a fixed order. Decode splits a long context's chunks over all threads.
// A decode step over chosen spans (selected.go) packs each KV head's short
// runs into pieces of up to a chunk's worth of positions, prefetched
// together, since runs scattered over the context would each wait for
// memory.
// The result depends only on the query and the stored data: not on the
// batch, the thread count, the block size (up to 1024), or whether blocks
// were spilled. Quantized caches read 53% (q8_0) or 28% (q4_0) of f16's
// bytes with kernels about as fast per position, so they decode faster.
//
// Accuracy against llama.cpp's logits on the fixture models (200 tokens):
// f32 1e-6, f16 4e-4, q8_0 1e-2 (cosine 0.99996), q4_0 0.16 (cosine 0.991),
// with |logit| ≤ 1.5; see golden_test.go.
package kv
