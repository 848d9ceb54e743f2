// Package tensor implements the ggml tensor element types: their block
// layouts, conversion to and from float32, the quantizers llama.cpp uses to
// write model files and to quantize activations, the per-type dot products
// of a weight row with an activation row, a row-parallel matrix multiply
// built on them, and the forward pass's elementwise kernels (RMSNorm,
// SwiGLU, Softmax, Rope). Every kernel has a plain-Go reference; on amd64
// (unless built with the purego tag) AVX2+FMA+F16C assembly replaces them
// at start-up, and AVX512-VNNI assembly where the CPU has it and it
// measured faster.
//
// The numerics follow llama.cpp (ggml/src/ggml-quants.c for layouts and
// quantizers, ggml/src/ggml-cpu for what its x86 CPU backend does at run
// time). Quantizers and dequantizers reproduce ggml bit for bit: the float
// operations are the same, in the same order and precision, and products are
// rounded explicitly so Go never fuses them into FMAs. In the dot products the
// integer arithmetic inside a block is exact and identical to ggml's; the
// block scales are then applied and summed in float32 block by block (as in
// ggml's generic C code), so results agree with ggml's SIMD kernels to float
// rounding (about 1e-6 relative), not bit for bit.
//
// Per-type work goes through a table of small functions (see kernels.go), one
// per (weight type, activation type) pair, so that architecture-specific
// versions can replace entries while the reference functions stay available to
// test them against; the elementwise kernels likewise go through variables
// (elementwise.go).
//
// Decode: Pack prepares a weight matrix for MatMulPacked, keeping its file
// layout and, where the CPU has kernels for the type (AVX512-VNNI: Q8_0,
// Q4_0, Q4_K, Q6_K), adding a copy with the rows interleaved 8 at a time, so
// that each vector lane belongs to one row: the block scales are then
// applied to 8 rows at once and no horizontal sums are needed, which
// makes the single-token mat-vec 1.9-3.5x faster than row by row and lets
// it run at the memory bandwidth. It costs a second copy of those
// matrices in memory.
//
// Batched decode (several sequences' tokens, one activation row each):
// where the CPU has AVX512-VNNI kernels for the type (Q8_0, Q4_0, Q4_K,
// Q6_K), MatMul with 2-3 or more activation rows multiplies the
// interleaved rows (Pack's, or for Q8_0 and Q4_0 interleaved on the fly
// from the file layout) with up to 8 (K-quants: 4) tokens per kernel call
// (batch.go, batch_amd64.s, batchk_amd64.s): each weight vector is loaded
// and decoded once for all of them and every lane holds a weight row, so
// the weights are read once per MatMul and no lane idles whatever the
// batch size. With packed weights this also beat the prefill tiles at
// every batch size measured (up to 512-2048 tokens), so packed weights
// never take them; in the file layout Q4_0 has no tiles and Q8_0 keeps
// them from 12 tokens on, where its full 16-token tiles win back the cost
// of interleaving.
//
// Prefill: where the CPU has AVX512-VNNI, MatMul with a batch of activation
// rows (ntok at least tiledKernel.minTokens) packs the quantized activations
// into groups of 16 tokens and runs register-blocked tile kernels (gemm.go,
// gemm_amd64.s) that multiply 8 weight rows with 16 tokens per call, K-panel
// by K-panel so the packed activations stay in L2. They form the same
// integer block sums as the per-row kernels and differ from them only in
// float summation order; single activation rows (decode) keep the per-row
// kernels.
//
// Batches no tile or batched-decode kernel takes (every batch on an
// AVX2-only CPU) go through row tiles (rowtile.go, rowtile_amd64.s) where
// the type has them: Q8_0, Q4_0, F16 and F32 multiply 4 weight rows with
// 2-3 tokens per call, Q4_K, Q5_K and Q6_K one row with 4 tokens, so that a
// weight block is
// loaded and unpacked once for several tokens and the per-call costs are
// shared. They too differ from VecDot only in float summation order.
// Baseline kernels must not use AVX-512 encodings (TestBaselineAssemblyIsVEX).
package tensor
