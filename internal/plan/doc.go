// Package plan is longctx's serving memory and time model: "Challenges in
// Deploying Long-Context Transformers" (Yao Fu, 2024; algorithms.md
// section 9) applied to one CPU machine.
//
// Everything a long context costs comes from the KV cache, S bytes per
// token (2 · layers · KV heads · head width · element size):
//
//   - concurrency is bounded by memory: N = ⌊(RAM − weights − activations) / (S · ctx)⌋;
//   - prefill is bounded by compute: (2 · params · n + attention FLOPs) / FLOP rate;
//   - decode is bounded by memory bandwidth: each step reads the weights
//     once for the whole batch plus each sequence's KV, (W + Σ S · nᵢ) / bandwidth
//     (or by compute when a large batch makes the FLOPs dominate).
//
// The server's admission control and `longctx plan` both use this package,
// so the numbers the planner prints are the ones the server enforces. KV
// memory is counted in whole blocks of the paged cache (kv.Pool), as the
// server allocates it.
//
// Measure reads the two machine rates: read bandwidth
// (parallel.ReadBandwidth) and the FLOP rate of the model's own layer
// matrices multiplied over a batch of tokens (tensor.MatMul, the prefill
// kernels).
package plan
