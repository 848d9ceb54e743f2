// Package target is what answers evaluation prompts: the Target interface,
// and an OpenAI-compatible HTTP client (/v1/chat/completions or
// /v1/completions) with bounded concurrency, retries with exponential
// backoff on 429/5xx that honour Retry-After, and a per-attempt timeout.
// The built-in engine will implement Target too.
package target
