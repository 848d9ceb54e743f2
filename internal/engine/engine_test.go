package engine

import (
	"bytes"
	"context"
	"errors"
	"github.com/longctx/longctx/internal/gguf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
)

func open(t *testing.T) *Engine {
	t.Helper()
	p := filepath.Join("../../../shared/fixtures/gguf/tiny-q8_0.gguf")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing: %v", p, err)
	}
	e, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func greedy() sample.Params {
	p := sample.DefaultParams(1)
	p.Temperature = 0
	return p
}

func collect(t *testing.T, e *Engine, req Request) (string, Stats) {
	t.Helper()
	var sb strings.Builder
	st, err := e.Generate(context.Background(), req, func(s string) error { sb.WriteString(s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return sb.String(), st
}

func TestGenerateStops(t *testing.T) {
	e := open(t)
	base := Request{Prompt: "hello world", MaxTokens: 12, KVType: tensor.F16, Sampling: greedy(), Ctx: 64}
	full, st := collect(t, e, base)
	if st.Generated != 12 || st.StopReason != "length" || st.PromptTokens == 0 || st.KVBytes <= 0 {
		t.Fatalf("stats %+v", st)
	}
	// The streamed text is exactly the decoded tokens; a stop string cut
	// from it ends generation there, and the stop string is not emitted.
	if len(full) < 4 {
		t.Fatalf("generated text too short to test stops: %q", full)
	}
	stopAt := full[2:4]
	req := base
	req.Stop = []string{stopAt}
	text, st := collect(t, e, req)
	if st.StopReason != "stop" || strings.Contains(text, stopAt) || !strings.HasPrefix(full, text) {
		t.Errorf("stop %q: got %q (reason %s) from %q", stopAt, text, st.StopReason, full)
	}
	// A context of prompt+3 positions holds 3 generated tokens; a fourth is
	// sampled from the last position's logits and never stored.
	req = base
	req.MaxTokens = 0
	req.Ctx = st.PromptTokens + 3
	_, st = collect(t, e, req)
	if st.StopReason != "context" || st.Generated != 4 {
		t.Errorf("context full: %+v", st)
	}
}

func TestGenerateErrors(t *testing.T) {
	e := open(t)
	ctx := context.Background()
	emit := func(string) error { return nil }
	cases := []struct {
		req  Request
		want string
	}{
		{Request{Prompt: ""}, "empty prompt"},
		{Request{Prompt: strings.Repeat("hello ", 200), Ctx: 16, Sampling: greedy()}, "but the context is 16"},
		{Request{Messages: []chat.Message{{Role: "user", Content: "hi"}}}, "no chat template"},
		{Request{Prompt: "x", Sampling: sample.Params{Temperature: -1, TopP: 1, TypicalP: 1}}, "emperature"},
	}
	for _, c := range cases {
		_, err := e.Generate(ctx, c.req, emit)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.req, err, c.want)
		}
	}
	// An emit error stops generation and is returned.
	boom := errors.New("client went away")
	_, err := e.Generate(ctx, Request{Prompt: "hi", MaxTokens: 5, Sampling: greedy()}, func(string) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("emit error: %v", err)
	}
	// Cancellation stops without error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	st, err := e.Generate(cctx, Request{Prompt: "hi", MaxTokens: 5, Sampling: greedy()}, emit)
	if err != nil || st.StopReason != "cancelled" {
		t.Errorf("cancelled: %+v %v", st, err)
	}
}

// A paged cache grows while decoding: the reported KV size is the cache's
// at the end, not after prefill.
func TestKVBytesAfterDecode(t *testing.T) {
	e := open(t)
	c := e.Model.Config
	var seq *kv.Seq
	req := Request{Prompt: "hello", MaxTokens: 40, Sampling: greedy(), Ctx: 64, NewCache: func(n int) (kv.Cache, error) {
		p, err := kv.NewPool(kv.Shape{Layers: c.Layers, Ctx: n, KVHeads: c.KVHeads, HeadDim: c.HeadDim, ElemType: tensor.F16}, kv.PoolOptions{BlockSize: 16})
		if err != nil {
			return nil, err
		}
		seq = p.NewSeq()
		return seq, nil
	}}
	_, st := collect(t, e, req)
	if st.PromptTokens+st.Generated <= 32 {
		t.Fatalf("only %d prompt + %d generated tokens: the test needs more than two blocks", st.PromptTokens, st.Generated)
	}
	if st.KVBytes != seq.Bytes() || seq.Len() <= st.PromptTokens+16 {
		t.Errorf("KV %d bytes reported, the cache holds %d (%d positions)", st.KVBytes, seq.Bytes(), seq.Len())
	}
}

// A chat template the parser cannot read leaves raw prompts working; a
// chat request fails with the template's error.
func TestBrokenChatTemplateOnlyFailsChat(t *testing.T) {
	src, err := gguf.Open("../../../shared/fixtures/gguf/tiny-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w := gguf.NewWriter()
	for _, kv := range src.KVs {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddKV("tokenizer.chat_template", gguf.String("{% if %}")); err != nil {
		t.Fatal(err)
	}
	for _, ti := range src.Tensors {
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, ti.Data); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "broken-template.gguf")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Open(path)
	if err != nil {
		t.Fatalf("a broken chat template made the model unusable: %v", err)
	}
	defer e.Close()
	if e.Template != nil || e.TemplateErr == nil {
		t.Fatalf("template %v, error %v", e.Template, e.TemplateErr)
	}
	if _, st := collect(t, e, Request{Prompt: "hello", MaxTokens: 3, Sampling: greedy()}); st.Generated == 0 && st.StopReason != "eos" {
		t.Errorf("raw prompt: %+v", st)
	}
	_, err = e.PromptTokens(&Request{Messages: []chat.Message{{Role: "user", Content: "hi"}}})
	if err == nil || !strings.Contains(err.Error(), "chat template") {
		t.Errorf("chat request: %v", err)
	}
}
