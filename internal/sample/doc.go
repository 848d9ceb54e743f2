// Package sample picks the next token from a model's logits with llama.cpp's
// sampler semantics, and watches streamed text for stop strings.
//
// A Sampler applies, in llama.cpp's default order (common_params.samplers in
// common/common.h, each step as defined in src/llama-sampler.cpp):
//
//  1. penalties   repeat / frequency / presence over the last RepeatLastN
//     accepted tokens
//  2. top-k       keep the TopK highest logits
//  3. typical     locally typical sampling (TypicalP < 1)
//  4. top-p       smallest prefix of the sorted candidates whose probability
//     sum reaches TopP
//  5. min-p       drop candidates whose probability is below MinP times the
//     most likely one's
//  6. temperature divide logits by Temperature (0: keep only the maximum)
//  7. dist        draw from the softmax of what is left
//
// llama.cpp's DRY, top-n-sigma and XTC steps, disabled by default there, are
// not implemented. Probabilities in steps 3-5 are over the candidates still
// left at that step and before temperature, as in llama.cpp. The random
// stream is math/rand/v2's PCG, not llama.cpp's mt19937: the same seed gives
// the same tokens here on every run, but not the tokens llama.cpp would draw.
package sample
