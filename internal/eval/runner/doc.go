// Package runner drives generated samples through a Target: it generates
// each sample lazily (memory stays bounded at long lengths), skips requests
// already in the store unless told not to, scores answers, stores every
// request/response, and aggregates a summary.
package runner
