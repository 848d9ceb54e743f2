package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tokenizer"
	"github.com/longctx/longctx/internal/trace/observe"
)

// genRequest is a validated generation request.
type genRequest struct {
	prompt    []int32
	maxTokens int // 0 only with echo: score the prompt, generate nothing
	// maxDefault: maxTokens was not asked for, so it may shrink to what
	// the KV budget holds.
	maxDefault bool
	params     sample.Params
	stops      []string
	// logprobs asks for each generated token's logprob and topN
	// alternatives; promptLogprobs for the prompt's too (completions echo).
	logprobs       bool
	topN           int
	promptLogprobs bool
	opts           *runOptions

	// Trace passes (POST /v1/trace) teacher-force an answer held in the
	// prompt. fresh > 0 bounds the prefix reused from the cache to fresh
	// positions, so the rows from fresh on are computed by this pass;
	// scoreFrom > 0 asks for the log-probabilities of the prompt tokens
	// from scoreFrom on, and only the rows predicting them get logits;
	// observe wraps the sequence's cache (keys reads the stored keys) to
	// watch attention; noStore keeps the finished KV out of the prefix
	// cache; admitted marks a later pass of a trace that was admitted,
	// which a full queue does not refuse.
	fresh     int
	scoreFrom int
	observe   func(c kv.Cache, keys observe.KeyReader) (kv.Cache, error)
	noStore   bool
	admitted  bool
	// pass marks a trace's pass: the trace is one request in the
	// request-level metrics (counted by its handler), not each pass.
	pass bool
}

// tokenLogprob is one token's log-probability under the model (raw logits,
// before sampling filters), with the topN most likely alternatives.
type tokenLogprob struct {
	ID      int32
	Logprob float64 // NaN for the first prompt token, which has no context
	Top     []topEntry
}

type topEntry struct {
	ID      int32
	Logprob float64
}

// usage is OpenAI's token accounting.
type usage struct {
	Prompt, Completion, Cached int
}

// event is what the scheduler hands a request's handler.
type event struct {
	Text   string
	Tokens []tokenLogprob // generated tokens this event covers (with logprobs)
	Prompt []tokenLogprob // prompt logprobs (echo), once, before any text
	Done   bool
	Finish string // "stop" or "length", with Done
	Usage  usage  // with Done
	Err    error  // with Done: the request failed
}

// outbox passes events from the scheduler to a handler without ever
// blocking the scheduler on a slow client.
type outbox struct {
	mu    sync.Mutex
	evs   []event
	ready chan struct{} // capacity 1: "something is waiting"
}

func newOutbox() *outbox { return &outbox{ready: make(chan struct{}, 1)} }

