package trace

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/tokenizer"
	"github.com/longctx/longctx/internal/trace/observe"
)

// Local runs the traceback passes on an in-process model. It is safe for
// concurrent use: each pass takes a KV cache from a free list, and
// Concurrency passes at once keep every core busy on small models, whose
// single passes do not.
type Local struct {
	Model  *model.Model
	Tok    *tokenizer.Tokenizer
	KVType tensor.Type // F32 or F16 (default F32: small probabilities survive)
	Ubatch int         // most tokens per forward pass (default 512)
	// Mask, when set, silences these heads in every pass (the causal check
	// of retrieval heads).
	Mask     []observe.Head
	MaskMode observe.MaskMode

	mu     sync.Mutex
	free   []*kv.Contiguous // caches not in use
	passes atomic.Int64
	tokens atomic.Int64
}

// Passes is the number of model passes (teacher-forced scorings,
// observed passes and generations) run so far.
func (l *Local) Passes() int { return int(l.passes.Load()) }

// Tokens is the number of prompt and teacher-forced tokens those passes
// ran through the model (generated tokens not counted).
func (l *Local) Tokens() int { return int(l.tokens.Load()) }

// Concurrency is how many passes Local runs at once to best use the
// machine: one per thread of the worker pool (the pass that holds the
// pool runs on several, the others on their own goroutine).
func (l *Local) Concurrency() int { return parallel.Threads() }

// Geometry is the model's attention shape.
func (l *Local) Geometry() observe.Geometry {
	c := &l.Model.Config
	return observe.Geometry{Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim}
}

// newCache returns an empty cache for at least n positions, reused from
// the free list when one is big enough; release gives it back.
func (l *Local) newCache(n int) (*kv.Contiguous, error) {
	l.mu.Lock()
	for i, c := range l.free {
		if c.Capacity() >= n {
			l.free = append(l.free[:i], l.free[i+1:]...)
			l.mu.Unlock()
			c.Truncate(0)
			return c, nil
		}
	}
	l.mu.Unlock()
	elem := l.KVType
	if elem == 0 {
		elem = tensor.F32
	}
	return l.Model.NewCache(n, elem)
}

// release returns c to the free list, which keeps at most Concurrency
// caches (the smallest goes when it is full), so memory stays bounded
// however the passes' lengths vary.
func (l *Local) release(c *kv.Contiguous) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free = append(l.free, c)
	if len(l.free) > l.Concurrency() {
		small := 0
		for i, f := range l.free {
			if f.Capacity() < l.free[small].Capacity() {
				small = i
			}
		}
		l.free = append(l.free[:small], l.free[small+1:]...)
	}
}

func (l *Local) masked(c kv.Cache) (kv.Cache, error) {
	if len(l.Mask) == 0 {
		return c, nil
	}
	return observe.NewMask(c, l.Geometry(), l.Mask, l.MaskMode)
}

// forward runs tokens from position 0 and returns the logits of rows
// from..len(tokens)-1 (row-major, Vocab per row); from == len(tokens)
// returns none.
func (l *Local) forward(ctx context.Context, tokens []int32, c kv.Cache, from int) ([]float32, error) {
	ub := l.Ubatch
	if ub <= 0 {
		ub = 512
	}
	l.tokens.Add(int64(len(tokens)))
	defer parallel.Shared()() // concurrent passes split the cores between them
	var logits []float32
	for pos := 0; pos < len(tokens); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		all := pos >= from
		end := min(len(tokens), pos+ub)
		if !all {
			end = min(end, from)
		}
		out, err := l.Model.Forward(tokens[pos:end], pos, c, all)
		if err != nil {
			return nil, err
		}
		if all {
			logits = append(logits, out...)
		}
		pos = end
	}
	return logits, nil
}

// Generate decodes greedily after prompt until an end-of-generation token,
// a line break or maxTokens, and returns the answer's tokens.
func (l *Local) Generate(ctx context.Context, prompt []int32, maxTokens int) ([]int32, error) {
	return l.GenerateWatched(ctx, prompt, maxTokens, nil, nil)
}

