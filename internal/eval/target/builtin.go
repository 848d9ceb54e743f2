package target

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
)

// Builtin answers prompts with the in-process engine. The context of each
// request is sized to its prompt plus MaxTokens, so long prompts are never
// cut.
type Builtin struct {
	e    *engine.Engine
	name string
	opt  BuiltinOptions
}

// BuiltinOptions are the engine settings a run is made with. Whatever
// changes answers must be named in Variant, since Variant is part of the
// target's Name and so of every cache key: two runs that differ only in,
// say, the attention policy must not share stored answers.
type BuiltinOptions struct {
	KVType tensor.Type // KV cache element type (F16 or F32)
	// NewCache, when set, makes each request's KV cache (attention
	// policies, storage options); see engine.Request.NewCache.
	NewCache func(ctx int) (kv.Cache, error)
	// Variant describes the settings, e.g. "kv=f16 attention=snapkv budget=1024".
	Variant string
}

// NewBuiltin wraps an engine; name identifies the model in cache keys.
func NewBuiltin(e *engine.Engine, name string, opt BuiltinOptions) *Builtin {
	return &Builtin{e: e, name: name, opt: opt}
}

// Name is "builtin:<model>" followed by the options' Variant.
func (b *Builtin) Name() string {
	if b.opt.Variant == "" {
		return "builtin:" + b.name
	}
	return "builtin:" + b.name + " " + b.opt.Variant
}

// HasChat reports whether the model has a chat template.
func (b *Builtin) HasChat() bool { return b.e.Template != nil }

// Count is the number of tokens text encodes to, without BOS; it lets the
// generators fit lengths with the model's own tokenizer.
func (b *Builtin) Count(text string) (int, error) {
	ids, err := b.e.Tokenizer.Encode(text, false, false)
	return len(ids), err
}

// ChatOverhead is the number of tokens the model's chat template adds
// around a request's messages (the larger of user-only and system+user),
// which a chat run reserves on top of the prompt text.
func (b *Builtin) ChatOverhead() (int, error) {
	if b.e.Template == nil {
		return 0, nil
	}
	return chatOverhead(func(msgs []Message) (int, error) {
		cm := make([]chat.Message, len(msgs))
		for i, m := range msgs {
			cm[i] = chat.Message{Role: m.Role, Content: m.Content}
		}
		ids, err := b.e.ChatTokens(b.e.Template, cm, true)
		return len(ids), err
	}, b.Count)
}

func (b *Builtin) Generate(ctx context.Context, req Request, p Params) (Response, error) {
	sp := sample.DefaultParams(1)
	sp.Temperature = float32(p.Temperature)
	if p.TopP > 0 {
		sp.TopP = float32(p.TopP)
	}
	er := engine.Request{Prompt: req.Prompt, MaxTokens: p.MaxTokens, KVType: b.opt.KVType, NewCache: b.opt.NewCache, Sampling: sp, Stop: p.Stop}
	for _, m := range req.Messages {
		er.Messages = append(er.Messages, chat.Message{Role: m.Role, Content: m.Content})
	}
	prompt, err := b.e.PromptTokens(&er)
	if err != nil {
		return Response{}, err
	}
	er.Tokens = prompt // tokenize once
	er.Ctx = len(prompt) + max(p.MaxTokens, 1)
	reqBody, _ := json.Marshal(struct {
		Request
		Params
	}{req, p})
	var sb strings.Builder
	st, err := b.e.Generate(ctx, er, func(s string) error { sb.WriteString(s); return nil })
	if err != nil {
		return Response{}, err
	}
	if st.StopReason == "cancelled" {
		// Not an answer: a stored one would be scored and never asked
		// again.
		return Response{}, cmp.Or(ctx.Err(), context.Canceled)
	}
	resp := Response{
		Text:         sb.String(),
		FinishReason: st.StopReason,
		Usage:        Usage{PromptTokens: st.PromptTokens, CompletionTokens: st.Generated},
		RequestBody:  reqBody,
	}
	resp.ResponseBody, _ = json.Marshal(struct {
		Text         string  `json:"text"`
		FinishReason string  `json:"finish_reason"`
		Usage        Usage   `json:"usage"`
		PrefillTokS  float64 `json:"prefill_tok_s"`
		DecodeTokS   float64 `json:"decode_tok_s"`
	}{resp.Text, resp.FinishReason, resp.Usage, st.PrefillRate(), st.DecodeRate()})
	return resp, nil
}
