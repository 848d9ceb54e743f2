package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Endpoint scores answers with an OpenAI-compatible completions server
// that returns prompt log-probabilities (echo with logprobs), so
// black-box models can be traced with TracLLM.
type Endpoint struct {
	BaseURL string // server root or its /v1
	Model   string
	APIKey  string // sent as a Bearer token when set
	Client  *http.Client
	calls   int
}

// Calls is the number of requests sent.
func (e *Endpoint) Calls() int { return e.calls }

type echoResponse struct {
	Choices []struct {
		Logprobs *struct {
			Tokens        []string   `json:"tokens"`
			TokenLogprobs []*float64 `json:"token_logprobs"`
		} `json:"logprobs"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens int `json:"prompt_tokens"`
	} `json:"usage"`
}

// LogProb returns the summed log-probability of answer after prompt. It
// sends prompt+answer with echo, logprobs and max_tokens 0, and sums the
// log-probabilities of the shortest run of final prompt tokens whose text
// covers the answer's bytes (so no tokenizer is needed here; a token that
// straddles the join counts).
func (e *Endpoint) LogProb(ctx context.Context, prompt, answer string) (float64, error) {
	body, _ := json.Marshal(map[string]any{
		"model": e.Model, "prompt": prompt + answer, "max_tokens": 0,
		"echo": true, "logprobs": 0, "temperature": 0,
	})
	root := strings.TrimSuffix(strings.TrimSuffix(e.BaseURL, "/"), "/v1")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root+"/v1/completions", bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("trace: endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if e.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.APIKey)
	}
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	e.calls++
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("trace: endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, fmt.Errorf("trace: endpoint: reading the response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("trace: endpoint: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(raw[:min(len(raw), 300)])))
	}
	var r echoResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("trace: endpoint: bad response JSON: %w", err)
	}
	if len(r.Choices) == 0 || r.Choices[0].Logprobs == nil {
		return 0, fmt.Errorf("trace: endpoint: the response has no logprobs (the server must support echo with logprobs on /v1/completions)")
	}
	lp := r.Choices[0].Logprobs
	n := min(len(lp.Tokens), len(lp.TokenLogprobs))
	if r.Usage != nil && r.Usage.PromptTokens > 0 && r.Usage.PromptTokens < n {
		n = r.Usage.PromptTokens // drop any generated token
	}
	var sum float64
	covered := 0
	for i := n - 1; i >= 0 && covered < len(answer); i-- {
		if lp.TokenLogprobs[i] == nil {
			return 0, fmt.Errorf("trace: endpoint: no log-probability for prompt token %d (%q), which is part of the answer", i, lp.Tokens[i])
		}
		sum += *lp.TokenLogprobs[i]
		covered += len(lp.Tokens[i])
	}
	if covered < len(answer) {
		return 0, fmt.Errorf("trace: endpoint: the echoed tokens spell %d bytes, fewer than the answer's %d", covered, len(answer))
	}
	return sum, nil
}

// Value is TracLLM's value function for p on the endpoint.
func (e *Endpoint) Value(p *Problem) ValueFunc {
	return func(ctx context.Context, keep []int) (float64, error) {
		prompt, _ := p.Prompt(keep)
		return e.LogProb(ctx, prompt, p.Answer)
	}
}
