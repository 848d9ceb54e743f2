package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	rand2 "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/plan"
	"github.com/longctx/longctx/internal/sample"
)

// Server answers the OpenAI-compatible API over one engine.
type Server struct {
	eng      *engine.Engine
	cfg      Config
	mem      plan.Plan
	sched    *scheduler
	metrics  *metrics
	handler  http.Handler
	created  int64
	draining atomic.Bool
}

// New starts a server's scheduler over e. Close stops it.
func New(e *engine.Engine, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults(e)
	if err != nil {
		return nil, err
	}
	mem, err := plan.New(plan.FromModel(e.Model), cacheTypes[cfg.KVType], cfg.KVBlock, cfg.StepTokens)
	if err != nil {
		return nil, err
	}
	s := &Server{eng: e, cfg: cfg, mem: mem, metrics: newMetrics(), created: time.Now().Unix()}
	s.sched = newScheduler(e.Model, e.Tokenizer, cfg, s.metrics)
	mux := http.NewServeMux()
	routes := []struct {
		method, path string
		h            http.HandlerFunc
	}{
		{"POST", "/v1/completions", s.handleCompletions},
		{"POST", "/v1/chat/completions", s.handleChat},
		{"POST", "/v1/trace", s.handleTrace},
		{"GET", "/v1/models", s.handleModels},
		{"GET", "/v1/models/{id}", s.handleModel},
		{"POST", "/tokenize", s.handleTokenize},
		{"POST", "/detokenize", s.handleDetokenize},
		{"GET", "/health", s.handleHealth},
		{"GET", "/metrics", s.handleMetrics},
	}
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, rt.h)
	}
	// The catch-all would hide the mux's own 405 for a known path.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range routes {
			if rt.path == r.URL.Path || (strings.HasSuffix(rt.path, "/{id}") && strings.HasPrefix(r.URL.Path, strings.TrimSuffix(rt.path, "{id}"))) {
				w.Header().Set("Allow", rt.method)
				writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error",
					Message: fmt.Sprintf("%s takes %s, not %s", r.URL.Path, rt.method, r.Method)})
				return
			}
		}
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found_error",
			Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)})
	})
	s.handler = s.auth(mux)
	return s, nil
}

// Config is the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Memory is the memory model admission uses (of the default KV type).
func (s *Server) Memory() plan.Plan { return s.mem }

// Handler is the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// Drain makes /health report 503 and refuses new generations (503) while
// the requests inside finish. Use before http.Server.Shutdown.
func (s *Server) Drain() {
	s.draining.Store(true)
	s.sched.drain()
}

// Close stops the scheduler; requests still inside fail.
func (s *Server) Close() { s.sched.close() }

// auth requires the API key, when one is set, on all but /health and /metrics.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.cfg.APIKey == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" && r.URL.Path != "/metrics" &&
			subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeError(w, &apiError{Status: http.StatusUnauthorized, Type: "authentication_error", Code: "invalid_api_key",
				Message: "missing or wrong API key (send Authorization: Bearer KEY)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeError answers err in OpenAI's error shape.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.Status)
	json.NewEncoder(w).Encode(errorBody(ae))
}

func errorBody(ae *apiError) map[string]any {
	var param, code any
	if ae.Param != "" {
		param = ae.Param
	}
	if ae.Code != "" {
		code = ae.Code
	}
	return map[string]any{"error": map[string]any{"message": ae.Message, "type": ae.Type, "param": param, "code": code}}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// readBody reads a request body up to the limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error",
			Message: fmt.Sprintf("the request body exceeds the limit of %d bytes", s.cfg.MaxBodyBytes)}
	}
	if err != nil {
		return nil, badRequest("", "reading the request body: %v", err)
	}
	return b, nil
}

func (s *Server) checkModel(name string) error {
	if name != "" && name != s.cfg.ModelName {
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Param: "model", Code: "model_not_found",
			Message: fmt.Sprintf("the model %q does not exist; this server serves %q", name, s.cfg.ModelName)}
	}
	return nil
}

