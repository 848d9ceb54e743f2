// Package target is what answers evaluation prompts: the Target interface;
// the built-in engine (Builtin: the model's own tokenizer counts prompts,
// each request's context is sized to fit, BuiltinOptions carry KV and
// attention settings into the cache key); and an OpenAI-compatible HTTP
// client (/v1/chat/completions or /v1/completions) with bounded
// concurrency, retries with exponential backoff on 429/5xx that honour
// Retry-After, a per-attempt timeout, and the server's /tokenize as a
// tokenizer.
package target