// GenerateWatched is Generate with an attention observer on the row that
// produces each generated token (the last prompt token's, then each
// generated token's), over every key: red receives that row, then step is
// called with the token it produced (before the end-of-generation check).
// It is how retrieval heads are detected.
func (l *Local) GenerateWatched(ctx context.Context, prompt []int32, maxTokens int, red observe.Reducer, step func(tok int32)) ([]int32, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("trace: empty prompt")
	}
	base, err := l.newCache(len(prompt) + maxTokens)
	if err != nil {
		return nil, err
	}
	defer l.release(base)
	var c kv.Cache = base
	var o *observe.Observer
	if red != nil {
		if o, err = observe.New(base, base, l.Geometry(), red); err != nil {
			return nil, err
		}
		c = o
	}
	if c, err = l.masked(c); err != nil {
		return nil, err
	}
	watch := func(pos int) {
		if o != nil {
			o.Watch(kv.Span{From: pos, To: pos + 1}, kv.Span{From: 0, To: pos + 1})
		}
	}
	l.passes.Add(1)
	watch(len(prompt) - 1)
	logits, err := l.forward(ctx, prompt, c, len(prompt)-1)
	if err != nil {
		return nil, err
	}
	var out []int32
	for {
		t := int32(argmax(logits))
		if step != nil {
			step(t)
		}
		if l.Tok.IsEOG(t) {
			break
		}
		piece, _ := l.Tok.Piece(t, false)
		if strings.Contains(string(piece), "\n") {
			break
		}
		out = append(out, t)
		if len(out) >= maxTokens {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pos := len(prompt) + len(out) - 1
		watch(pos)
		if logits, err = l.Model.Forward([]int32{t}, pos, c, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// AnswerLogProbs teacher-forces tokens[prompt:] and returns log p of each
// of them given everything before it (Backend).
func (l *Local) AnswerLogProbs(ctx context.Context, tokens []int32, prompt int) ([]float64, error) {
	if prompt < 1 || prompt >= len(tokens) {
		return nil, fmt.Errorf("trace: answer from token %d of %d", prompt, len(tokens))
	}
	base, err := l.newCache(len(tokens))
	if err != nil {
		return nil, err
	}
	defer l.release(base)
	c, err := l.masked(base)
	if err != nil {
		return nil, err
	}
	l.passes.Add(1)
	// Rows prompt-1 .. len-2 predict the answer tokens; the last token's
	// own row predicts nothing we score, so it is not run.
	logits, err := l.forward(ctx, tokens[:len(tokens)-1], c, prompt-1)
	if err != nil {
		return nil, err
	}
	vocab := l.Model.Config.Vocab
	m := len(tokens) - prompt
	lp := make([]float64, m)
	for i := 0; i < m; i++ {
		lp[i] = logSoftmaxAt(logits[i*vocab:(i+1)*vocab], tokens[prompt+i])
	}
	return lp, nil
}

// logSoftmaxAt is log softmax(row)[id], computed in float64.
func logSoftmaxAt(row []float32, id int32) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return float64(row[id]) - m - math.Log(s)
}

// AnswerAttention runs tokens with the observer on the rows that predict
// tokens[prompt:] and returns the attention each token of doc received,
// averaged over layers, heads and those rows (AttnTrace's a_j), from
// doc.From on (Backend).
func (l *Local) AnswerAttention(ctx context.Context, tokens []int32, prompt int, doc kv.Span) ([]float64, error) {
	if prompt < 1 || prompt >= len(tokens) || doc.From < 0 || doc.To < doc.From || doc.To > prompt {
		return nil, fmt.Errorf("trace: attention of answer tokens %d..%d over document tokens %d..%d", prompt, len(tokens), doc.From, doc.To)
	}
	base, err := l.newCache(len(tokens))
	if err != nil {
		return nil, err
	}
	defer l.release(base)
	sum := observe.NewColumnSum(doc.From, doc.To-doc.From)
	o, err := observe.New(base, base, l.Geometry(), sum)
	if err != nil {
		return nil, err
	}
	o.Watch(kv.Span{From: prompt - 1, To: len(tokens) - 1}, doc)
	c, err := l.masked(o)
	if err != nil {
		return nil, err
	}
	l.passes.Add(1)
	// The watched rows' logits are asked for (and dropped) because the
	// model's last layer runs only the rows whose outputs it returns.
	if _, err := l.forward(ctx, tokens[:len(tokens)-1], c, prompt-1); err != nil {
		return nil, err
	}
	return sum.Mean(), nil
}

// Backend runs the model passes a traceback needs over a token layout:
// tokens are the prompt's (BOS first when the model adds it), then the
// answer's from index prompt on. Local runs them in process; longctx's
// server runs them through its scheduler, sharing the model and the
// prefix cache with other requests.
type Backend interface {
	// AnswerLogProbs returns log p of each answer token given everything
	// before it (teacher forcing).
	AnswerLogProbs(ctx context.Context, tokens []int32, prompt int) ([]float64, error)
	// AnswerAttention returns the attention each token of doc (a span of
	// prompt tokens) receives from the rows that predict the answer
	// tokens, averaged over layers, heads and those rows; element 0 is
	// token doc.From.
	AnswerAttention(ctx context.Context, tokens []int32, prompt int, doc kv.Span) ([]float64, error)
}

// Bound is a problem tied to a model with its answer tokenized.
type Bound struct {
	L      *Local // nil when bound with BindBackend
	P      *Problem
	answer []int32
	tok    *tokenizer.Tokenizer
	run    Backend
	passes atomic.Int64
}

// concurrency is how many passes b's backend runs at once (1 unless it
// says more).
func (b *Bound) concurrency() int {
	if c, ok := b.run.(interface{ Concurrency() int }); ok {
		return max(1, c.Concurrency())
	}
	return 1
}

// Bind ties p to the model. answer is the answer's tokens when the model
// generated them; nil tokenizes p.Answer.
func (l *Local) Bind(p *Problem, answer []int32) (*Bound, error) {
	b, err := BindBackend(l, l.Tok, p, answer)
	if err != nil {
		return nil, err
	}
	b.L = l
	return b, nil
}

// BindBackend ties p to a model whose passes run on run, tokenizing with
// tok (the model's). answer is as for Local.Bind.
func BindBackend(run Backend, tok *tokenizer.Tokenizer, p *Problem, answer []int32) (*Bound, error) {
	if answer == nil {
		var err error
		if answer, err = answerTokens(tok, p); err != nil {
			return nil, err
		}
	}
	if len(answer) == 0 {
		return nil, fmt.Errorf("trace: the answer is empty")
	}
	return &Bound{P: p, answer: answer, tok: tok, run: run}, nil
}

// AnswerTokens is the number of answer tokens scored.
func (b *Bound) AnswerTokens() int { return len(b.answer) }

// PromptTokens is the number of tokens of the prompt holding the whole
// document (BOS included when the model adds it).
func (b *Bound) PromptTokens() (int, error) {
	lay, err := b.layout(b.P.All())
	if err != nil {
		return 0, err
	}
	return lay.prompt, nil
}

func (b *Bound) layout(keep []int) (layout, error) {
	return buildLayout(b.tok, b.P, keep, b.answer)
}

func (b *Bound) attention(ctx context.Context, lay layout) ([]float64, error) {
	b.passes.Add(1)
	return b.run.AnswerAttention(ctx, lay.tokens, lay.prompt, lay.context)
}

// Value is TracLLM's value function v(S) on the model: the summed
// log-probability of the answer given the prompt with only the kept
// segments.
func (b *Bound) Value(ctx context.Context, keep []int) (float64, error) {
	lay, err := b.layout(keep)
	if err != nil {
		return 0, err
	}
	b.passes.Add(1)
	lp, err := b.run.AnswerLogProbs(ctx, lay.tokens, lay.prompt)
	if err != nil {
		return 0, err
	}
	var s float64
	for _, x := range lp {
		s += x
	}
	return s, nil
}

// GenerateAnswer generates the model's answer to the whole document and
// sets it on p; it returns the answer's tokens for Bind.
func (l *Local) GenerateAnswer(ctx context.Context, p *Problem, maxTokens int) ([]int32, error) {
	lay, err := buildLayout(l.Tok, p, p.All(), nil)
	if err != nil {
		return nil, err
	}
	ids, err := l.Generate(ctx, lay.tokens, maxTokens)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("trace: the model's answer is empty (it ended at once); pass the answer to trace with --answer")
	}
	var text []byte // pieces, not Decode: the answer's leading space stays
	for _, id := range ids {
		piece, _ := l.Tok.Piece(id, false)
		text = append(text, piece...)
	}
	p.Answer = string(text)
	return ids, nil
}
