// Package report renders an evaluation run: RULER-style aggregates (the
// average over tasks per length, the average over lengths, the weighted
// averages and the effective length at a threshold), the NIAH depth ×
// length heatmap as a PNG drawn with the standard library, a single-file
// HTML report with no external assets, and the per-task difference of two
// runs that compression and sparsity methods are judged by.
package report
