// Package trace finds which passages of a long document made a model give
// an answer (context traceback), for citations and for forensics on
// injected or poisoned passages.
//
// A Problem is a document split into Segments (Split: words:N, sentence,
// paragraph, sep:STRING), a question, a prompt Template and the answer
// traced. Methods:
//
//   - AttnTrace: the attention the answer pays each segment, with top-K
//     token averaging and seeded context subsampling (needs the model's
//     attention: a Backend, which Local is and longctx's server provides;
//     the attention comes from package observe's cache wrapper).
//   - TracLLM: informed divide-and-conquer search with STC, LOO, Shapley or
//     denoised-Shapley scores, or their ensemble (method "tracllm", as its
//     authors run it; "denoised" alone). It needs only a value
//     function v(S), the answer's log-probability given a subset of the
//     segments, so it runs on a Backend (Bound.Value) or on any
//     OpenAI-compatible server that returns prompt log-probabilities
//     (Endpoint.Value).
//   - CAM: GATEAU's contextual-awareness measurement per segment.
//
// Results render as text (ANSI-highlighted on a terminal), JSON or a
// self-contained heat-mapped HTML page. Bench generates traceback cases
// with known sources (a single needle fact, a fact among distractors,
// multi-fact answers, injected instructions) and reports precision@1, recall@K and seconds per trace.
//
// Every random choice is drawn from seeded PCG streams with our own
// helpers, so a seed reproduces a trace exactly.
package trace
