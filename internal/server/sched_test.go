package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/tensor"
)

// openStream starts a streaming completion and returns once the first
// chunk has arrived, so the request is known to be running.
func openStream(t *testing.T, ctx context.Context, url, body string) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/completions", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before a chunk: %v", err)
		}
		if strings.HasPrefix(line, "data: {") {
			return resp, br
		}
	}
}

const longStream = `{"prompt":"keep going","max_tokens":900,"stream":true,"temperature":0}`

func aborted(s *Server) uint64 {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	return s.metrics.finishedBy["abort"]
}

// freedWithinOneStep checks that every client that went away had its
// slot freed before a second step began (longctx:abort_release_steps).
func freedWithinOneStep(t *testing.T, s *Server) {
	t.Helper()
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	h := s.metrics.abortH
	if within := h.counts[0] + h.counts[1]; h.n == 0 || within != h.n {
		t.Errorf("%d of %d aborts freed within one step (bounds %v, counts %v)", within, h.n, h.bounds, h.counts)
	}
}

func TestQueueFullGets429(t *testing.T) {
	ts := newTestServer(t, Config{Parallel: 1, QueueDepth: -1, RetryAfter: 3 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	resp, _ := openStream(t, ctx, ts.URL, longStream)
	code, hdr, b := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":2}`)
	checkError(t, "queue full", code, b, 429, "", "busy")
	if hdr.Get("Retry-After") != "3" {
		t.Errorf("Retry-After %q, want 3", hdr.Get("Retry-After"))
	}
	cancel()
	resp.Body.Close()
	waitIdle(t, ts.Server, 2*time.Second)
	if code, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":"x","max_tokens":2}`); code != 200 {
		t.Errorf("after the slot freed: HTTP %d %s", code, b)
	}
}

func TestDisconnectWhileDecoding(t *testing.T) {
	ts := newTestServer(t, Config{Parallel: 2})
	ctx, cancel := context.WithCancel(context.Background())
	resp, _ := openStream(t, ctx, ts.URL, longStream)
	// A neighbour running beside the one that leaves must be unaffected.
	done := make(chan completionResp, 1)
	go func() {
		_, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":"the neighbour","max_tokens":12,"temperature":0}`)
		var r completionResp
		json.Unmarshal(b, &r)
		done <- r
	}()
	time.Sleep(5 * time.Millisecond)
	cancel()
	resp.Body.Close()
	r := <-done
	if want := reference(t, "the neighbour", 12, 0, 0); len(r.Choices) == 0 || r.Choices[0].Text != jsonText(want.text) {
		t.Errorf("neighbour got %+v, alone it gives %q", r, want.text)
	}
	waitIdle(t, ts.Server, 2*time.Second)
	if aborted(ts.Server) != 1 {
		t.Errorf("%d aborts counted, want 1", aborted(ts.Server))
	}
	freedWithinOneStep(t, ts.Server)
}

func TestDisconnectWhileQueued(t *testing.T) {
	ts := newTestServer(t, Config{Parallel: 1, QueueDepth: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, _ := openStream(t, ctx, ts.URL, longStream)
	defer resp.Body.Close()
	qctx, qcancel := context.WithCancel(context.Background())
	go func() {
		req, _ := http.NewRequestWithContext(qctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"queued","max_tokens":4}`))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, "one waiting", func() bool { _, w, _, _ := ts.sched.snapshot(); return w == 1 })
	qcancel()
	// Dropped from the queue while the long request is still running.
	waitFor(t, "queue emptied", func() bool { r, w, _, _ := ts.sched.snapshot(); return w == 0 && r == 1 })
	if aborted(ts.Server) != 1 {
		t.Errorf("%d aborts counted, want 1", aborted(ts.Server))
	}
	cancel()
	waitIdle(t, ts.Server, 2*time.Second)
	freedWithinOneStep(t, ts.Server)
}

func TestDisconnectWhilePrefilling(t *testing.T) {
	// A long prompt in chunks of 8 tokens takes hundreds of steps.
	ts := newTestServer(t, Config{Ctx: 4096, StepTokens: 8, Parallel: 2})
	prompt := strings.Repeat("hello world ", 400)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		body := fmt.Sprintf(`{"prompt":%q,"max_tokens":4,"stream":true}`, prompt)
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(body))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, "running", func() bool { r, _, _, _ := ts.sched.snapshot(); return r == 1 })
	cancel()
	waitIdle(t, ts.Server, 2*time.Second)
	ts.metrics.mu.Lock()
	gen, prompts := ts.metrics.generationTotal, ts.metrics.promptTotal
	ts.metrics.mu.Unlock()
	if gen != 0 || prompts != 0 || aborted(ts.Server) != 1 {
		t.Errorf("after a disconnect in prefill: %d generated, %d prompt tokens finished, %d aborts; want 0, 0, 1", gen, prompts, aborted(ts.Server))
	}
	freedWithinOneStep(t, ts.Server)
}

// TestLongPromptDoesNotStallDecode prefills a 1500-token prompt in chunks
// beside a decoding stream: every step of the prefill carries the stream's
// next token, so the stream keeps going, and both answers are what their
// requests give alone.
func TestLongPromptDoesNotStallDecode(t *testing.T) {
	const step = 64
	ts := newTestServer(t, Config{Ctx: 4096, StepTokens: step, Parallel: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// logprobs: every token is a chunk, even when its text is held back.
	resp, br := openStream(t, ctx, ts.URL, `{"prompt":"keep going","max_tokens":900,"stream":true,"temperature":0,"logprobs":1}`)
	defer resp.Body.Close()
	var tokens atomic.Int64
	go func() {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "data: {") {
				tokens.Add(1)
			}
		}
	}()
	long := make([]int32, 1500)
	for i := range long {
		long[i] = int32(i%900 + 1)
	}
	before := tokens.Load()
	code, _, b := post(t, ts.URL+"/v1/completions", fmt.Sprintf(`{"prompt":%s,"max_tokens":2,"temperature":0}`, mustMarshal(t, long)))
	during := tokens.Load() - before
	if code != 200 {
		t.Fatalf("long prompt: HTTP %d %s", code, b)
	}
	var r completionResp
	mustJSON(t, b, &r)
	if want := refTokens(t, long, 2, tensor.F16); r.Choices[0].Text != jsonText(want) {
		t.Errorf("long prompt: %q, alone %q", r.Choices[0].Text, want)
	}
	// 1500 tokens in steps of 64 less the stream's one: at least 24 steps.
	if minSteps := int64((1500 + step - 2) / (step - 1)); during < minSteps-2 {
		t.Errorf("the stream got %d tokens during a prefill of at least %d steps", during, minSteps)
	}
	t.Logf("the stream got %d tokens during the long prefill", during)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLoad runs a fixed number of requests from 32 concurrent clients
// against a small queue. A client refused with 429 checks Retry-After and
// retries a few times after a short pause (the header's whole seconds
// would only slow the test down); each request ends completed, with exactly
// what the same request gives alone, or refused: nothing is lost or mixed
// up.
func TestLoad(t *testing.T) {
	const clients, requests, tries = 32, 96, 4
	ts := newTestServer(t, Config{Parallel: 4, QueueDepth: 12})
	prompt := func(i int) string { return fmt.Sprintf("request number %d says", i) }
	temp := func(i int) float32 { return float32(i%2) * 0.8 } // odd: seeded sampling
	jobs := make(chan int)
	results := make(chan loadResult, requests)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := loadResult{i: i}
				body := fmt.Sprintf(`{"prompt":%q,"max_tokens":8,"temperature":%g,"seed":%d,"stream":%v,"stream_options":%s}`,
					prompt(i), temp(i), i, i%3 == 0, map[bool]string{true: `{"include_usage":true}`, false: "null"}[i%3 == 0])
				for try := 0; try < tries; try++ {
					start := time.Now()
					code, hdr, b := post(t, ts.URL+"/v1/completions", body)
					r.code, r.lat = code, time.Since(start)
					if code != 429 {
						r.parse(t, b)
						break
					}
					if hdr.Get("Retry-After") == "" {
						t.Errorf("request %d: 429 without Retry-After", i)
					}
					r.refusals = append(r.refusals, r.lat)
					time.Sleep(20 * time.Millisecond)
				}
				results <- r
			}
		}()
	}
	start := time.Now()
	for i := range requests {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	var ok, refused, tokens int
	var lats, refusals []time.Duration
	for r := range results {
		refusals = append(refusals, r.refusals...)
		switch r.code {
		case 200:
			ok++
			tokens += r.tokens
			lats = append(lats, r.lat)
			if want := reference(t, prompt(r.i), 8, temp(r.i), uint64(r.i)); r.text != jsonText(want.text) || r.tokens != want.tokens {
				t.Errorf("request %d got %q (%d tokens), alone it gives %q (%d)", r.i, r.text, r.tokens, want.text, want.tokens)
			}
		case 429:
			refused++
		default:
			t.Errorf("request %d: HTTP %d", r.i, r.code)
		}
	}
	if ok+refused != requests || ok == 0 {
		t.Fatalf("%d ok + %d refused of %d", ok, refused, requests)
	}
	slices.Sort(lats)
	slices.Sort(refusals)
	pct := func(d []time.Duration, p int) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[(len(d)-1)*p/100].Round(10 * time.Microsecond)
	}
	t.Logf("%d requests from %d clients: %d completed, %d refused after %d tries, %d 429s in all, in %v: %.0f req/s, %.0f tokens/s; latency p50 %v p99 %v; 429 p99 %v",
		requests, clients, ok, refused, tries, len(refusals), elapsed.Round(time.Millisecond), float64(ok)/elapsed.Seconds(),
		float64(tokens)/elapsed.Seconds(), pct(lats, 50), pct(lats, 99), pct(refusals, 99))
	waitIdle(t, ts.Server, 2*time.Second)
}

// loadResult is one request of TestLoad.
type loadResult struct {
	i        int
	code     int
	text     string
	tokens   int
	lat      time.Duration   // of the last try
	refusals []time.Duration // how long each 429 took
}

// parse reads a completion, streamed or not, into r.
func (r *loadResult) parse(t *testing.T, b []byte) {
	t.Helper()
	if r.code != 200 {
		return
	}
	if !bytes.HasPrefix(b, []byte("data: ")) {
		var c completionResp
		mustJSON(t, b, &c)
		r.text, r.tokens = c.Choices[0].Text, c.Usage.CompletionTokens
		return
	}
	for _, e := range sseEvents(t, bytes.NewReader(b)) {
		var c completionResp
		if e == "[DONE]" || json.Unmarshal([]byte(e), &c) != nil {
			continue
		}
		if len(c.Choices) > 0 {
			r.text += c.Choices[0].Text
		}
		r.tokens += c.Usage.CompletionTokens // only the usage chunk has it
	}
}

// TestEchoPromptLogprobs scores the prompt 1..32 and compares with
// llama.cpp's logits for that sequence (F16 KV cache).
func TestEchoPromptLogprobs(t *testing.T) {
	ts := newTestServer(t, Config{})
	raw, err := os.ReadFile(filepath.Join(fixtures, "golden", "tiny-q8_0.seqA.batch.kvf16.logits.f32"))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	const n, vocab = 32, 1000
	logits := make([]float32, n*vocab)
	binary.Read(strings.NewReader(string(raw)), binary.LittleEndian, logits)
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i + 1
	}
	body, _ := json.Marshal(map[string]any{"prompt": ids, "echo": true, "logprobs": 1, "max_tokens": 0})
	code, _, b := post(t, ts.URL+"/v1/completions", string(body))
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, b)
	}
	var r completionResp
	mustJSON(t, b, &r)
	lp := r.Choices[0].Logprobs
	if lp == nil || len(lp.TokenLogprobs) != n || lp.TokenLogprobs[0] != nil || r.Usage.CompletionTokens != 0 {
		t.Fatalf("echo logprobs: %+v usage %+v", lp, r.Usage)
	}
	worst := 0.0
	for i := 1; i < n; i++ {
		row := logits[(i-1)*vocab : i*vocab]
		var sum float64
		mx := math.Inf(-1)
		for _, l := range row {
			mx = math.Max(mx, float64(l))
		}
		for _, l := range row {
			sum += math.Exp(float64(l) - mx)
		}
		want := float64(row[ids[i]]) - mx - math.Log(sum)
		worst = math.Max(worst, math.Abs(*lp.TokenLogprobs[i]-want))
		if len(lp.TopLogprobs[i]) != 1 {
			t.Errorf("position %d: %d top logprobs, want 1", i, len(lp.TopLogprobs[i]))
		}
	}
	if worst > 0.03 {
		t.Errorf("prompt logprobs differ from llama.cpp's by up to %.4f", worst)
	}
	t.Logf("max |logprob - llama.cpp| = %.4f", worst)
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, Config{})
	var promptSum int
	for i := range 3 {
		_, _, b := post(t, ts.URL+"/v1/completions", fmt.Sprintf(`{"prompt":"metric %d","max_tokens":5}`, i))
		var r completionResp
		mustJSON(t, b, &r)
		promptSum += r.Usage.PromptTokens
	}
	// A request that may not use the prefix cache does not look it up.
	if code, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":"no reuse","max_tokens":5,"longctx":{"prefix_cache":false}}`); code != 200 {
		t.Fatalf("HTTP %d %s", code, b)
	}
	waitIdle(t, ts.Server, 2*time.Second)
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text := new(strings.Builder)
	bufio.NewReader(resp.Body).WriteTo(text)
	for _, want := range []string{
		`vllm:num_requests_running{model_name="tiny"} 0`,
		`vllm:num_requests_waiting{model_name="tiny"} 0`,
		`vllm:gpu_cache_usage_perc{model_name="tiny"} 0`,
		`vllm:kv_cache_usage_perc{model_name="tiny"} 0`,
		fmt.Sprintf(`vllm:prefix_cache_queries_total{model_name="tiny"} %d`, promptSum),
		"# TYPE vllm:prefix_cache_hits_total counter",
		fmt.Sprintf(`longctx:kv_cache_budget_bytes{model_name="tiny"} %d`, ts.Config().KVBytes),
		"# TYPE vllm:avg_generation_throughput_toks_per_s gauge",
		`longctx:abort_release_steps_count{model_name="tiny"} 0`,

		`vllm:request_success_total{model_name="tiny",finished_reason="length"} 4`,
		`vllm:time_to_first_token_seconds_count{model_name="tiny"} 4`,
		`vllm:e2e_request_latency_seconds_bucket{model_name="tiny",le="+Inf"} 4`,
		"# TYPE vllm:time_to_first_token_seconds histogram",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

func TestDrain(t *testing.T) {
	ts := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, br := openStream(t, ctx, ts.URL, `{"prompt":"drain","max_tokens":30,"stream":true}`)
	defer resp.Body.Close()
	ts.Drain()
	code, _, b := post(t, ts.URL+"/v1/completions", `{"prompt":"late","max_tokens":2}`)
	checkError(t, "while draining", code, b, 503, "", "shutting down")
	if r, err := http.Get(ts.URL + "/health"); err != nil || r.StatusCode != 503 {
		t.Errorf("health while draining: %v %v", r.StatusCode, err)
	}
	// The request inside finishes normally.
	rest := new(strings.Builder)
	br.WriteTo(rest)
	if !strings.HasSuffix(rest.String(), "data: [DONE]\n\n") {
		t.Errorf("in-flight stream did not finish: %q", rest)
	}
}