// buildGen validates the shared parameters of a generation over prompt.
// zeroMax allows max_tokens 0 (completions echo: score the prompt only).
func (s *Server) buildGen(f *samplingFields, maxTokens *int, prompt []int32, zeroMax bool) (*genRequest, error) {
	if err := s.checkModel(f.Model); err != nil {
		return nil, err
	}
	if f.N != nil && *f.N != 1 {
		return nil, badRequest("n", "only n=1 is supported, got %d", *f.N)
	}
	if f.StreamOptions != nil && !f.Stream {
		return nil, badRequest("stream_options", "stream_options is only allowed with stream=true")
	}
	if len(prompt) == 0 {
		return nil, badRequest("prompt", "the prompt tokenized to nothing")
	}
	vocab := s.eng.Model.Config.Vocab
	for i, t := range prompt {
		if t < 0 || int(t) >= vocab {
			return nil, badRequest("prompt", "token id %d at index %d is outside the vocabulary of %d", t, i, vocab)
		}
	}
	opts, err := s.parseLongctx(f.Longctx)
	if err != nil {
		return nil, err
	}
	ctxLen := opts.Ctx
	if maxPrompt := min(s.cfg.MaxPromptTokens, ctxLen-1); len(prompt) > maxPrompt {
		return nil, &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "prompt", Code: "context_length_exceeded",
			Message: fmt.Sprintf("the prompt is %d tokens; this request accepts at most %d (context %d)", len(prompt), maxPrompt, ctxLen)}
	}
	g := &genRequest{prompt: prompt, opts: opts}
	switch {
	case maxTokens == nil:
		g.maxTokens, g.maxDefault = min(s.cfg.MaxTokens, ctxLen-len(prompt)), true
	case *maxTokens < 0 || (*maxTokens == 0 && !zeroMax):
		return nil, badRequest("max_tokens", "max_tokens must be at least 1, got %d", *maxTokens)
	case *maxTokens > s.cfg.MaxTokens:
		return nil, badRequest("max_tokens", "max_tokens is %d; this server allows at most %d", *maxTokens, s.cfg.MaxTokens)
	default:
		g.maxTokens = *maxTokens
	}
	if n := len(prompt) + g.maxTokens; n > ctxLen {
		return nil, &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "max_tokens", Code: "context_length_exceeded",
			Message: fmt.Sprintf("this request needs %d tokens (%d prompt + %d max_tokens) but the context is %d; lower max_tokens or shorten the prompt",
				n, len(prompt), g.maxTokens, ctxLen)}
	}
	p := sample.Params{Temperature: 1, TopP: 1, TypicalP: 1, RepeatPenalty: 1, RepeatLastN: -1}
	type rng struct {
		name   string
		v      *float64
		dst    *float32
		lo, hi float64
		loOpen bool
	}
	for _, x := range []rng{
		{"temperature", f.Temperature, &p.Temperature, 0, 2, false},
		{"top_p", f.TopP, &p.TopP, 0, 1, true},
		{"presence_penalty", f.PresencePenalty, &p.PresencePenalty, -2, 2, false},
		{"frequency_penalty", f.FrequencyPenalty, &p.FrequencyPenalty, -2, 2, false},
		{"min_p", f.MinP, &p.MinP, 0, 1, false},
		{"repetition_penalty", f.RepetitionPenalty, &p.RepeatPenalty, 0, 10, true},
	} {
		if x.v == nil {
			continue
		}
		v := *x.v
		if math.IsNaN(v) || v < x.lo || v > x.hi || (x.loOpen && v == x.lo) {
			open := "["
			if x.loOpen {
				open = "("
			}
			return nil, badRequest(x.name, "%s must be in %s%g, %g], got %g", x.name, open, x.lo, x.hi, v)
		}
		*x.dst = float32(v)
	}
	if f.TopK != nil {
		if *f.TopK < 0 {
			return nil, badRequest("top_k", "top_k must be >= 0 (0 disables), got %d", *f.TopK)
		}
		p.TopK = *f.TopK
	}
	if f.Seed != nil {
		p.Seed = uint64(*f.Seed)
	} else {
		p.Seed = rand2.Uint64()
	}
	stops, err := parseStop(f.Stop, s.cfg.MaxStops)
	if err != nil {
		return nil, err
	}
	g.params, g.stops = p, stops
	return g, nil
}

// submit queues g and maps scheduler refusals to HTTP errors.
func (s *Server) submit(ctx context.Context, w http.ResponseWriter, g *genRequest) (*seq, error) {
	if s.draining.Load() {
		return nil, &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: errDraining.Error()}
	}
	r, err := s.sched.submit(ctx, g)
	switch {
	case errors.Is(err, errQueueFull):
		secs := max(1, int(math.Ceil(s.cfg.RetryAfter.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return nil, &apiError{Status: http.StatusTooManyRequests, Type: "rate_limit_error", Code: "queue_full",
			Message: fmt.Sprintf("the server is busy (%d running, %d queued at most); retry after %d s", s.cfg.Parallel, s.cfg.QueueDepth, secs)}
	case errors.Is(err, errDraining):
		return nil, &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: err.Error()}
	}
	return r, err
}

// wait hands each event of r to each until the final one, or until ctx ends.
func wait(ctx context.Context, r *seq, each func(event) error) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.out.ready:
		}
		for _, ev := range r.out.take() {
			if err := each(ev); err != nil {
				return err
			}
			if ev.Done {
				return nil
			}
		}
	}
}

func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// sse writes Server-Sent Events, flushing each.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: http.NewResponseController(w)}
}

func (e *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "data: %s\n\n", b); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (e *sse) done() {
	fmt.Fprint(e.w, "data: [DONE]\n\n")
	e.rc.Flush()
}

// sendError reports a failure after the stream has started.
func (e *sse) sendError(err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: err.Error()}
	}
	e.send(errorBody(ae))
}

