package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

type usageJSON struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func toUsage(u usage) *usageJSON {
	j := &usageJSON{PromptTokens: u.Prompt, CompletionTokens: u.Completion, TotalTokens: u.Prompt + u.Completion}
	j.PromptTokensDetails.CachedTokens = u.Cached
	return j
}

// Chat logprobs (choices[].logprobs.content).
type chatLogprobs struct {
	Content []chatTokenLogprob `json:"content"`
}

type chatTokenLogprob struct {
	Token       string           `json:"token"`
	Logprob     float64          `json:"logprob"`
	Bytes       []int            `json:"bytes"`
	TopLogprobs []chatTopLogprob `json:"top_logprobs"`
}

type chatTopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// Completions logprobs (the legacy parallel-array shape).
type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []*float64           `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

func (s *Server) piece(id int32) (string, []int) {
	p, _ := s.eng.Tokenizer.Piece(id, true)
	b := make([]int, len(p))
	for i, c := range p {
		b[i] = int(c)
	}
	return string(p), b
}

// tokenText names a token in completions logprobs: its text, or, when
// that is not UTF-8 (a byte of a longer character), OpenAI's "bytes:\\xNN"
// form — JSON would turn every such byte into U+FFFD, and distinct tokens
// into one top_logprobs key.
func (s *Server) tokenText(id int32) string {
	p, _ := s.piece(id)
	if utf8.ValidString(p) {
		return p
	}
	var b strings.Builder
	b.WriteString("bytes:")
	for i := 0; i < len(p); i++ {
		fmt.Fprintf(&b, "\\x%02x", p[i])
	}
	return b.String()
}

func (s *Server) chatLogprobs(tls []tokenLogprob) []chatTokenLogprob {
	out := make([]chatTokenLogprob, 0, len(tls))
	for _, tl := range tls {
		tok, b := s.piece(tl.ID)
		e := chatTokenLogprob{Token: tok, Logprob: tl.Logprob, Bytes: b, TopLogprobs: []chatTopLogprob{}}
		for _, t := range tl.Top {
			tt, tb := s.piece(t.ID)
			e.TopLogprobs = append(e.TopLogprobs, chatTopLogprob{Token: tt, Logprob: t.Logprob, Bytes: tb})
		}
		out = append(out, e)
	}
	return out
}

// newCompletionLogprobs is an empty completions logprobs object: arrays,
// never null, even in a stream chunk that carries no token.
func newCompletionLogprobs() *completionLogprobs {
	return &completionLogprobs{Tokens: []string{}, TokenLogprobs: []*float64{}, TopLogprobs: []map[string]float64{}, TextOffset: []int{}}
}

// textOffsets places completion logprobs in the returned text: the echoed
// prompt's tokens at where their text starts in promptText, the generated
// ones after it (or from 0 without echo), as their decoded bytes add up.
// Offsets never decrease and never pass the text they index.
type textOffsets struct {
	s          *Server
	promptText string
	next       int // offset of the next generated token
}

// prompt returns the offsets of the prompt tokens ids in promptText: the
// running length of their decoded pieces (special tokens render as
// nothing), less the leading space the decoder removes, clamped to the
// text (a text prompt is echoed as sent, not as decoded).
func (o *textOffsets) prompt(ids []int32) []int {
	full, _ := o.s.eng.Tokenizer.Decode(ids, false, false)
	total := 0
	for _, id := range ids {
		p, _ := o.s.eng.Tokenizer.Piece(id, false)
		total += len(p)
	}
	strip := total - len(full) // the dummy prefix's space, clean-up of spaces
	offs := make([]int, len(ids))
	cum := 0
	for i, id := range ids {
		offs[i] = min(max(cum-strip, 0), len(o.promptText))
		if i > 0 {
			offs[i] = max(offs[i], offs[i-1])
		}
		p, _ := o.s.eng.Tokenizer.Piece(id, false)
		cum += len(p)
	}
	o.next = len(o.promptText)
	return offs
}

// generated returns the offsets of generated tokens ids.
func (o *textOffsets) generated(ids []int32) []int {
	offs := make([]int, len(ids))
	for i, id := range ids {
		offs[i] = o.next
		p, _ := o.s.eng.Tokenizer.Piece(id, false)
		o.next += len(p)
	}
	return offs
}

// appendCompletionLogprobs adds tokens to lp at text offsets offs.
func (s *Server) appendCompletionLogprobs(lp *completionLogprobs, tls []tokenLogprob, offs []int) {
	for i, tl := range tls {
		tok := s.tokenText(tl.ID)
		lp.Tokens = append(lp.Tokens, tok)
		lp.TextOffset = append(lp.TextOffset, offs[i])
		if math.IsNaN(tl.Logprob) {
			lp.TokenLogprobs = append(lp.TokenLogprobs, nil)
			lp.TopLogprobs = append(lp.TopLogprobs, nil)
			continue
		}
		v := tl.Logprob
		lp.TokenLogprobs = append(lp.TokenLogprobs, &v)
		top := map[string]float64{}
		for _, t := range tl.Top {
			tt := s.tokenText(t.ID)
			if _, dup := top[tt]; !dup {
				top[tt] = t.Logprob
			}
		}
		lp.TopLogprobs = append(lp.TopLogprobs, top)
	}
}

// addEvent adds an event's prompt and generated tokens to lp.
func (s *Server) addEvent(lp *completionLogprobs, o *textOffsets, ev event) {
	if ev.Prompt != nil {
		s.appendCompletionLogprobs(lp, ev.Prompt, o.prompt(tokenIDs(ev.Prompt)))
	}
	s.appendCompletionLogprobs(lp, ev.Tokens, o.generated(tokenIDs(ev.Tokens)))
}

func tokenIDs(tls []tokenLogprob) []int32 {
	ids := make([]int32, len(tls))
	for i, tl := range tls {
		ids[i] = tl.ID
	}
	return ids
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req completionRequest
	if err := decodeStrict(body, &req, samplingFieldNames, completionFieldNames); err != nil {
		writeError(w, err)
		return
	}
	if req.BestOf != nil && *req.BestOf != 1 {
		writeError(w, badRequest("best_of", "only best_of=1 is supported, got %d", *req.BestOf))
		return
	}
	if req.Logprobs != nil && (*req.Logprobs < 0 || *req.Logprobs > 20) {
		writeError(w, badRequest("logprobs", "logprobs must be in [0, 20], got %d", *req.Logprobs))
		return
	}
	in, err := parsePrompt(req.Prompt)
	if err != nil {
		writeError(w, err)
		return
	}
	prompt := in.Tokens
	promptText := in.Text
	if in.IsIDs {
		b, err := s.eng.Tokenizer.Decode(prompt, false, false)
		if err == nil {
			promptText = string(b)
		}
	} else if in.Text == "" {
		writeError(w, badRequest("prompt", "the prompt is empty"))
		return
	} else if prompt, err = s.eng.Tokenizer.Encode(in.Text, true, false); err != nil {
		writeError(w, badRequest("prompt", "tokenizing the prompt: %v", err))
		return
	}
	g, err := s.buildGen(&req.samplingFields, req.MaxTokens, prompt, req.Echo)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.Logprobs != nil {
		g.logprobs, g.topN = true, *req.Logprobs
		g.promptLogprobs = req.Echo
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // however the handler ends, the scheduler drops the sequence
	sq, err := s.submit(ctx, w, g)
	if err != nil {
		writeError(w, err)
		return
	}
	id, created := newID("cmpl-"), time.Now().Unix()
	choice := func(text string, lp *completionLogprobs, finish *string) map[string]any {
		var l any
		if lp != nil {
			l = lp
		}
		return map[string]any{"index": 0, "text": text, "logprobs": l, "finish_reason": finish}
	}
	// The long-context settings in effect go with the final chunk or
	// response (and the usage chunk).
	obj := func(choices []any, u *usageJSON, final bool) map[string]any {
		m := map[string]any{"id": id, "object": "text_completion", "created": created, "model": s.cfg.ModelName, "choices": choices}
		if u != nil {
			m["usage"] = u
		}
		if final {
			m["longctx"] = g.opts
		}
		return m
	}

	if !req.Stream {
		var text strings.Builder
		var lp *completionLogprobs
		if g.logprobs {
			lp = newCompletionLogprobs()
		}
		offs := &textOffsets{s: s, promptText: promptText}
		if req.Echo {
			text.WriteString(promptText)
		}
		var final event
		err := wait(ctx, sq, func(ev event) error {
			if lp != nil {
				s.addEvent(lp, offs, ev)
			}
			text.WriteString(ev.Text)
			final = ev
			return nil
		})
		if err != nil {
			return // the client went away
		}
		if final.Err != nil {
			writeError(w, final.Err)
			return
		}
		writeJSON(w, obj([]any{choice(text.String(), lp, &final.Finish)}, toUsage(final.Usage), true))
		return
	}

	out := startSSE(w)
	if req.Echo {
		if err := out.send(obj([]any{choice(promptText, nil, nil)}, nil, false)); err != nil {
			return
		}
	}
	offs := &textOffsets{s: s, promptText: promptText}
	err = wait(ctx, sq, func(ev event) error {
		if ev.Err != nil {
			out.sendError(ev.Err)
			return ev.Err
		}
		if ev.Text != "" || ev.Tokens != nil || ev.Prompt != nil || ev.Done {
			var lp *completionLogprobs
			if g.logprobs {
				lp = newCompletionLogprobs()
				s.addEvent(lp, offs, ev)
			}
			var finish *string
			if ev.Done {
				finish = &ev.Finish
			}
			if err := out.send(obj([]any{choice(ev.Text, lp, finish)}, nil, ev.Done)); err != nil {
				return err
			}
		}
		if ev.Done {
			if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
				if err := out.send(obj([]any{}, toUsage(ev.Usage), true)); err != nil {
					return err
				}
			}
			out.done()
		}
		return nil
	})
	_ = err // a failed write means the client left; cancel() frees the slot
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req chatRequest
	if err := decodeStrict(body, &req, samplingFieldNames, chatFieldNames); err != nil {
		writeError(w, err)
		return
	}
	maxTokens := req.MaxTokens
	if req.MaxCompletionTokens != nil {
		if maxTokens != nil && *maxTokens != *req.MaxCompletionTokens {
			writeError(w, badRequest("max_completion_tokens", "max_tokens (%d) and max_completion_tokens (%d) differ; give one", *maxTokens, *req.MaxCompletionTokens))
			return
		}
		maxTokens = req.MaxCompletionTokens
	}
	wantLP := req.Logprobs != nil && *req.Logprobs
	topN := 0
	if req.TopLogprobs != nil {
		if *req.TopLogprobs < 0 || *req.TopLogprobs > 20 {
			writeError(w, badRequest("top_logprobs", "top_logprobs must be in [0, 20], got %d", *req.TopLogprobs))
			return
		}
		if !wantLP && *req.TopLogprobs > 0 {
			writeError(w, badRequest("top_logprobs", "top_logprobs needs logprobs=true"))
			return
		}
		topN = *req.TopLogprobs
	}
	msgs, err := chatMessages(req.Messages)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.checkModel(req.Model); err != nil {
		writeError(w, err)
		return
	}
	prompt, err := s.chatTokens(msgs, true)
	if err != nil {
		writeError(w, err)
		return
	}
	g, err := s.buildGen(&req.samplingFields, maxTokens, prompt, false)
	if err != nil {
		writeError(w, err)
		return
	}
	g.logprobs, g.topN = wantLP, topN
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sq, err := s.submit(ctx, w, g)
	if err != nil {
		writeError(w, err)
		return
	}
	id, created := newID("chatcmpl-"), time.Now().Unix()
	// The long-context settings in effect go with the first and final
	// chunks, or the response.
	obj := func(kind string, choices []any, u *usageJSON, withOpts bool) map[string]any {
		m := map[string]any{"id": id, "object": kind, "created": created, "model": s.cfg.ModelName, "choices": choices}
		if u != nil {
			m["usage"] = u
		}
		if withOpts {
			m["longctx"] = g.opts
		}
		return m
	}
	logprobsOf := func(tls []tokenLogprob) any {
		if !wantLP {
			return nil
		}
		return chatLogprobs{Content: s.chatLogprobs(tls)}
	}

	if !req.Stream {
		var text strings.Builder
		var tokens []tokenLogprob
		var final event
		if err := wait(ctx, sq, func(ev event) error {
			text.WriteString(ev.Text)
			tokens = append(tokens, ev.Tokens...)
			final = ev
			return nil
		}); err != nil {
			return
		}
		if final.Err != nil {
			writeError(w, final.Err)
			return
		}
		msg := map[string]any{"role": "assistant", "content": text.String()}
		ch := map[string]any{"index": 0, "message": msg, "logprobs": logprobsOf(tokens), "finish_reason": final.Finish}
		writeJSON(w, obj("chat.completion", []any{ch}, toUsage(final.Usage), true))
		return
	}

	out := startSSE(w)
	chunk := func(delta map[string]any, lp any, finish *string, withOpts bool) error {
		ch := map[string]any{"index": 0, "delta": delta, "logprobs": lp, "finish_reason": finish}
		return out.send(obj("chat.completion.chunk", []any{ch}, nil, withOpts))
	}
	if err := chunk(map[string]any{"role": "assistant", "content": ""}, nil, nil, true); err != nil {
		return
	}
	_ = wait(ctx, sq, func(ev event) error {
		if ev.Err != nil {
			out.sendError(ev.Err)
			return ev.Err
		}
		if ev.Text != "" || ev.Tokens != nil {
			if err := chunk(map[string]any{"content": ev.Text}, logprobsOf(ev.Tokens), nil, false); err != nil {
				return err
			}
		}
		if !ev.Done {
			return nil
		}
		if err := chunk(map[string]any{}, nil, &ev.Finish, true); err != nil {
			return err
		}
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			if err := out.send(obj("chat.completion.chunk", []any{}, toUsage(ev.Usage), true)); err != nil {
				return err
			}
		}
		out.done()
		return nil
	})
}
