// Package server is longctx's OpenAI-compatible HTTP server.
//
// Endpoints: POST /v1/completions and /v1/chat/completions (JSON or SSE
// streams ending in "data: [DONE]"), GET /v1/models (with the context
// length as max_model_len), POST /tokenize and /detokenize, GET /health and
// GET /metrics (Prometheus text with vLLM's metric names).
//
// One scheduler goroutine owns the model. Each step it runs one forward pass
// (model.ForwardBatch) holding the next token of every decoding sequence and
// a chunk of pending prompt (chunked prefill interleaved with decode), so the
// weights are read once for all running sequences.
//
// Admission follows a memory model: a sequence reserves KV bytes for
// prompt+max_tokens positions (its cache is sized to exactly that, allocated
// on admission and dropped when it ends). A request that can never fit the
// per-sequence context or the KV budget gets 400 with the token counts (never
// silent truncation); one that fits later waits in a bounded FIFO queue; a
// full queue answers 429 with Retry-After. A client that goes away, whether
// queued, prefilling or decoding, is dropped at the start of the next step.
//
// Request decoding is strict: malformed JSON, wrong types and out-of-range
// values are 400s naming the parameter. Unknown top-level fields are
// rejected too (a typo such as "max_token" must not silently fall back to a
// default), except a few OpenAI fields that do not change the output
// ("user", "metadata", "store", ...), which are accepted and ignored.
// OpenAI fields that would change the output and are not implemented
// ("tools", "response_format", ...) are rejected as unsupported.
package server
