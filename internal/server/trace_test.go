package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/engine/enginetest"
	"github.com/longctx/longctx/internal/trace"
)

// defaultEngine is the embedded default model (a real vocabulary and a
// model that reads its document).
func defaultEngine(t testing.TB) *engine.Engine { return enginetest.Default(t) }

// traceServer is a live loopback server over the default model.
func traceServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	return serverOver(t, defaultEngine(t), cfg)
}

// needleCase is a generated traceback case with a known source: one asked
// fact among distractor facts in about length tokens.
func needleCase(t testing.TB, kind string, length, index int, spec string) trace.BenchCase {
	t.Helper()
	cases, err := trace.BenchCases(defaultEngine(t).Tokenizer, trace.BenchOptions{
		Lengths: []int{length}, Cases: index + 1, Kinds: []string{kind}, Segment: spec})
	if err != nil {
		t.Fatal(err)
	}
	return cases[index]
}

type traceReply struct {
	trace.Report
	Object          string     `json:"object"`
	AnswerGenerated bool       `json:"answer_generated"`
	SegmentCount    int        `json:"segment_count"`
	Usage           traceUsage `json:"usage"`
}

func postTrace(t testing.TB, ts *testServer, body map[string]any) (int, traceReply, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	code, _, raw := post(t, ts.URL+"/v1/trace", string(b))
	var r traceReply
	if code == http.StatusOK {
		mustJSON(t, raw, &r)
	}
	return code, r, raw
}

// A needle document: with the needle's value as the answer, AttnTrace and
// TracLLM rank the needle's sentence first. Without an answer the server
// traces the model's greedy answer, the one longctx trace generates
// (which need not be right: the test does not grade the model).
func TestTraceNeedle(t *testing.T) {
	e := defaultEngine(t)
	ts := traceServer(t, Config{KVType: "f32"}) // longctx trace's KV type
	c := needleCase(t, "needle", 400, 0, "sentence")
	p := c.Problem
	for _, method := range []string{"attntrace", "tracllm"} {
		code, r, raw := postTrace(t, ts, map[string]any{"document": p.Document, "question": p.Question, "answer": p.Answer,
			"method": method, "segment": "sentence", "top": 3})
		if code != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", method, code, raw)
		}
		if r.Object != "trace" || r.Method != method || r.AnswerGenerated || r.Answer != strings.TrimSpace(p.Answer) ||
			r.SegmentCount != len(p.Segments) || len(r.Segments) != len(p.Segments) || len(r.Top) != 3 {
			t.Fatalf("%s: reply %s", method, raw)
		}
		top := r.Top[0]
		if !slices.Contains(c.Gold, top.Segment) {
			t.Fatalf("%s: top segment %d (%q), the needle is in %v", method, top.Segment, top.Text, c.Gold)
		}
		if p.Document[top.Start:top.End] != top.Text || !strings.Contains(top.Text, strings.TrimSpace(p.Answer)) {
			t.Fatalf("%s: top segment %d..%d holds %q", method, top.Start, top.End, top.Text)
		}
		if r.Usage.PromptTokens != c.Tokens || r.Usage.AnswerTokens < 1 || r.Usage.CompletionTokens != 0 || r.Usage.Passes != r.Passes {
			t.Fatalf("%s: usage %+v for %d passes; the prompt is %d tokens", method, r.Usage, r.Passes, c.Tokens)
		}
		// Only passes over the whole document stay in the prefix cache:
		// AttnTrace's subsets none, TracLLM's v(all) one.
		waitIdle(t, ts.Server, 5*time.Second)
		ts.sched.mu.Lock()
		var held []int
		for _, en := range ts.sched.store.entries {
			held = append(held, len(en.tokens))
		}
		ts.sched.mu.Unlock()
		if want := map[string][]int{"attntrace": nil, "tracllm": {c.Tokens + r.Usage.AnswerTokens}}[method]; !slices.Equal(held, want) {
			t.Fatalf("%s: the prefix cache holds entries of %v tokens, want %v", method, held, want)
		}
	}

	q := *p
	q.Answer = ""
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer}
	ids, err := l.GenerateAnswer(context.Background(), &q, 64)
	if err != nil {
		t.Fatal(err)
	}
	code, r, raw := postTrace(t, ts, map[string]any{"document": p.Document, "question": p.Question, "segment": "sentence"})
	if code != http.StatusOK {
		t.Fatalf("generated: HTTP %d: %s", code, raw)
	}
	if !r.AnswerGenerated || r.Answer != strings.TrimSpace(q.Answer) || r.Usage.CompletionTokens != len(ids) {
		t.Fatalf("generated answer %q (%d tokens), longctx trace generates %q (%d tokens)", r.Answer, r.Usage.CompletionTokens, q.Answer, len(ids))
	}
	// The generation is one more scheduler sequence than the trace's passes.
	if r.Method != "attntrace" || r.Passes != 30 || r.Usage.Passes != r.Passes+1 {
		t.Fatalf("method %s: %d scheduler passes for a %d-pass trace and a generation", r.Method, r.Usage.Passes, r.Passes)
	}
	waitIdle(t, ts.Server, 5*time.Second)
}

