package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/trace"
	"github.com/longctx/longctx/internal/trace/observe"
)

// traceRequest is the body of POST /v1/trace: which segments of document
// made the model give answer (its own greedy answer when absent) to
// question. The knobs are longctx trace's flags of the same names.
type traceRequest struct {
	Model        string   `json:"model"`
	Document     *string  `json:"document"`
	Question     *string  `json:"question"`
	Answer       *string  `json:"answer"`
	Method       *string  `json:"method"`
	Segment      *string  `json:"segment"`
	Template     *string  `json:"template"`
	Top          *int     `json:"top"`
	Seed         *uint64  `json:"seed"`
	TopTokens    *int     `json:"top_tokens"`
	Fraction     *float64 `json:"fraction"`
	Rounds       *int     `json:"rounds"`
	Permutations *int     `json:"permutations"`
	Beta         *float64 `json:"beta"`
	// MaxTokens bounds the generated answer (CLI: -n).
	MaxTokens *int `json:"max_tokens"`
	// Longctx takes the generation endpoints' options (kv_type, ctx,
	// prefix_cache); the attention must be dense: it is what is traced.
	Longctx json.RawMessage `json:"longctx"`
}

var traceFieldNames = []string{"model", "document", "question", "answer", "method", "segment", "template", "top", "seed",
	"top_tokens", "fraction", "rounds", "permutations", "beta", "max_tokens", "longctx"}

// Bounds on a trace's work: each round or permutation costs model passes.
const (
	maxTraceTop          = 1000
	maxTraceRounds       = 256
	maxTracePermutations = 256
	defaultTraceAnswer   = 64 // tokens, as longctx trace -n
)

// traceUsage is a trace's token accounting.
type traceUsage struct {
	// PromptTokens is the prompt holding the whole document, AnswerTokens
	// the answer traced.
	PromptTokens int `json:"prompt_tokens"`
	AnswerTokens int `json:"answer_tokens"`
	// CompletionTokens were generated for the answer (0 when given).
	CompletionTokens int `json:"completion_tokens"`
	// Passes are the scheduler sequences run (the generation included);
	// PassTokens the positions they held in all; CachedTokens the
	// positions of those forked from the prefix cache instead of computed.
	Passes       int `json:"passes"`
	PassTokens   int `json:"pass_tokens"`
	CachedTokens int `json:"cached_tokens"`
}

// traceResponse is trace.Report (the JSON of longctx trace) with the
// request's context.
type traceResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	*trace.Report
	AnswerGenerated bool        `json:"answer_generated"`
	SegmentSpec     string      `json:"segment_spec"`
	SegmentCount    int         `json:"segment_count"`
	TotalSeconds    float64     `json:"total_seconds"`
	Usage           traceUsage  `json:"usage"`
	Longctx         *runOptions `json:"longctx"`
}

// traceJob is a validated trace request.
type traceJob struct {
	p         *trace.Problem
	method    string
	top       int
	opts      trace.Options
	maxTokens int
	run       *runOptions
	prompt    []int32 // the whole-document prompt's tokens
	spec      string
}

