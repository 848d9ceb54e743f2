package server

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"
)

// histogram is a Prometheus histogram with fixed upper bounds (seconds).
type histogram struct {
	bounds []float64
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v
	h.counts[i]++
	h.sum += v
	h.n++
}

func (h *histogram) write(w io.Writer, name, help, labels string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s,le=\"%s\"} %d\n", name, labels, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, cum)
	fmt.Fprintf(w, "%s_sum{%s} %g\n%s_count{%s} %d\n", name, labels, h.sum, name, labels, h.n)
}

// rateWindow counts events per second over the last rateSeconds whole
// seconds, for the tokens/s gauges.
type rateWindow struct {
	counts [rateSeconds + 1]uint64
	stamps [rateSeconds + 1]int64 // the second each slot counts
}

const rateSeconds = 10

func (w *rateWindow) add(now time.Time, n uint64) {
	sec := now.Unix()
	i := sec % int64(len(w.counts))
	if w.stamps[i] != sec {
		w.stamps[i], w.counts[i] = sec, 0
	}
	w.counts[i] += n
}

// rate is the mean per second over the rateSeconds seconds before now's.
func (w *rateWindow) rate(now time.Time) float64 {
	sec := now.Unix()
	var n uint64
	for i, st := range w.stamps {
		if st < sec && st >= sec-rateSeconds {
			n += w.counts[i]
		}
	}
	return float64(n) / rateSeconds
}

// metrics are the server's counters, written in Prometheus text format
// under vLLM's names where the meaning matches.
type metrics struct {
	mu                sync.Mutex
	promptTotal       uint64
	generationTotal   uint64
	prefixQueries     uint64 // prompt tokens looked up in the prefix cache
	prefixHits        uint64 // of which reused
	promptRate        rateWindow
	generationRate    rateWindow
	finishedBy        map[string]uint64
	ttft, tpot, e2eH  *histogram
	queueH, stepH     *histogram
	stepSeqs, stepTok uint64
	stepCount         uint64
	abortH            *histogram
}

func newMetrics() *metrics {
	lat := []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560}
	tok := []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 20, 80}
	return &metrics{
		finishedBy: map[string]uint64{},
		ttft:       newHistogram(lat...),
		tpot:       newHistogram(tok...),
		e2eH:       newHistogram(lat...),
		queueH:     newHistogram(lat...),
		stepH:      newHistogram(tok...),
		abortH:     newHistogram(0, 1, 2, 4, 8),
	}
}

// locked runs f under the lock; on a nil *metrics it does nothing (a
// trace's passes have no request-level metrics).
func (m *metrics) locked(f func()) {
	if m == nil {
		return
	}
	m.mu.Lock()
	f()
	m.mu.Unlock()
}

func (m *metrics) promptTokens(n int) {
	m.locked(func() { m.promptTotal += uint64(n); m.promptRate.add(time.Now(), uint64(n)) })
}
func (m *metrics) generated(n int) {
	m.locked(func() { m.generationTotal += uint64(n); m.generationRate.add(time.Now(), uint64(n)) })
}
func (m *metrics) prefixLookup(queried, hit int) {
	m.locked(func() { m.prefixQueries += uint64(queried); m.prefixHits += uint64(hit) })
}
func (m *metrics) finished(reason string) {
	m.locked(func() { m.finishedBy[reason]++ })
}
func (m *metrics) firstToken(d time.Duration) { m.locked(func() { m.ttft.observe(d.Seconds()) }) }
func (m *metrics) interToken(d time.Duration) { m.locked(func() { m.tpot.observe(d.Seconds()) }) }
func (m *metrics) e2e(d time.Duration)        { m.locked(func() { m.e2eH.observe(d.Seconds()) }) }
func (m *metrics) queued(d time.Duration)     { m.locked(func() { m.queueH.observe(d.Seconds()) }) }
func (m *metrics) abortSteps(n int64)         { m.locked(func() { m.abortH.observe(float64(n)) }) }
func (m *metrics) step(seqs, tokens int, d time.Duration) {
	m.locked(func() {
		m.stepCount++
		m.stepSeqs += uint64(seqs)
		m.stepTok += uint64(tokens)
		m.stepH.observe(d.Seconds())
	})
}