// The scheduler's passes (chunked prefill, logits of the answer rows only,
// prefix reuse) give the scores the in-process trace gives.
func TestTraceMatchesLocal(t *testing.T) {
	e := defaultEngine(t)
	ts := traceServer(t, Config{KVType: "f32", StepTokens: 48, KVBlock: 16})
	c := needleCase(t, "multi", 300, 1, "words:20")
	p := c.Problem
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer}
	b, err := l.Bind(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := trace.Options{AttnTrace: trace.AttnTraceOptions{Rounds: 6, Seed: 3}, TracLLM: trace.TracLLMOptions{K: 3, Seed: 3, Permutations: 5}}
	for _, method := range []string{"attntrace", "stc", "loo", "tracllm", "cam"} {
		want, err := trace.Run(context.Background(), b, method, o)
		if err != nil {
			t.Fatal(err)
		}
		code, r, raw := postTrace(t, ts, map[string]any{"document": p.Document, "question": p.Question, "answer": p.Answer,
			"method": method, "segment": "words:20", "top": 3, "seed": 3, "rounds": 6, "permutations": 5})
		if code != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", method, code, raw)
		}
		if r.AnswerGenerated || r.Passes != want.Passes {
			t.Fatalf("%s: %d passes (generated %v), locally %d", method, r.Passes, r.AnswerGenerated, want.Passes)
		}
		for i, s := range r.Segments {
			if (s.Score != nil) != want.Scored[i] {
				t.Fatalf("%s: segment %d scored %v here, %v locally", method, i, s.Score != nil, want.Scored[i])
			}
			// Attention shares are small and log-probabilities are sums:
			// a relative bound with an absolute floor for each.
			if s.Score != nil && math.Abs(*s.Score-want.Scores[i]) > 1e-3*math.Abs(want.Scores[i])+1e-5 {
				t.Fatalf("%s: segment %d scores %g here, %g locally", method, i, *s.Score, want.Scores[i])
			}
		}
		if r.Top[0].Segment != want.Top(1)[0] {
			t.Fatalf("%s: top segment %d here, %d locally", method, r.Top[0].Segment, want.Top(1)[0])
		}
		if method == "cam" && r.Usage.CachedTokens == 0 {
			// CAM's whole-document pass stays cached; the pass over
			// segment 0 alone forks it.
			t.Fatalf("cam: no prefix reuse: %+v", r.Usage)
		}
	}
	waitIdle(t, ts.Server, 5*time.Second)
}