func (s *Server) handleTrace(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req traceRequest
	if err := decodeStrict(body, &req, traceFieldNames); err != nil {
		writeError(w, err)
		return
	}
	job, err := s.buildTrace(&req)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // however the handler ends, the scheduler drops the pass under way
	be := &schedBackend{s: s, w: w, opts: job.run, whole: job.prompt}
	// The trace is one request in the metrics, however many passes it ran.
	outcome := "error"
	defer func() {
		if ctx.Err() != nil && outcome == "error" {
			outcome = "abort"
		}
		s.metrics.finished(outcome)
		s.metrics.e2e(time.Since(start))
	}()
	generated := 0
	if job.p.Answer == "" {
		if generated, err = be.generate(ctx, job); err != nil {
			if ctx.Err() == nil {
				writeError(w, err)
			}
			return
		}
	}
	b, err := trace.BindBackend(be, s.eng.Tokenizer, job.p, nil)
	if err != nil {
		writeError(w, badRequest("answer", "%v", err))
		return
	}
	if err := s.checkTraceFits(job, b.AnswerTokens(), "answer"); err != nil {
		writeError(w, err)
		return
	}
	res, err := trace.Run(ctx, b, job.method, job.opts)
	if err != nil {
		if ctx.Err() == nil { // otherwise the client went away
			writeError(w, err)
		}
		return
	}
	outcome = "stop"
	writeJSON(w, traceResponse{
		ID: newID("trace-"), Object: "trace", Created: time.Now().Unix(), Model: s.cfg.ModelName,
		Report:          trace.NewReport(job.p, res, job.top),
		AnswerGenerated: generated > 0, SegmentSpec: job.spec, SegmentCount: len(job.p.Segments),
		TotalSeconds: time.Since(start).Seconds(),
		Usage: traceUsage{PromptTokens: len(job.prompt), AnswerTokens: b.AnswerTokens(), CompletionTokens: generated,
			Passes: be.passes, PassTokens: be.tokens, CachedTokens: be.cached},
		Longctx: job.run,
	})
}

// buildTrace validates a trace request: every field, and that the prompt
// with the answer (or room for generating one) fits the context.
func (s *Server) buildTrace(req *traceRequest) (*traceJob, error) {
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	if req.Document == nil || strings.TrimSpace(*req.Document) == "" {
		return nil, badRequest("document", "parameter \"document\" is required and must hold some text")
	}
	if req.Question == nil || strings.TrimSpace(*req.Question) == "" {
		return nil, badRequest("question", "parameter \"question\" is required and must hold some text")
	}
	answer := ""
	if req.Answer != nil {
		if strings.TrimSpace(*req.Answer) == "" {
			return nil, badRequest("answer", "the answer is empty; omit \"answer\" to trace the model's own answer")
		}
		answer = *req.Answer
	}
	job := &traceJob{method: "attntrace", spec: "words:100", top: 5, maxTokens: defaultTraceAnswer}
	if req.Method != nil {
		job.method = *req.Method
	}
	if !slices.Contains(trace.Methods, job.method) {
		return nil, badRequest("method", "unknown method %q (want %s)", job.method, strings.Join(trace.Methods, ", "))
	}
	if req.Segment != nil {
		job.spec = *req.Segment
	}
	tplText := trace.DefaultTemplate
	if req.Template != nil {
		tplText = *req.Template
	}
	tpl, err := trace.ParseTemplate(tplText)
	if err != nil {
		return nil, badRequest("template", "%v", err)
	}
	if _, err := trace.Split(*req.Document, job.spec); err != nil {
		return nil, badRequest("segment", "%v", err)
	}
	if job.p, err = trace.NewProblem(*req.Document, job.spec, *req.Question, answer, tpl); err != nil {
		return nil, badRequest("", "%v", err)
	}

	seed := uint64(1) // longctx trace's default: seeded runs reproduce
	if req.Seed != nil {
		seed = *req.Seed
	}
	at := trace.AttnTraceOptions{Seed: seed}
	tl := trace.TracLLMOptions{Seed: seed}
	for _, x := range []struct {
		name   string
		v      *int
		dst    *int
		lo, hi int
	}{
		{"top", req.Top, &job.top, 1, maxTraceTop},
		{"top_tokens", req.TopTokens, &at.TopTokens, 1, maxTraceTop},
		{"rounds", req.Rounds, &at.Rounds, 1, maxTraceRounds},
		{"permutations", req.Permutations, &tl.Permutations, 1, maxTracePermutations},
		{"max_tokens", req.MaxTokens, &job.maxTokens, 1, s.cfg.MaxTokens},
	} {
		if x.v == nil {
			continue
		}
		if *x.v < x.lo || *x.v > x.hi {
			return nil, badRequest(x.name, "%s must be in [%d, %d], got %d", x.name, x.lo, x.hi, *x.v)
		}
		*x.dst = *x.v
	}
	for _, x := range []struct {
		name string
		v    *float64
		dst  *float64
	}{{"fraction", req.Fraction, &at.Fraction}, {"beta", req.Beta, &tl.Beta}} {
		if x.v == nil {
			continue
		}
		if v := *x.v; math.IsNaN(v) || v <= 0 || v > 1 {
			return nil, badRequest(x.name, "%s must be in (0, 1], got %g", x.name, v)
		}
		*x.dst = *x.v
	}
	tl.K = job.top
	job.opts = trace.Options{AttnTrace: at, TracLLM: tl}

	if job.run, err = s.parseLongctx(req.Longctx); err != nil {
		return nil, err
	}
	if job.run.wrap != nil {
		return nil, badRequest("longctx.attention", "a trace runs with dense attention (the model's own attention is what is traced), not %s", job.run.Attention)
	}
	text, _ := job.p.Prompt(job.p.All())
	if job.prompt, err = s.eng.Tokenizer.Encode(text, true, false); err != nil {
		return nil, badRequest("document", "tokenizing the prompt: %v", err)
	}
	need, what := job.maxTokens, "max_tokens (room for the generated answer)"
	if answer != "" {
		// A rough count here (the answer's tokens in context come later):
		// a document far too long is refused before any work.
		ids, err := s.eng.Tokenizer.Encode(job.p.Answer, false, false)
		if err != nil {
			return nil, badRequest("answer", "tokenizing the answer: %v", err)
		}
		need, what = len(ids), "answer"
	}
	if err := s.checkTraceFits(job, need, what); err != nil {
		return nil, err
	}
	return job, nil
}

