// Package runner drives samples through a Target: it makes each sample
// lazily from its Source (a generated suite or a loaded file-based one, so
// memory stays bounded at long lengths), skips requests already in the
// store unless told not to, scores answers with the sample's metric,
// stores every request/response, draws a progress bar with an ETA, and
// aggregates a summary {"suite": {"task": {"length": score}}}.
package runner