// A completion of the document's prompt leaves its KV in the prefix cache;
// a trace of that prompt forks it instead of recomputing the document.
func TestTraceReusesPrefixCache(t *testing.T) {
	ts := traceServer(t, Config{KVBlock: 16})
	c := needleCase(t, "needle", 300, 2, "sentence")
	p := c.Problem
	prompt, _ := p.Prompt(p.All())
	body, _ := json.Marshal(map[string]any{"prompt": prompt, "max_tokens": 1, "temperature": 0})
	if code, _, raw := post(t, ts.URL+"/v1/completions", string(body)); code != http.StatusOK {
		t.Fatalf("completion: HTTP %d: %s", code, raw)
	}
	code, r, raw := postTrace(t, ts, map[string]any{"document": p.Document, "question": p.Question, "method": "cam", "segment": "sentence"})
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", code, raw)
	}
	// The generation forks all but the last prompt token, and so does
	// CAM's whole-document attention pass (from the generation's entry).
	if r.Usage.CachedTokens < 2*(c.Tokens-1) {
		t.Fatalf("%d cached tokens over %d passes; the prompt is %d tokens", r.Usage.CachedTokens, r.Usage.Passes, c.Tokens)
	}
}

func TestTraceBadRequests(t *testing.T) {
	ts := traceServer(t, Config{Ctx: 256, MaxBodyBytes: 64 << 10})
	doc := "The sky is blue. The grass is green. The code is 4417."
	long := strings.Repeat("The code of the vault is written on the wall. ", 60) // ~600 tokens
	tests := []struct {
		name   string
		body   string
		status int
		param  string
		want   string
	}{
		{"unknown method", `{"document":"` + doc + `","question":"What is the code?","method":"magic"}`, 400, "method", `unknown method "magic"`},
		{"unknown segment", `{"document":"` + doc + `","question":"q?","segment":"lines"}`, 400, "segment", `unknown segment spec "lines"`},
		{"zero words", `{"document":"` + doc + `","question":"q?","segment":"words:0"}`, 400, "segment", "words:N with N >= 1"},
		{"no document", `{"question":"q?"}`, 400, "document", "required"},
		{"blank document", `{"document":"  \n","question":"q?"}`, 400, "document", "required"},
		{"no question", `{"document":"` + doc + `"}`, 400, "question", "required"},
		{"blank answer", `{"document":"` + doc + `","question":"q?","answer":" "}`, 400, "answer", "omit"},
		{"unknown field", `{"document":"` + doc + `","question":"q?","methd":"cam"}`, 400, "methd", "unknown parameter"},
		{"wrong type", `{"document":"` + doc + `","question":"q?","top":"5"}`, 400, "top", "integer"},
		{"top 0", `{"document":"` + doc + `","question":"q?","top":0}`, 400, "top", "[1, 1000]"},
		{"too many rounds", `{"document":"` + doc + `","question":"q?","rounds":100000}`, 400, "rounds", "[1, 256]"},
		{"fraction 0", `{"document":"` + doc + `","question":"q?","fraction":0}`, 400, "fraction", "(0, 1]"},
		{"negative seed", `{"document":"` + doc + `","question":"q?","seed":-1}`, 400, "seed", "integer"},
		{"template", `{"document":"` + doc + `","question":"q?","template":"{question}"}`, 400, "template", "{document}"},
		{"sparse attention", `{"document":"` + doc + `","question":"q?","longctx":{"attention":"snapkv"}}`, 400, "longctx.attention", ""},
		{"wrong model", `{"model":"gpt-9","document":"` + doc + `","question":"q?"}`, 404, "model", "does not exist"},
		{"document too long", `{"document":"` + long + `","question":"What is the code?","answer":"4417"}`, 400, "document", "not truncated"},
		{"no room to generate", `{"document":"` + doc + `","question":"q?","max_tokens":250}`, 400, "document", "max_tokens"},
		{"body too large", `{"document":"` + strings.Repeat("word ", 14000) + `","question":"q?"}`, 413, "", "exceeds the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, raw := post(t, ts.URL+"/v1/trace", tc.body)
			var e struct {
				Error struct {
					Message string  `json:"message"`
					Param   *string `json:"param"`
					Code    *string `json:"code"`
				} `json:"error"`
			}
			mustJSON(t, raw, &e)
			param := ""
			if e.Error.Param != nil {
				param = *e.Error.Param
			}
			if code != tc.status || param != tc.param || !strings.Contains(e.Error.Message, tc.want) {
				t.Fatalf("HTTP %d param %q: %s; want %d, param %q, message with %q", code, param, raw, tc.status, tc.param, tc.want)
			}
			if strings.HasPrefix(tc.name, "document too long") && (e.Error.Code == nil || *e.Error.Code != "context_length_exceeded" || !strings.Contains(e.Error.Message, "context of 256")) {
				t.Fatalf("too long: %s", raw)
			}
		})
	}
	waitIdle(t, ts.Server, 5*time.Second)
}