// checkTraceFits refuses a trace whose prompt and answer do not fit the
// context: the document is never cut.
func (s *Server) checkTraceFits(job *traceJob, answer int, what string) error {
	ctxLen := job.run.Ctx
	maxPrompt := min(s.cfg.MaxPromptTokens, ctxLen-1)
	n := len(job.prompt)
	if n > maxPrompt || n+answer > ctxLen {
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "document", Code: "context_length_exceeded",
			Message: fmt.Sprintf("the prompt holding the document is %d tokens and the %s %d more, %d in all; this request accepts at most %d prompt tokens and a context of %d (the document is not truncated: shorten it)",
				n, what, answer, n+answer, maxPrompt, ctxLen)}
	}
	return nil
}

// schedBackend runs a trace's model passes as scheduler sequences:
// batched into the scheduler's steps with the other requests, admitted
// against the KV budget, and forked from the prefix cache up to the
// answer (a pass over a subset of the segments shares the prompt up to
// the first segment it drops). Only passes over the whole document are
// kept in the prefix cache; the subsets would crowd it out.
type schedBackend struct {
	s     *Server
	w     http.ResponseWriter // for a 429's Retry-After
	opts  *runOptions
	whole []int32 // the whole-document prompt's tokens
	// admitted is set once the first pass is in: later passes are part
	// of an admitted request and a full queue does not refuse them.
	// Passes run concurrently (the scheduler batches them); admit
	// serializes their submissions, mu guards the counters.
	admit                  sync.Mutex
	admitted               bool
	mu                     sync.Mutex
	passes, tokens, cached int
}

// Concurrency lets a trace submit as many passes at once as the server
// runs sequences: they share its batched forward passes.
func (b *schedBackend) Concurrency() int { return max(1, b.s.cfg.Parallel) }

// greedy is the sampling of a generated answer, as longctx trace's.
var greedy = sample.Params{Temperature: 0, TopP: 1, TypicalP: 1, RepeatPenalty: 1, RepeatLastN: -1}

// run submits one pass and waits for it; prompt holds the prompt
// log-probabilities it reported, text what it generated.
func (b *schedBackend) run(ctx context.Context, g *genRequest) (prompt []tokenLogprob, text string, final event, err error) {
	b.admit.Lock()
	g.opts, g.params, g.admitted, g.pass = b.opts, greedy, b.admitted, true
	sq, err := b.s.submit(ctx, b.w, g)
	if err == nil {
		b.admitted = true
	}
	b.admit.Unlock()
	if err != nil {
		return nil, "", event{}, err
	}
	var sb strings.Builder
	if err := wait(ctx, sq, func(ev event) error {
		if ev.Prompt != nil {
			prompt = ev.Prompt
		}
		sb.WriteString(ev.Text)
		final = ev
		return nil
	}); err != nil {
		return nil, "", event{}, err
	}
	if final.Err != nil {
		return nil, "", event{}, final.Err
	}
	b.mu.Lock()
	b.passes++
	b.tokens += final.Usage.Prompt + final.Usage.Completion
	b.cached += final.Usage.Cached
	b.mu.Unlock()
	return prompt, sb.String(), final, nil
}

