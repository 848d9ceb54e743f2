// Package score holds the scoring functions of the long-context benchmarks as
// pure functions. Each one follows the upstream definition that published
// numbers were computed with (SQuAD's normalize_answer, LongBench's metrics,
// the pltrdy ROUGE-L that LongBench uses, RULER's string match), including
// the quirks that change numbers; the doc comment of each says which.
//
// Scores are in 0..1 (upstream often reports ×100).
package score
