package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// These tests drive the live server with OpenAI's own Go client, so the
// wire format is checked by a real consumer rather than by our own types.

func openaiClient(ts *testServer, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithRequestTimeout(20*time.Second))
}

func TestOpenAIChat(t *testing.T) {
	ts := chatServer(t, Config{APIKey: "sekret"})
	c := openaiClient(ts, "sekret")
	ctx := context.Background()
	params := openai.ChatCompletionNewParams{
		Model:       "tiny",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello there")},
		MaxTokens:   openai.Int(10),
		Temperature: openai.Float(0),
		Logprobs:    openai.Bool(true),
		TopLogprobs: openai.Int(3),
	}
	resp, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	// The ChatML rendering tokenized here is what the server must count.
	wantPrompt := `<|im_start|>system` + "\nbe brief<|im_end|>\n<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n"
	ids, _ := ts.eng.Tokenizer.Encode(wantPrompt, true, true)
	want := reference(t, wantPrompt, 10, 0, 0)
	ch := resp.Choices[0]
	if ch.Message.Content != jsonText(want.text) || string(ch.FinishReason) != "length" || ch.Message.Role != "assistant" {
		t.Errorf("chat gave %q (%s), engine alone %q", ch.Message.Content, ch.FinishReason, want.text)
	}
	if resp.Usage.PromptTokens != int64(len(ids)) || resp.Usage.CompletionTokens != 10 || resp.Usage.TotalTokens != int64(len(ids)+10) ||
		!resp.Usage.PromptTokensDetails.JSON.CachedTokens.Valid() {
		t.Errorf("usage %+v, want prompt %d completion 10 and cached_tokens present", resp.Usage, len(ids))
	}
	lp := ch.Logprobs.Content
	if len(lp) != 10 {
		t.Fatalf("%d logprobs for 10 tokens", len(lp))
	}
	var joined strings.Builder
	for _, l := range lp {
		joined.WriteString(l.Token)
		// Greedy: the sampled token is the most likely, so it heads its top list.
		if len(l.TopLogprobs) != 3 || l.TopLogprobs[0].Logprob != l.Logprob || l.Logprob > 0 ||
			l.TopLogprobs[1].Logprob > l.TopLogprobs[0].Logprob {
			t.Errorf("token %q logprob %v top %+v", l.Token, l.Logprob, l.TopLogprobs)
		}
	}
	if jsonText(joined.String()) != ch.Message.Content {
		t.Errorf("logprob tokens join to %q, content %q", joined.String(), ch.Message.Content)
	}

	// Streaming with usage.
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	params.Logprobs, params.TopLogprobs = openai.Bool(false), openai.Int(0)
	st := c.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != ch.Message.Content || acc.Usage.CompletionTokens != 10 || acc.Usage.PromptTokens != int64(len(ids)) {
		t.Errorf("stream gave %q usage %+v; non-stream %q", acc.Choices[0].Message.Content, acc.Usage, ch.Message.Content)
	}
	if string(acc.Choices[0].FinishReason) != "length" {
		t.Errorf("stream finish %q", acc.Choices[0].FinishReason)
	}
}

func TestOpenAIStopString(t *testing.T) {
	ts := newTestServer(t, Config{})
	c := openaiClient(ts, "")
	full := reference(t, "stop strings", 16, 0, 0).text
	// Stop at a word in the middle of what greedy decoding writes.
	words := strings.Fields(full)
	if len(words) < 4 {
		t.Fatalf("reference too short: %q", full)
	}
	stop := " " + words[2]
	want := full[:strings.Index(full, stop)]
	for _, stream := range []bool{false, true} {
		p := openai.CompletionNewParams{
			Model:       "tiny",
			Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("stop strings")},
			MaxTokens:   openai.Int(16),
			Temperature: openai.Float(0),
			Stop:        openai.CompletionNewParamsStopUnion{OfStringArray: []string{stop, "never appears"}},
		}
		var text, finish string
		if stream {
			s := c.Completions.NewStreaming(context.Background(), p)
			for s.Next() {
				if ch := s.Current().Choices; len(ch) > 0 {
					text += ch[0].Text
					if ch[0].FinishReason != "" {
						finish = string(ch[0].FinishReason)
					}
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
		} else {
			r, err := c.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			text, finish = r.Choices[0].Text, string(r.Choices[0].FinishReason)
		}
		if text != jsonText(want) || finish != "stop" {
			t.Errorf("stream=%v: got %q (%s), want %q (stop) from %q cut at %q", stream, text, finish, want, full, stop)
		}
	}
}

func TestOpenAITypedErrors(t *testing.T) {
	ts := newTestServer(t, Config{APIKey: "k", Ctx: 64})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		key    string
		params openai.CompletionNewParams
		status int
		code   string
		param  string
		msg    string
	}{
		{"wrong key", "nope", openai.CompletionNewParams{Model: "tiny", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")}},
			401, "invalid_api_key", "", "API key"},
		{"n>1", "k", openai.CompletionNewParams{Model: "tiny", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")}, N: openai.Int(2)},
			400, "", "n", "n=1"},
		{"too long", "k", openai.CompletionNewParams{Model: "tiny", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("hello world")}, MaxTokens: openai.Int(60)},
			400, "context_length_exceeded", "max_tokens", "needs 68 tokens (8 prompt + 60 max_tokens) but the context is 64"},
		{"unknown model", "k", openai.CompletionNewParams{Model: "gpt-9", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")}},
			404, "model_not_found", "model", `serves "tiny"`},
		{"temperature", "k", openai.CompletionNewParams{Model: "tiny", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")}, Temperature: openai.Float(7)},
			400, "", "temperature", "temperature must be in [0, 2]"},
	} {
		c := openaiClient(ts, tc.key)
		_, err := c.Completions.New(ctx, tc.params)
		var ae *openai.Error
		if !errors.As(err, &ae) {
			t.Errorf("%s: error %v is not an *openai.Error", tc.name, err)
			continue
		}
		if ae.StatusCode != tc.status || ae.Code != tc.code || ae.Param != tc.param || !strings.Contains(ae.Message, tc.msg) {
			t.Errorf("%s: got %d code=%q param=%q %q; want %d code=%q param=%q containing %q",
				tc.name, ae.StatusCode, ae.Code, ae.Param, ae.Message, tc.status, tc.code, tc.param, tc.msg)
		}
	}
}