// generate sets the model's greedy answer to the whole document on the
// job's problem, ending at a line break as longctx trace's does, and
// returns the tokens generated. It is an ordinary sequence: it reuses and
// feeds the prefix cache like a completion of the same prompt.
func (b *schedBackend) generate(ctx context.Context, job *traceJob) (int, error) {
	_, text, final, err := b.run(ctx, &genRequest{prompt: job.prompt, maxTokens: job.maxTokens, stops: []string{"\n"}})
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(text) == "" {
		return 0, &apiError{Status: http.StatusUnprocessableEntity, Type: "invalid_request_error", Param: "answer",
			Message: "the model's answer is empty (it ended at once); give the answer to trace in \"answer\""}
	}
	job.p.SetAnswer(text)
	return final.Usage.Completion, nil
}

// isWhole reports whether tokens[:prompt] is the whole-document prompt.
func (b *schedBackend) isWhole(tokens []int32, prompt int) bool {
	return slices.Equal(tokens[:prompt], b.whole)
}

// AnswerLogProbs implements trace.Backend: one pass over prompt and
// answer with the answer rows' logits only.
func (b *schedBackend) AnswerLogProbs(ctx context.Context, tokens []int32, prompt int) ([]float64, error) {
	if prompt < 1 || prompt >= len(tokens) {
		return nil, fmt.Errorf("trace: answer from token %d of %d", prompt, len(tokens))
	}
	lps, _, _, err := b.run(ctx, &genRequest{prompt: tokens, fresh: prompt - 1, scoreFrom: prompt, noStore: !b.isWhole(tokens, prompt)})
	if err != nil {
		return nil, err
	}
	if len(lps) != len(tokens)-prompt {
		return nil, fmt.Errorf("trace: the pass scored %d answer tokens, want %d", len(lps), len(tokens)-prompt)
	}
	out := make([]float64, len(lps))
	for i, lp := range lps {
		out[i] = lp.Logprob
	}
	return out, nil
}

// AnswerAttention implements trace.Backend: one pass with an attention
// observer on the rows that predict the answer.
func (b *schedBackend) AnswerAttention(ctx context.Context, tokens []int32, prompt int, doc kv.Span) ([]float64, error) {
	if prompt < 1 || prompt >= len(tokens) || doc.From < 0 || doc.To < doc.From || doc.To > prompt {
		return nil, fmt.Errorf("trace: attention of answer tokens %d..%d over document tokens %d..%d", prompt, len(tokens), doc.From, doc.To)
	}
	c := b.s.eng.Model.Config
	geo := observe.Geometry{Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim}
	sum := observe.NewColumnSum(doc.From, doc.To-doc.From)
	watch := func(inner kv.Cache, keys observe.KeyReader) (kv.Cache, error) {
		o, err := observe.New(inner, keys, geo, sum)
		if err != nil {
			return nil, err
		}
		o.Watch(kv.Span{From: prompt - 1, To: len(tokens) - 1}, doc)
		return o, nil
	}
	// The watched rows are scored (the scores dropped) because the model's
	// last layer runs only the rows whose outputs it returns.
	if _, _, _, err := b.run(ctx, &genRequest{prompt: tokens, fresh: prompt - 1, scoreFrom: prompt, observe: watch, noStore: !b.isWhole(tokens, prompt)}); err != nil {
		return nil, err
	}
	if sum.Rows == 0 {
		return nil, errors.New("trace: the pass observed no answer rows")
	}
	return sum.Mean(), nil
}
