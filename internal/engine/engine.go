package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/tokenizer"
)

// Engine is a model with its tokenizer and chat template.
type Engine struct {
	Model     *model.Model
	Tokenizer *tokenizer.Tokenizer
	Template  *chat.Template // nil when the model has none
	// TemplateErr says why the file's chat template cannot be used
	// (Template is then nil): raw prompts still run, chat requests fail
	// with it.
	TemplateErr error
	file        *gguf.File
}

// Open maps a GGUF file and loads everything needed to generate.
func Open(path string) (*Engine, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	e, err := New(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// New builds an engine over an open file, which it takes ownership of.
func New(f *gguf.File) (*Engine, error) {
	m, err := model.Load(f)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if tok.NVocab() != m.Config.Vocab {
		return nil, fmt.Errorf("tokenizer has %d tokens but the model's embedding has %d rows", tok.NVocab(), m.Config.Vocab)
	}
	e := &Engine{Model: m, Tokenizer: tok, file: f}
	if src, ok := f.String("tokenizer.chat_template"); ok && src != "" {
		if e.Template, err = chat.Parse(src); err != nil {
			e.Template, e.TemplateErr = nil, fmt.Errorf("chat template: %w", err)
		}
	}
	return e, nil
}

// Close releases the mapped file.
func (e *Engine) Close() error { return e.file.Close() }

// Request is one generation.
type Request struct {
	// Prompt is raw text, tokenized as user text (control-token text in it
	// stays text). Used when Messages is empty.
	Prompt string
	// Messages, when set, are rendered with the model's chat template.
	Messages []chat.Message
	// Tokens, when set, is the prompt already tokenized (as PromptTokens
	// returns it); Prompt and Messages are then ignored.
	Tokens []int32
	// MaxTokens bounds the tokens generated; 0 means until an end token or
	// the end of the context.
	MaxTokens int
	// Ctx is the context size in tokens; 0 means the model's context
	// (trained length times any RoPE scaling factor), capped at DefaultCtx.
	Ctx int
	// KVType is the cache element type, tensor.F32 or tensor.F16.
	KVType   tensor.Type
	Sampling sample.Params
	Stop     []string
	// Ubatch bounds the tokens per prefill forward pass (default 512).
	Ubatch int
	// NewCache, when set, makes the KV cache for a context of ctx
	// positions instead of a contiguous cache of KVType: this is where KV
	// storage options and attention policies (cache wrappers) come in.
	NewCache func(ctx int) (kv.Cache, error)
	// AfterPrefill, when set, is called once the prompt is in the cache
	// (to save the prompt's KV for a later run).
	AfterPrefill func(cache kv.Cache, prompt []int32) error
}

// PrefixCache is a cache that starts out holding a saved prompt prefix
// (kv --kv-load): Generate checks the tokens are its prompt's prefix and
// prefills only the rest.
type PrefixCache interface {
	kv.Cache
	PrefixTokens() []int32
}

// DefaultCtx caps the default context so that a huge trained context does
// not allocate a huge cache unasked.
const DefaultCtx = 8192

// Stats describe a finished generation.
type Stats struct {
	PromptTokens int
	Generated    int
	Ctx          int
	Prefill      time.Duration
	Decode       time.Duration
	KVBytes      int64
	// CachedTokens are prompt tokens a loaded KV cache already held.
	CachedTokens int
	// StopReason is "eos" (an end-of-generation token), "stop" (a stop
	// string), "length" (MaxTokens reached) or "context" (the context is full).
	StopReason string
}

// PrefillRate and DecodeRate are tokens per second.
func (s Stats) PrefillRate() float64 { return rate(s.PromptTokens-s.CachedTokens, s.Prefill) }
func (s Stats) DecodeRate() float64  { return rate(s.Generated, s.Decode) }

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// PromptTokens renders and tokenizes the request's prompt.
func (e *Engine) PromptTokens(req *Request) ([]int32, error) {
	if len(req.Tokens) > 0 {
		return req.Tokens, nil
	}
	tok := e.Tokenizer
	if len(req.Messages) == 0 {
		if req.Prompt == "" {
			return nil, errors.New("empty prompt")
		}
		return tok.Encode(req.Prompt, true, false)
	}
	if e.Template == nil {
		if e.TemplateErr != nil {
			return nil, fmt.Errorf("%w; send a raw prompt instead", e.TemplateErr)
		}
		return nil, errors.New("the model has no chat template (tokenizer.chat_template); send a raw prompt instead")
	}
	return e.ChatTokens(e.Template, req.Messages, true)
}

// ChatTokens renders msgs with tpl (which may differ from the model's own)
// and tokenizes the result, control-token text included. The BOS token is
// added as the metadata asks unless the template already wrote it.
func (e *Engine) ChatTokens(tpl *chat.Template, msgs []chat.Message, addGenerationPrompt bool) ([]int32, error) {
	tok := e.Tokenizer
	// A model without BOS or EOS (id -1) gets empty strings.
	bosPiece, _ := tok.Piece(tok.BOS(), true)
	eosPiece, _ := tok.Piece(tok.EOS(), true)
	bos, eos := string(bosPiece), string(eosPiece)
	text, err := tpl.Render(msgs, chat.Options{AddGenerationPrompt: addGenerationPrompt, BOSToken: bos, EOSToken: eos})
	if err != nil {
		return nil, err
	}
	addSpecial := !(tok.AddBOS() && bos != "" && strings.HasPrefix(text, bos))
	return tok.Encode(text, addSpecial, true)
}

// Generate runs req, calling emit with each piece of decoded text as it
// becomes final. It stops early, without error, when ctx is cancelled
// (StopReason "cancelled").
func (e *Engine) Generate(ctx context.Context, req Request, emit func(string) error) (st Stats, err error) {
	prompt, err := e.PromptTokens(&req)
	if err != nil {
		return st, err
	}
	if len(prompt) == 0 {
		return st, errors.New("the prompt tokenized to nothing")
	}
	st.PromptTokens = len(prompt)
	n := req.Ctx
	if n <= 0 {
		n = min(e.Model.Config.CtxMax(), DefaultCtx)
	}
	st.Ctx = n
	if len(prompt) >= n {
		return st, fmt.Errorf("the prompt is %d tokens but the context is %d: it would not leave room for one generated token (raise --ctx; the model is meant for up to %d)", len(prompt), n, e.Model.Config.CtxMax())
	}
	var cache kv.Cache
	if req.NewCache != nil {
		cache, err = req.NewCache(n)
	} else {
		cache, err = e.Model.NewCache(n, req.KVType)
	}
	if err != nil {
		return st, err
	}
	st.KVBytes = cache.Bytes()
	sampler, err := sample.New(req.Sampling, e.Model.Config.Vocab)
	if err != nil {
		return st, err
	}
	stop, err := sample.NewStopMatcher(req.Stop) // before the prefill it would waste
	if err != nil {
		return st, err
	}
	ub := req.Ubatch
	if ub <= 0 {
		ub = 512
	}
	if cb, ok := cache.(kv.ChunkBounded); ok {
		ub = min(ub, cb.MaxChunk())
	}

	start := time.Now()
	var logits []float32
	from := 0
	if pc, ok := cache.(PrefixCache); ok {
		saved := pc.PrefixTokens()
		if len(saved) > len(prompt) || !slices.Equal(saved, prompt[:len(saved)]) {
			return st, fmt.Errorf("the loaded KV cache holds %d tokens that are not a prefix of this %d-token prompt", len(saved), len(prompt))
		}
		// The last prompt token is always run again: its logits start decoding.
		from = min(len(saved), len(prompt)-1)
		cache.Truncate(from)
		st.CachedTokens = from
	}
	if ps, ok := cache.(kv.PromptSizer); ok {
		ps.SetPromptLen(len(prompt))
	}
	for pos := from; pos < len(prompt); pos += ub {
		if ctx.Err() != nil {
			st.StopReason = "cancelled"
			return st, nil
		}
		end := min(len(prompt), pos+ub)
		if logits, err = e.Model.Forward(prompt[pos:end], pos, cache, false); err != nil {
			return st, err
		}
	}
	for _, t := range prompt {
		sampler.Accept(t)
	}
	st.Prefill = time.Since(start)
	st.KVBytes = max(st.KVBytes, cache.Bytes()) // paged caches grow as they fill
	if req.AfterPrefill != nil {
		if err := req.AfterPrefill(cache, prompt); err != nil {
			return st, err
		}
	}

	start = time.Now()
	defer func() { // st is the named result
		st.Decode = time.Since(start)
		st.KVBytes = max(st.KVBytes, cache.Bytes()) // grown while decoding
	}()
	dec := tokenizer.NewStreamDecoder(e.Tokenizer, false)
	out := func(s string) error {
		if s == "" {
			return nil
		}
		return emit(s)
	}
	pos := len(prompt)
	for {
		if ctx.Err() != nil {
			st.StopReason = "cancelled"
			break
		}
		t := sampler.Sample(logits)
		sampler.Accept(t)
		if e.Tokenizer.IsEOG(t) {
			st.StopReason = "eos"
			break
		}
		st.Generated++
		piece, err := dec.Add(t)
		if err != nil {
			return st, err
		}
		text, hit := stop.Push(string(piece))
		if err := out(text); err != nil {
			return st, err
		}
		if hit {
			st.StopReason = "stop"
			return st, nil
		}
		if req.MaxTokens > 0 && st.Generated >= req.MaxTokens {
			st.StopReason = "length"
			break
		}
		if pos >= n {
			st.StopReason = "context"
			break
		}
		if logits, err = e.Model.Forward([]int32{t}, pos, cache, false); err != nil {
			return st, err
		}
		pos++
	}
	text, _ := stop.Push(string(dec.Flush()))
	if err := out(text + stop.Flush()); err != nil {
		return st, err
	}
	return st, nil
}