// schedState is the scheduler's state at scrape time.
type schedState struct {
	running, waiting int
	kvUsed, kvCached int64 // bytes charged to running sequences and to the prefix cache
	kvBudget         int64
}

// write renders the metrics.
func (m *metrics) write(w io.Writer, model string, st schedState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	l := fmt.Sprintf("model_name=%q", model)
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s{%s} %s\n", name, help, name, name, l, strconv.FormatFloat(v, 'f', -1, 64))
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s{%s} %d\n", name, help, name, name, l, v)
	}
	usage := float64(st.kvUsed) / float64(st.kvBudget)
	const usageHelp = "KV-cache usage: the fraction of the KV budget reserved by running requests (evictable prefix-cache blocks count as free, as in vLLM); 1 means 100 percent."
	gauge("vllm:num_requests_running", "Number of requests in model execution batches.", float64(st.running))
	gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", float64(st.waiting))
	gauge("vllm:gpu_cache_usage_perc", usageHelp, usage)
	gauge("vllm:kv_cache_usage_perc", usageHelp, usage)
	gauge("longctx:kv_cache_budget_bytes", "KV-cache memory budget in bytes (running requests and prefix cache).", float64(st.kvBudget))
	gauge("longctx:kv_cache_used_bytes", "KV-cache bytes reserved by running requests.", float64(st.kvUsed))
	gauge("longctx:kv_cache_prefix_bytes", "KV-cache bytes held by the prefix cache (evicted when requests need room).", float64(st.kvCached))
	counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", m.promptTotal)
	counter("vllm:generation_tokens_total", "Number of generation tokens processed.", m.generationTotal)
	counter("vllm:prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.", m.prefixQueries)
	counter("vllm:prefix_cache_hits_total", "Prompt tokens found in the prefix cache (not recomputed).", m.prefixHits)
	gauge("vllm:avg_prompt_throughput_toks_per_s", fmt.Sprintf("Prompt tokens per second over the last %d s.", rateSeconds), m.promptRate.rate(now))
	gauge("vllm:avg_generation_throughput_toks_per_s", fmt.Sprintf("Generated tokens per second over the last %d s.", rateSeconds), m.generationRate.rate(now))
	name := "vllm:request_success_total"
	fmt.Fprintf(w, "# HELP %s Count of finished requests by finish reason (abort: client went away).\n# TYPE %s counter\n", name, name)
	reasons := make([]string, 0, len(m.finishedBy))
	for r := range m.finishedBy {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "%s{%s,finished_reason=%q} %d\n", name, l, r, m.finishedBy[r])
	}
	m.ttft.write(w, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds (from arrival).", l)
	m.tpot.write(w, "vllm:time_per_output_token_seconds", "Histogram of time between output tokens in seconds.", l)
	m.e2eH.write(w, "vllm:e2e_request_latency_seconds", "Histogram of end-to-end request latency in seconds.", l)
	m.queueH.write(w, "vllm:request_queue_time_seconds", "Histogram of time spent waiting in the queue in seconds.", l)
	m.stepH.write(w, "longctx:step_duration_seconds", "Histogram of one batched forward pass in seconds.", l)
	m.abortH.write(w, "longctx:abort_release_steps", "Steps begun between a client going away and its slot and KV being freed (the one under way counts 1).", l)
	counter("longctx:step_sequences_total", "Sequences summed over forward passes (divide by steps for the mean batch).", m.stepSeqs)
	counter("longctx:step_tokens_total", "Tokens summed over forward passes.", m.stepTok)
	counter("longctx:steps_total", "Batched forward passes run.", m.stepCount)
}
