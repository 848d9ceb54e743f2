// Package eval holds longctx's long-context evaluation harness (see
// README.md). The work is split into small packages:
//
//   - score: pure scoring functions (SQuAD normalisation, EM, token F1,
//     ROUGE-L as LongBench and as rouge_score compute it, edit similarity,
//     RULER string match, NeedleBench keyword and \boxed{} match, Needle
//     Threading UUID scores, LongBioBench rules, classification, retrieval
//     and count scores, multiple-choice letter extraction, L-Eval's exam
//     extractors, LooGLE cloze, L-CiteEval citation precision/recall) behind
//     one Apply(metric id).
//   - gen: seeded, deterministic sample generators (Kamradt NIAH grid, the
//     13 RULER tasks, NeedleBench, Needle Threading, LongBioBench-style
//     bios) with token-budget fitting through a Tokenizer.
//   - dataset: loaders for the file-based benchmarks (LongBench v1/v2,
//     L-Eval, LooGLE) with their prompts and truncation rules.
//   - pylit: a Python-literal parser for LooGLE's files and answers.
//   - target: what answers prompts (the built-in engine, an
//     OpenAI-compatible HTTP client) behind one Target interface.
//   - store: the SQLite result store that makes runs resumable.
//   - runner: drives samples through a target, caches, scores, shows
//     progress, summarises.
//   - report: RULER-style aggregates, the NIAH heatmap PNG, the HTML
//     report and the comparison of two runs.
//   - tracesuite: the context-traceback suite (--suite trace): package
//     trace's generated cases traced per method, stored and summarised.
package eval
