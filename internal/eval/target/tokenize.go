package target

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// RemoteTokenizer counts tokens with the server's /tokenize endpoint
// (llama.cpp's server, vLLM and longctx's have one). Servers that add a BOS
// by default count it too; that over-counts by one token, which only makes
// fitted prompts a token shorter.
type RemoteTokenizer struct {
	url, model string
	client     *http.Client
	timeout    time.Duration
}

// Tokenizer returns the server's tokenizer after checking that /tokenize
// answers; an error means the caller must fall back to an estimate and say so.
func (c *OpenAI) Tokenizer(ctx context.Context) (*RemoteTokenizer, error) {
	t := &RemoteTokenizer{url: c.root + "/tokenize", model: c.cfg.Model, client: c.cfg.HTTPClient, timeout: c.cfg.Timeout}
	n, err := t.count(ctx, "Hello world")
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("target: %s counted %d tokens for a test text", t.url, n)
	}
	return t, nil
}

// Count returns the number of tokens of text.
func (t *RemoteTokenizer) Count(text string) (int, error) {
	return t.count(context.Background(), text)
}

func (t *RemoteTokenizer) count(ctx context.Context, text string) (int, error) {
	// "content" is llama.cpp's field, "prompt" and "model" vLLM's.
	return t.post(ctx, map[string]any{"content": text, "prompt": text, "model": t.model})
}

// ChatOverhead measures the tokens the server's chat template adds around
// the messages of a request, with and without a system message, and
// returns the larger: what a chat run must reserve on top of the prompt
// text. It needs /tokenize to accept "messages" (longctx's and vLLM's do;
// llama.cpp's does not, and then the caller keeps its default reserve).
func (t *RemoteTokenizer) ChatOverhead(ctx context.Context) (int, error) {
	return chatOverhead(func(msgs []Message) (int, error) {
		return t.post(ctx, map[string]any{"messages": msgs, "model": t.model, "add_generation_prompt": true})
	}, func(s string) (int, error) { return t.count(ctx, s) })
}

// chatOverhead is the largest difference between the templated count of a
// conversation and the counts of its texts, over a user-only and a
// system+user conversation. Texts are short words, so the difference is
// the template's own tokens (plus a BOS counted twice, at most).
func chatOverhead(countChat func([]Message) (int, error), count func(string) (int, error)) (int, error) {
	worst := 0
	for _, msgs := range [][]Message{
		{{Role: "user", Content: "question"}},
		{{Role: "system", Content: "instruction"}, {Role: "user", Content: "question"}},
	} {
		n, err := countChat(msgs)
		if err != nil {
			return 0, err
		}
		for _, m := range msgs {
			k, err := count(m.Content)
			if err != nil {
				return 0, err
			}
			n -= k
		}
		worst = max(worst, n)
	}
	return worst, nil
}

func (t *RemoteTokenizer) post(ctx context.Context, fields map[string]any) (int, error) {
	body, _ := json.Marshal(fields)
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("target: tokenize: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, fmt.Errorf("target: tokenize: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("target: tokenize: HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	var r struct {
		Count  *int              `json:"count"`
		Tokens []json.RawMessage `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("target: tokenize: malformed JSON: %v", err)
	}
	if r.Count != nil {
		return *r.Count, nil
	}
	if r.Tokens == nil {
		return 0, fmt.Errorf("target: tokenize: response has neither count nor tokens: %s", snippet(raw))
	}
	return len(r.Tokens), nil
}
