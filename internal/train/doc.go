// Package train trains llama-architecture models in plain Go (float32) so
// that longctx can ship a model it made itself.
//
// The model is llama as llama.cpp runs it: token embedding, per block
// RMSNorm → q/k/v projections → RoPE (NORM mode: adjacent pairs rotate
// together) → causal multi-head attention with grouped KV heads → output
// projection → residual, RMSNorm → SwiGLU feed-forward → residual; then a
// final RMSNorm and an output matrix (tied to the embedding or separate).
//
// Forward and backward passes are written out by hand over cached
// activations (no autograd tape); every op has a finite-difference gradient
// check. The loss is cross-entropy over the tokens an Example marks as
// targets (answers), averaged over all targets of a batch.
//
// Sequences of a batch are packed end to end: the linear layers see all
// their tokens at once, attention runs per sequence and head in blocks of
// 16 rows or keys (the backward pass in FlashAttention-2 order, recomputing
// probabilities from the saved log-sum-exp). Every matrix product, in the
// projections and inside attention, is gemm: a 4x16 AVX2+FMA register tile
// (plain Go at the edges and elsewhere), split over the parallel pool in
// whole tiles; each output element is computed by one goroutine in a fixed
// order, so results do not depend on scheduling and a run is reproducible
// bit for bit from its seed on machines with the same kernels
// (TestArithmeticUnchanged pins those bits).
//
// Training state (weights, AdamW moments, step, seed, loss history) is
// checkpointed atomically; the data of step s is a pure function of
// (seed, s), so a resumed run continues exactly as an uninterrupted one.
// Export writes a GGUF file that internal/model loads and llama.cpp runs,
// with a SentencePiece ("llama") vocabulary trained by TrainVocab.
package train
