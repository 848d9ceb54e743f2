// Package dataset loads the file-based long-context benchmarks — LongBench
// v1 (and LongBench-E), LongBench v2, L-Eval and LooGLE — from the files
// their authors publish, and turns each question into a gen.Sample with the
// benchmark's own prompt, truncation rule, output budget and metric:
//
//   - LongBench v1/v2 and LooGLE cut a prompt that is too long in the
//     middle, keeping its first and last halves in tokens (TruncateMiddle);
//   - L-Eval cuts the document by words, 250 at a time, from the end (from
//     the start for code) until it fits, instructions kept whole.
//
// The budget a prompt is cut to is the run's length minus the task's
// output budget and the tokens reserved for a chat template, counted with
// the tokenizer the run fits lengths with; each sample records the token
// count it had before cutting, so truncation is never silent.
package dataset