// chatTokens renders messages with the chat template and tokenizes them,
// as engine.PromptTokens does, with the generation prompt optional.
func (s *Server) chatTokens(msgs []chat.Message, addGen bool) ([]int32, error) {
	tpl := s.cfg.ChatTemplate
	if tpl == nil {
		return nil, badRequest("messages", "the model has no chat template (tokenizer.chat_template); use /v1/completions with a raw prompt, or start the server with a chat template")
	}
	ids, err := s.eng.ChatTokens(tpl, msgs, addGen)
	if err != nil {
		return nil, badRequest("messages", "rendering the chat template: %v", err)
	}
	return ids, nil
}

// chatMessages converts and checks request messages.
func chatMessages(in []chatMessage) ([]chat.Message, error) {
	if len(in) == 0 {
		return nil, badRequest("messages", "messages must not be empty")
	}
	out := make([]chat.Message, len(in))
	for i, m := range in {
		role := m.Role
		switch role {
		case "system", "user", "assistant":
		case "developer": // OpenAI's newer name for system
			role = "system"
		case "":
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "messages[%d] has no role", i)
		default:
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "messages[%d] has role %q; supported: system, developer, user, assistant", i, m.Role)
		}
		text, err := messageText(i, m.Content)
		if err != nil {
			return nil, err
		}
		out[i] = chat.Message{Role: role, Content: text}
	}
	return out, nil
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"object": "list", "data": []any{s.modelCard()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if err := s.checkModel(r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, s.modelCard())
}

func (s *Server) modelCard() map[string]any {
	return map[string]any{
		"id": s.cfg.ModelName, "object": "model", "created": s.created, "owned_by": "longctx",
		"max_model_len": s.cfg.Ctx, "context_length": s.cfg.Ctx,
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeError(w, &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: "draining"})
		return
	}
	writeJSON(w, map[string]string{"status": "ok"})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	running, waiting, kvUsed, kvCached := s.sched.snapshot()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, s.cfg.ModelName, schedState{running: running, waiting: waiting, kvUsed: kvUsed, kvCached: kvCached, kvBudget: s.cfg.KVBytes})
}

type tokenizeRequest struct {
	Model               string        `json:"model"`
	Content             *string       `json:"content"` // llama.cpp's name
	Prompt              *string       `json:"prompt"`  // vLLM's name
	Messages            []chatMessage `json:"messages"`
	AddSpecial          *bool         `json:"add_special"`        // llama.cpp
	AddSpecialTokens    *bool         `json:"add_special_tokens"` // vLLM
	AddGenerationPrompt *bool         `json:"add_generation_prompt"`
}

func (s *Server) handleTokenize(w http.ResponseWriter, r *http.Request) {
	ids, err := s.tokenize(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, map[string]any{"tokens": ids, "count": len(ids), "max_model_len": s.cfg.Ctx})
}

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) ([]int32, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	var req tokenizeRequest
	if err := decodeStrict(body, &req, []string{"model", "content", "prompt", "messages", "add_special", "add_special_tokens", "add_generation_prompt"}); err != nil {
		return nil, err
	}
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	if req.Messages != nil {
		if req.Content != nil || req.Prompt != nil {
			return nil, badRequest("messages", "give messages or a prompt, not both")
		}
		msgs, err := chatMessages(req.Messages)
		if err != nil {
			return nil, err
		}
		return s.chatTokens(msgs, req.AddGenerationPrompt == nil || *req.AddGenerationPrompt)
	}
	text := req.Content
	if req.Prompt != nil {
		if text != nil && *text != *req.Prompt {
			return nil, badRequest("prompt", "content and prompt differ; give one")
		}
		text = req.Prompt
	}
	if text == nil {
		return nil, badRequest("prompt", "give prompt (or content) or messages")
	}
	add := true
	for _, b := range []*bool{req.AddSpecial, req.AddSpecialTokens} {
		if b != nil {
			add = *b
		}
	}
	return s.eng.Tokenizer.Encode(*text, add, false)
}

func (s *Server) handleDetokenize(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req struct {
		Model  string  `json:"model"`
		Tokens []int64 `json:"tokens"`
	}
	if err := decodeStrict(body, &req, []string{"model", "tokens"}); err != nil {
		writeError(w, err)
		return
	}
	if err := s.checkModel(req.Model); err != nil {
		writeError(w, err)
		return
	}
	ids := make([]int32, len(req.Tokens))
	for i, t := range req.Tokens {
		if t < 0 || t >= int64(s.eng.Model.Config.Vocab) {
			writeError(w, badRequest("tokens", "token id %d at index %d is outside the vocabulary of %d", t, i, s.eng.Model.Config.Vocab))
			return
		}
		ids[i] = int32(t)
	}
	text, err := s.eng.Tokenizer.Decode(ids, false, false)
	if err != nil {
		writeError(w, badRequest("tokens", "%v", err))
		return
	}
	writeJSON(w, map[string]any{"prompt": string(text), "content": string(text)})
}
