// Package tensor is the plain-Go reference implementation of the ggml tensor
// element types: their block layouts, conversion to and from float32, the
// quantizers llama.cpp uses to write model files and to quantize activations,
// the per-type dot products of a weight row with an activation row, and a
// row-parallel matrix multiply built on them.
//
// The numerics follow llama.cpp (ggml/src/ggml-quants.c for layouts and
// quantizers, ggml/src/ggml-cpu for what its x86 CPU backend does at run time):
// integer arithmetic inside a block is exact and identical to ggml's, and the
// float steps use the same operations in the same precision. Float summation
// order across blocks follows ggml's generic (non-SIMD) C code, so results
// agree with ggml's SIMD kernels to float rounding, not bit for bit.
//
// Per-type work goes through a table of small functions (see kernels.go), one
// per (weight type, activation type) pair, so that architecture-specific
// versions can replace entries while the reference functions stay available to
// test them against.
package tensor
