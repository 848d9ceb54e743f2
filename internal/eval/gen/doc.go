// Package gen generates long-context benchmark samples: the Kamradt
// needle-in-a-haystack grid (length × depth) and the 13 RULER tasks.
//
// Every sample is a pure function of (seed, task, length, index) and of the
// tokenizer used to fit its length, so the same seed yields byte-identical
// samples; a golden SHA-256 test guards that. Randomness comes from a PCG
// source with our own bounded-integer and shuffle helpers, so the output does
// not depend on math/rand's helper algorithms across Go versions.
//
// Haystack text is our own: word lists written for this package, an essay
// generator that fills sentence templates from them, RULER's noise
// sentences, or a user's file. Nothing is copied from the benchmarks'
// corpora, so numbers are comparable in trend, not digit for digit, with
// published ones (those used Paul Graham's essays and wonderwords lists).
// RULER's prompt templates are re-typed from its constants so prompts match.
package gen
