// Package server is longctx's OpenAI-compatible HTTP server.
//
// Endpoints: POST /v1/completions and /v1/chat/completions (JSON or SSE
// streams ending in "data: [DONE]"), GET /v1/models (with the context
// length as max_model_len), POST /tokenize and /detokenize, GET /health and
// GET /metrics (Prometheus text with vLLM's metric names where the meaning
// matches: vllm:num_requests_running/waiting, vllm:kv_cache_usage_perc and
// vllm:gpu_cache_usage_perc, time to first token and per output token,
// prompt/generation token counters and throughputs, prefix-cache queries
// and hits; longctx:* for the rest).
//
// POST /v1/trace is context traceback (package trace): which segments of a
// document made the model give an answer (its own greedy answer when none
// is given), by AttnTrace, TracLLM (tracllm, loo, shapley, stc, ensemble)
// or CAM, answered as longctx trace's JSON report plus token usage. Its
// model passes are scheduler sequences like any other (trace.go): admitted
// against the KV budget, batched into the steps, dropped when the client
// leaves, and forked from the prefix cache up to the answer; only passes
// over the whole document are kept in the cache. The request-level metrics
// count a trace once, not per pass.
//
// One scheduler goroutine owns the model. Each step it runs one forward pass
// (model.ForwardBatch) holding the next token of every decoding sequence and
// chunks of pending prompts up to StepTokens (chunked prefill interleaved
// with decode: a long prompt never stalls the running streams for more than
// a step), so the weights are read once for all running sequences.
//
// KV memory (kvstore.go) is paged: one kv.Pool per element type, every
// block charged to one holder against a byte budget, counted with the plan
// package's memory model (the same one `longctx plan` prints). Finished
// sequences stay as prefix-cache entries; a request forks the entry
// sharing the longest prefix of its prompt (copy on write), prefills only
// the rest and reports the reused tokens as
// usage.prompt_tokens_details.cached_tokens. Entries are evicted least
// recently used first when a request needs room.
//
// Admission: a sequence reserves prompt+max_tokens positions (or what its
// attention policy keeps), in whole blocks, when it leaves the queue;
// without max_tokens it gets the room left in its context or, if less,
// in the KV budget. A
// request that can never fit its context or the KV budget gets 400 with the
// token counts (never silent truncation); one that fits later waits in a
// bounded FIFO queue; a full queue answers 429 with Retry-After. A client
// that goes away, queued, prefilling or decoding, is dropped before the
// next step begins (longctx:abort_release_steps); its computed prefix stays
// cached for a retry.
//
// Per-request long-context options come in a "longctx" object (attention,
// budget, kv_type, ctx, rope_scaling, prefix_cache, and a sparse policy's
// own options), are validated (400 naming longctx.X) and echoed back with
// the defaults filled in. Sparse attention policies come through
// Config.Attention, which wraps a sequence's cache; their sequences are
// not prefix-cached. RoPE scaling belongs to the loaded model: a request
// may restate it but not change it.
//
// Request decoding is strict: malformed JSON, wrong types and out-of-range
// values are 400s naming the parameter. Unknown top-level fields are
// rejected too (a typo such as "max_token" must not silently fall back to a
// default), except a few OpenAI fields that do not change the output
// ("user", "metadata", "store", ...), which are accepted and ignored.
// OpenAI fields that would change the output and are not implemented
// ("tools", "response_format", ...) are rejected as unsupported.
package server
