// Package attention holds the attention policies: sparse attention and KV
// compression methods that decide, per layer and query head, which cached
// positions a query attends to.
//
// Every policy is a kv.Cache that wraps a kv.Selective: the model stores
// keys and values and asks for attention exactly as with a plain cache,
// and the wrapper picks spans of positions per query head and calls the
// inner cache's AttendSpans. Keys reach the cache already rotated (RoPE),
// so a policy that changes positions re-rotates keys or queries with the
// model's kv.KeyShifter (ModelInfo.Shifter).
//
// Policies (Config.Name, flag --attention):
//
//   - dense: every position (the reference).
//   - sink+window: StreamingLLM. The cache keeps the first --sinks
//     positions and a recent window; when it is full the oldest window
//     positions are evicted and the rest move back (keys re-rotated), so
//     positions are indices inside the cache and a stream can run past
//     the trained context. The sinks are what a context shift keeps (set
//     --sinks to the system prompt's length to keep it).
//   - lm-infinite: Λ-shaped mask (first --sinks positions and the last
//     --window) with RoPE distances clamped to --ceiling (the trained
//     context by default).
//   - tokenselect: per-head Q·K scores of every candidate key (over a
//     q8_0 copy of the keys), soft-voted across heads (per-head softmax
//     summed), optional max-pooling, the top k positions in aligned groups
//     of --select-group (16 by default; 1 for single tokens) plus sinks
//     and a local window; a selection cache reuses the last selection
//     while the query stays similar (cosine ≥ --select-cache).
//   - quest: blocks of positions chosen by an upper bound of q·k from
//     per-block key minima and maxima (Quest), or by q·(block mean)
//     (LongHeads / InfiniRetri style), with --block-score; per KV head
//     (shared by its query heads) or per query head (--quest-per-head).
//   - squeezed: k-means of a fixed context's keys per layer and KV head,
//     built once (and saved with --centroids); queries pick the clusters
//     whose centroids score best until the budget is filled.
//   - hybrid: LongGen's layout, dense attention every --dense-every layers
//     (or the layers in --dense-layers) and a sparse policy elsewhere.
//   - snapkv, knorm, streaming, expected-attention: kvpress's prefill
//     presses. At the first decode step each layer scores the prompt's
//     positions per KV head and keeps the best int(n·(1−ratio)) (or
//     --budget) of them; later tokens are always kept. Evicted positions
//     are masked, not freed: the report gives the bytes a compacting cache
//     would hold.
//
// Each wrapper reports what it kept (Reporter): positions attended per
// layer, blocks or clusters chosen, KV bytes resident and bytes read per
// token. A policy whose budget covers the whole context attends exactly
// as the inner cache does (covering spans are Attend bit for bit).
//
// What is read: the kv caches read keys and values in aligned groups of
// 16 positions, so a policy saves reads only where it leaves whole groups
// out. Window, block and grouped selections do; selections of scattered
// single positions (squeezed's clusters, the presses' per-head choices,
// tokenselect with --select-group 1) touch nearly every group and read
// about as much as dense attention (see bench_test.go).
//
// Use: the inner cache is allocated for cfg.CacheCtx(ctx) positions
// (sink+window needs only its sinks, window and room to shift), then
//
//	c, err := attention.Wrap(cfg, inner, attention.InfoFromModel(m))
//
// A wrapper serves one sequence from one goroutine at a time, as the
// caches do.
package attention
