// Package eval holds longctx's long-context evaluation harness. The work is
// split into small packages:
//
//   - score: pure scoring functions (SQuAD normalisation, EM, token F1,
//     ROUGE-L as LongBench computes it, edit similarity, RULER string match,
//     multiple-choice letter extraction, retrieval and count scores).
//   - gen: seeded, deterministic sample generators (Kamradt NIAH grid and the
//     13 RULER tasks) with token-budget fitting through a Tokenizer.
//   - target: what answers prompts (an OpenAI-compatible HTTP client now; the
//     built-in engine later) behind one Target interface.
//   - store: the SQLite result store that makes runs resumable.
//   - runner: drives samples through a target, caches, scores, summarises
//     (summary.json, terminal table).
package eval