// A client that goes away mid-trace stops it: the pass under way is
// dropped and no further pass is submitted.
func TestTraceStopsWhenClientLeaves(t *testing.T) {
	ts := traceServer(t, Config{})
	c := needleCase(t, "needle", 800, 0, "sentence")
	p := c.Problem
	body, _ := json.Marshal(map[string]any{"document": p.Document, "question": p.Question, "answer": p.Answer, "rounds": 256, "fraction": 0.9})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/trace", strings.NewReader(string(body)))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Let a few passes run, then leave.
	deadline := time.Now().Add(10 * time.Second)
	for ts.sched.steps.Load() < 10 {
		if time.Now().After(deadline) {
			t.Fatal("the trace did not start")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the trace finished before the client left; make it longer")
	}
	waitIdle(t, ts.Server, 5*time.Second)
	steps := ts.sched.steps.Load()
	time.Sleep(200 * time.Millisecond)
	if n := ts.sched.steps.Load(); n != steps {
		t.Fatalf("the scheduler ran %d more steps after the client left", n-steps)
	}
}

// FuzzTraceRequest feeds arbitrary bodies through the validation of
// POST /v1/trace: it never panics, and every refusal is a 4xx apiError
// with a message.
func FuzzTraceRequest(f *testing.F) {
	for _, s := range []string{
		`{"document":"A b. C d.","question":"q?","method":"cam","segment":"sentence","top":2,"seed":7}`,
		`{"document":"A b. C d.","question":"q?","answer":"d","method":"shapley","permutations":3,"beta":0.5}`,
		`{"document":"x","question":"y","segment":"sep:\\n","template":"{question} {document}"}`,
		`{"document":"x","question":"y","segment":"words:-1","fraction":1e309}`, `{"document":"x","question":"y","rounds":0}`,
		`{"document":"x","question":"y","longctx":{"kv_type":"q8_0","ctx":64}}`, `{"document":"x","question":"y","longctx":[]}`,
		`{"document":7}`, `[]`, `null`, `{"document":"{document}","question":"{question}","template":"{document}{document}"}`,
	} {
		f.Add([]byte(s))
	}
	e := defaultEngine(f)
	cfg, err := Config{Ctx: 256}.withDefaults(e)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{eng: e, cfg: cfg}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req traceRequest
		err := decodeStrict(body, &req, traceFieldNames)
		if err == nil {
			_, err = s.buildTrace(&req)
		}
		if err == nil {
			return
		}
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status < 400 || ae.Status > 499 || ae.Message == "" {
			t.Fatalf("refusal is not a 4xx apiError: %#v", err)
		}
	})
}

// A trace is one request in the request-level metrics however many passes
// it runs.
func TestTraceCountsOnceInMetrics(t *testing.T) {
	ts := traceServer(t, Config{})
	code, _, b := post(t, ts.URL+"/v1/trace", `{"document":"The cat sat on the mat. The dog ran away. Birds fly.","question":"Where did the cat sit?","answer":"on the mat","segment":"sentence","method":"loo"}`)
	if code != 200 {
		t.Fatalf("trace: HTTP %d %s", code, b)
	}
	var r traceResponse
	mustJSON(t, b, &r)
	if r.Usage.Passes < 3 {
		t.Fatalf("%d passes: the test needs several", r.Usage.Passes)
	}
	waitIdle(t, ts.Server, 2*time.Second)
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`finished_reason="stop"} 1`,
		`vllm:e2e_request_latency_seconds_count{model_name="` + ts.Config().ModelName + `"} 1`,
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(string(text), `finished_reason="length"}`) {
		t.Errorf("the trace's passes were counted as requests:\n%s", text)
	}
}
