// Package gen generates long-context benchmark samples: the Kamradt
// needle-in-a-haystack grid (length × depth), the 13 RULER tasks,
// NeedleBench v2-style retrieval, multi-needle reasoning and the ancestral
// trace challenge, Needle Threading (single/multiple/conditional needles,
// threads, multiple threads) over JSON objects of UUIDs, and
// LongBioBench-style biography questions.
//
// Every sample is a pure function of (seed, suite, task, length, index) and
// of the tokenizer used to fit its length, so the same seed yields
// byte-identical samples; golden SHA-256 tests guard that. Randomness comes
// from a PCG source with our own bounded-integer and shuffle helpers, so the
// output does not depend on math/rand's helper algorithms across Go versions.
//
// Lengths are fitted by counting tokens with a Tokenizer: the target
// model's own (the built-in engine's, or a server's /tokenize), or, where
// there is none, Estimate, a fast bytes-per-token guess that the caller
// must report as such. Fitting searches the largest unit count (haystack
// sentences, lines, bios, key-value pairs...) whose prompt fits, caching it
// per (suite, task, length), and steps down when one sample's randomness
// makes it overflow, so every sample fits whichever tokenizer is used.
//
// Haystack text is our own: word and name lists written for this package,
// an essay generator that fills sentence templates from them, RULER's noise
// sentences, JSON objects of random UUIDs, generated bios, or a user's file.
// Nothing is copied from the benchmarks' corpora or needle files, so numbers
// are comparable in trend, not digit for digit, with published ones (those
// used Paul Graham's essays, wonderwords lists and NeedleBench's needles).
// Prompt templates of RULER and NeedleBench are re-typed from upstream so
// prompts match.
package gen