func (o *outbox) push(e event) {
	o.mu.Lock()
	o.evs = append(o.evs, e)
	o.mu.Unlock()
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

func (o *outbox) take() []event {
	o.mu.Lock()
	defer o.mu.Unlock()
	evs := o.evs
	o.evs = nil
	return evs
}

// seq is one request inside the scheduler.
type seq struct {
	gen *genRequest
	ctx context.Context
	out *outbox

	// Owned by the scheduler goroutine.
	lease     *lease   // the sequence's KV (its charge, its prefix entry)
	cache     kv.Cache // lease.seq, or the attention policy around it
	held      []int32  // the tokens whose KV the cache holds, in order
	cached    int      // prompt positions reused from the prefix cache
	sampler   *sample.Sampler
	dec       *tokenizer.StreamDecoder
	stop      *sample.StopMatcher
	pos       int  // positions in the cache
	decoding  bool // the prompt is in the cache
	next      int32
	generated int
	promptLP  []tokenLogprob

	enqueued, lastToken time.Time
	// goneAt is the scheduler step under way when the client went away
	// (-1 while it is there), for longctx:abort_release_steps.
	goneAt    atomic.Int64
	stopWatch func() bool // stops the watch on ctx
}

// Errors submit returns; handlers map them to statuses.
var (
	errQueueFull = errors.New("the request queue is full")
	errDraining  = errors.New("the server is shutting down")
)

// policyChunk is the fixed prefill chunk of a sequence under an attention
// policy: what a step holds beside every slot decoding, within the
// policy's own bound.
func (s *scheduler) policyChunk(r *seq) int {
	c := max(1, s.cfg.StepTokens-s.cfg.Parallel)
	if m := r.gen.opts.maxChunk; m > 0 {
		c = min(c, m)
	}
	return c
}

// promptChunkWithLogits bounds the prefill chunk of a sequence that wants
// every position's logits (they take vocab floats per token).
const promptChunkWithLogits = 64

// scheduler owns the model: one goroutine runs batched forward passes.
type scheduler struct {
	model   *model.Model
	tok     *tokenizer.Tokenizer
	cfg     Config
	metrics *metrics

	mu       sync.Mutex
	queue    []*seq
	running  []*seq // appended and removed under mu, by the loop only
	store    *kvStore
	draining bool

	// steps counts the steps begun, so an abort can be measured in steps.
	steps atomic.Int64

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

func newScheduler(m *model.Model, tok *tokenizer.Tokenizer, cfg Config, met *metrics) *scheduler {
	s := &scheduler{
		model: m, tok: tok, cfg: cfg, metrics: met,
		store: newKVStore(m, cfg.Ctx, cfg.KVBlock, cfg.KVBytes, cacheTypes[cfg.KVType]),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go s.loop()
	return s
}

// submit queues a request. The sequence follows ctx: once it is done the
// scheduler drops the sequence at its next step.
func (s *scheduler) submit(ctx context.Context, g *genRequest) (*seq, error) {
	need := len(g.prompt) + g.maxTokens
	s.mu.Lock()
	charge, err := s.store.seqCharge(g.opts.elem, g.opts.holds(need))
	s.mu.Unlock()
	if err != nil {
		return nil, badRequest("longctx.kv_type", "%v", err)
	}
	if charge > s.cfg.KVBytes && g.maxDefault {
		// Without max_tokens the request asked for the context's room;
		// it gets the budget's instead.
		s.mu.Lock()
		block, _ := s.store.seqCharge(g.opts.elem, 1)
		s.mu.Unlock()
		if fits := int(s.cfg.KVBytes/block) * s.cfg.KVBlock; fits > len(g.prompt) {
			g.maxTokens = min(g.maxTokens, fits-len(g.prompt))
			need = len(g.prompt) + g.maxTokens
			s.mu.Lock()
			charge, err = s.store.seqCharge(g.opts.elem, g.opts.holds(need))
			s.mu.Unlock()
			if err != nil {
				return nil, badRequest("longctx.kv_type", "%v", err)
			}
		}
	}
	if charge > s.cfg.KVBytes {
		return nil, &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "max_tokens", Code: "context_length_exceeded",
			Message: fmt.Sprintf("this request needs %d tokens of %s KV cache (%d prompt + %d max_tokens; %d bytes in blocks of %d) but the server's KV budget is %d bytes; lower max_tokens, shorten the prompt or choose a smaller longctx.kv_type",
				g.opts.holds(need), g.opts.KVType, len(g.prompt), g.maxTokens, charge, s.cfg.KVBlock, s.cfg.KVBytes)}
	}
	r := &seq{gen: g, ctx: ctx, out: newOutbox(), enqueued: time.Now()}
	r.goneAt.Store(-1)
	if r.sampler, err = sample.New(g.params, s.model.Config.Vocab); err != nil {
		return nil, badRequest("", "%v", err)
	}
	// The penalties' history starts with the prompt, as in the engine
	// (and llama.cpp): a request's greedy answer is the CLI's.
	for _, t := range g.prompt {
		r.sampler.Accept(t)
	}
	if r.stop, err = sample.NewStopMatcher(g.stops); err != nil {
		return nil, badRequest("stop", "%v", err)
	}
	r.dec = tokenizer.NewStreamDecoder(s.tok, false)

	s.mu.Lock()
	switch {
	case s.draining:
		err = errDraining
	case !g.admitted && len(s.queue)+len(s.running) >= s.cfg.Parallel+s.cfg.QueueDepth:
		err = errQueueFull
	default:
		s.queue = append(s.queue, r)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// A client leaving wakes the loop, which drops it before its next step.
	r.stopWatch = context.AfterFunc(ctx, func() {
		r.goneAt.Store(s.steps.Load())
		s.poke()
	})
	s.poke()
	return r, nil
}

func (s *scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// drain refuses new requests; the running and queued ones finish.
func (s *scheduler) drain() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
}

// close stops the loop; sequences still inside fail.
func (s *scheduler) close() {
	s.drain()
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}

// snapshot is what /metrics reports about the scheduler: kvUsed is
// charged to running sequences, kvCached to the prefix cache (evictable).
func (s *scheduler) snapshot() (running, waiting int, kvUsed, kvCached int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running), len(s.queue), s.store.running, s.store.cached
}

func (s *scheduler) loop() {
	defer close(s.done)
	defer func() {
		s.failAll(errDraining)
		s.mu.Lock()
		s.store.close()
		s.mu.Unlock()
	}()
	for {
		select {
		case <-s.quit:
			return
		default:
		}
		if s.admit() == 0 {
			select {
			case <-s.wake:
			case <-s.quit:
				return
			}
			continue
		}
		s.step()
	}
}

// admit drops cancelled waiting requests, moves requests from the head of
// the queue into free slots while their KV fits (evicting prefix-cache
// entries for room; FIFO: a large request at the head is not overtaken),
// and returns how many run.
func (s *scheduler) admit() int {
	type admission struct {
		r   *seq
		err error
	}
	var admitted []admission
	s.mu.Lock()
	kept := s.queue[:0]
	for _, r := range s.queue {
		if r.ctx.Err() != nil {
			s.aborted(r)
			continue
		}
		kept = append(kept, r)
	}
	clear(s.queue[len(kept):])
	s.queue = kept
	for len(s.queue) > 0 && len(s.running) < s.cfg.Parallel {
		r := s.queue[0]
		g := r.gen
		// Prompt logprobs need every position's logits: no reuse. A
		// trace pass reuses at most fresh positions.
		reusable := g.prompt
		if g.fresh > 0 && g.fresh < len(g.prompt) {
			reusable = g.prompt[:g.fresh+1]
		}
		l, ok, err := s.store.acquire(g.opts.elem, g.opts.variant(), !g.promptLogprobs, reusable, g.opts.holds(len(g.prompt)+g.maxTokens))
		if !ok && err == nil {
			if len(s.running) > 0 {
				break // room comes back when a running sequence ends
			}
			// Nothing runs, so nothing will free room: waiting would
			// stall the queue for good.
			err = fmt.Errorf("server: the KV budget (%d bytes) cannot hold this request (%d positions) even with the prefix cache emptied",
				s.store.budget, g.opts.holds(len(g.prompt)+g.maxTokens))
		}
		s.queue = s.queue[1:]
		if err == nil {
			r.lease = l
			s.running = append(s.running, r)
		}
		admitted = append(admitted, admission{r, err})
	}
	n := len(s.running)
	s.mu.Unlock()
	for _, a := range admitted {
		r := a.r
		s.req(r).queued(time.Since(r.enqueued))
		if a.err != nil {
			s.req(r).finished("error")
			r.out.push(event{Done: true, Err: a.err})
			r.stopWatch()
			continue
		}
		r.pos, r.cached = r.lease.shared, r.lease.shared
		r.held = append(make([]int32, 0, len(r.gen.prompt)+r.gen.maxTokens), r.gen.prompt[:r.pos]...)
		if r.gen.opts.variant() != "" && !r.gen.promptLogprobs {
			// Only a request that could reuse a prefix looked one up.
			s.req(r).prefixLookup(len(r.gen.prompt), r.cached)
		}
		r.cache = r.lease.seq
		if wrap := r.gen.opts.wrap; wrap != nil {
			c, err := wrap(r.lease.seq)
			if err != nil {
				s.fail(r, fmt.Errorf("attention %s: %w", r.gen.opts.Attention, err))
				n--
				continue
			}
			if ps, ok := c.(kv.PromptSizer); ok {
				ps.SetPromptLen(len(r.gen.prompt)) // prompt chunks may be one token
			}
			r.cache = c
		}
		if obs := r.gen.observe; obs != nil {
			c, err := obs(r.cache, r.lease.seq)
			if err != nil {
				s.fail(r, fmt.Errorf("observing attention: %w", err))
				n--
				continue
			}
			r.cache = c
		}
	}
	return n
}

// step runs one forward pass: the next token of every decoding sequence,
// then prompt chunks of prefilling ones (in admission order) up to
// StepTokens in all.
func (s *scheduler) step() {
	s.steps.Add(1)
	s.mu.Lock()
	running := slices.Clone(s.running)
	s.mu.Unlock()
	var batch []model.Seq
	var members []*seq
	budget := s.cfg.StepTokens
	for _, r := range running {
		if r.ctx.Err() != nil {
			s.aborted(r)
			s.release(r, true) // what was computed may serve a retry
			continue
		}
		if r.decoding {
			batch = append(batch, model.Seq{Tokens: []int32{r.next}, Pos: r.pos, Cache: r.cache})
			members = append(members, r)
			budget--
		}
	}
	for _, r := range running {
		if r.decoding || r.ctx.Err() != nil || budget == 0 {
			continue
		}
		n := min(len(r.gen.prompt)-r.pos, budget)
		all := r.gen.promptLogprobs
		if f := r.gen.scoreFrom; f > 0 {
			// Chunks before the scored rows need no logits.
			if r.pos < f-1 {
				n = min(n, f-1-r.pos)
			} else {
				all = true
			}
		}
		if all {
			n = min(n, promptChunkWithLogits)
		}
		if c := r.gen.opts.maxChunk; c > 0 {
			n = min(n, c)
		}
		if r.gen.opts.wrap != nil && !all && r.gen.scoreFrom == 0 {
			// A policy may choose per prefill chunk (TokenSelect does):
			// its chunks end at fixed positions, whatever else the step
			// holds, so an answer does not depend on the server's load.
			// A chunk that does not fit this step waits for the next.
			c := s.policyChunk(r)
			want := min(len(r.gen.prompt)-r.pos, c-r.pos%c)
			if n < want {
				continue
			}
			n = want
		}
		batch = append(batch, model.Seq{Tokens: r.gen.prompt[r.pos : r.pos+n], Pos: r.pos, Cache: r.cache, All: all})
		members = append(members, r)
		budget -= n
	}
	if len(batch) == 0 {
		return
	}
	start := time.Now()
	logits, err := s.model.ForwardBatch(batch)
	s.metrics.step(len(batch), s.cfg.StepTokens-budget, time.Since(start))
	if err != nil {
		for _, r := range members {
			s.fail(r, err)
		}
		return
	}
	vocab := s.model.Config.Vocab
	for i, r := range members {
		r.held = append(r.held, batch[i].Tokens...)
		if r.decoding {
			r.pos++
			s.sampleNext(r, logits[i])
			continue
		}
		n := len(batch[i].Tokens)
		if batch[i].All {
			s.scorePrompt(r, logits[i], n)
		}
		r.pos += n
		if r.pos < len(r.gen.prompt) {
			continue
		}
		r.decoding = true
		s.req(r).promptTokens(len(r.gen.prompt))
		if r.gen.promptLogprobs || r.gen.scoreFrom > 0 {
			r.out.push(event{Prompt: r.promptLP})
			r.promptLP = nil
		}
		if r.gen.maxTokens == 0 {
			s.finish(r, "length", false)
			continue
		}
		last := logits[i]
		if batch[i].All {
			last = last[len(last)-vocab:]
		}
		s.sampleNext(r, last)
	}
}

// scorePrompt records the logprob of each prompt token the chunk's logits
// predict (from scoreFrom on, when set): row k (position pos+k) predicts
// the token at pos+k+1.
func (s *scheduler) scorePrompt(r *seq, logits []float32, n int) {
	vocab := s.model.Config.Vocab
	if r.pos == 0 && r.gen.scoreFrom == 0 {
		r.promptLP = append(r.promptLP, tokenLogprob{ID: r.gen.prompt[0], Logprob: math.NaN()})
	}
	for k := 0; k < n; k++ {
		target := r.pos + k + 1
		if target >= len(r.gen.prompt) {
			break
		}
		if target < r.gen.scoreFrom {
			continue
		}
		row := logits[k*vocab : (k+1)*vocab]
		r.promptLP = append(r.promptLP, logprobOf(row, r.gen.prompt[target], r.gen.topN))
	}
}

// sampleNext draws the token after logits and hands it to the client.
func (s *scheduler) sampleNext(r *seq, logits []float32) {
	t := r.sampler.Sample(logits)
	var ev event
	if r.gen.logprobs {
		ev.Tokens = []tokenLogprob{logprobOf(logits, t, r.gen.topN)}
	}
	r.sampler.Accept(t)
	now := time.Now()
	if r.lastToken.IsZero() {
		s.req(r).firstToken(now.Sub(r.enqueued))
	} else {
		s.req(r).interToken(now.Sub(r.lastToken))
	}
	r.lastToken = now
	if s.tok.IsEOG(t) {
		s.finish(r, "stop", false)
		return
	}
	r.generated++
	s.metrics.generated(1)
	piece, err := r.dec.Add(t)
	if err != nil {
		s.fail(r, err)
		return
	}
	text, hit := r.stop.Push(string(piece))
	ev.Text = text
	if ev.Text != "" || ev.Tokens != nil {
		r.out.push(ev)
	}
	switch {
	case hit:
		s.finish(r, "stop", true)
	case r.generated >= r.gen.maxTokens:
		s.finish(r, "length", false)
	default:
		r.next = t
	}
}

// finish sends the held-back text (none after a stop string) and the final
// event, and frees the sequence.
func (s *scheduler) finish(r *seq, reason string, stopped bool) {
	var text string
	if !stopped {
		t, _ := r.stop.Push(string(r.dec.Flush()))
		text = t + r.stop.Flush()
	}
	// Metrics first: a client that has its answer may scrape at once.
	s.req(r).finished(reason)
	s.req(r).e2e(time.Since(r.enqueued))
	r.out.push(event{Text: text, Done: true, Finish: reason,
		Usage: usage{Prompt: len(r.gen.prompt), Completion: r.generated, Cached: r.cached}})
	s.release(r, true)
}

// aborted counts a request whose client went away, and how many steps
// began meanwhile: the step under way then, and none after it.
func (s *scheduler) aborted(r *seq) {
	s.req(r).finished("abort")
	now := s.steps.Load()
	at := r.goneAt.Load()
	if at < 0 {
		// The loop saw the context end before the watch (run on its own
		// goroutine) recorded it: the client left during this step.
		at = now
	}
	s.metrics.abortSteps(now - at)
}

// req is where r's request-level metrics go: nowhere (a nil *metrics) for
// a trace's pass, since its handler counts the trace as one request.
func (s *scheduler) req(r *seq) *metrics {
	if r.gen.pass {
		return nil
	}
	return s.metrics
}

// fail ends r with err. Its cache may be half written: it is not kept.
func (s *scheduler) fail(r *seq, err error) {
	s.req(r).finished("error")
	r.out.push(event{Done: true, Err: err})
	s.release(r, false)
}

// release frees a running sequence's slot; its KV goes to the prefix
// cache when keep is set (the cache holds exactly r.held) and the request
// allows it, or is freed.
func (s *scheduler) release(r *seq, keep bool) {
	keep = keep && !r.gen.noStore
	s.mu.Lock()
	if i := slices.Index(s.running, r); i >= 0 {
		s.running = slices.Delete(s.running, i, i+1)
		if r.lease != nil {
			s.store.release(r.lease, r.held, keep)
		}
	}
	s.mu.Unlock()
	r.lease, r.cache = nil, nil
	r.stopWatch()
}

// failAll ends everything still inside when the loop stops.
func (s *scheduler) failAll(err error) {
	s.mu.Lock()
	queued := s.queue
	s.queue = nil
	running := slices.Clone(s.running)
	s.mu.Unlock()
	for _, r := range running {
		s.fail(r, err)
	}
	for _, r := range queued {
		s.req(r).finished("error")
		r.out.push(event{Done: true, Err: err})
		r.stopWatch()
	}
}

// logprobOf is token id's log-softmax under logits, with the topN best.
func logprobOf(logits []float32, id int32, topN int) tokenLogprob {
	maxL := math.Inf(-1)
	for _, l := range logits {
		if float64(l) > maxL {
			maxL = float64(l)
		}
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - maxL)
	}
	lse := maxL + math.Log(sum)
	tl := tokenLogprob{ID: id, Logprob: float64(logits[id]) - lse}
	if topN > 0 {
		tl.Top = topLogprobs(logits, topN, lse)
	}
	return tl
}

// topLogprobs keeps a sorted window of the n best logits (n is small).
func topLogprobs(logits []float32, n int, lse float64) []topEntry {
	best := make([]topEntry, 0, n+1)
	for i, l := range logits {
		if len(best) == n && float64(l) <= best[n-1].Logprob {
			continue
		}
		j := len(best)
		for j > 0 && float64(l) > best[j-1].Logprob {
			j--
		}
		best = slices.Insert(best, j, topEntry{ID: int32(i), Logprob: float64(l)})
		if len(best) > n {
			best = best[:n]
		}
	}
	for i := range best {
		best[i].Logprob -= lse
	}
	return best
}
