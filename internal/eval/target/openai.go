package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OpenAIConfig configures an OpenAI-compatible client.
type OpenAIConfig struct {
	BaseURL  string // server root or its /v1 (e.g. http://localhost:8080)
	Model    string
	APIKey   string // sent as a Bearer token when set
	Endpoint string // "chat" (default) or "completions"

	Concurrency int           // requests in flight at once (default 4)
	Timeout     time.Duration // per attempt (default 10 min: long prefills are slow)
	MaxRetries  int           // attempts after the first (0: 5; negative: none)
	BaseDelay   time.Duration // first backoff (default 1 s), doubled per retry
	MaxDelay    time.Duration // backoff cap (default 60 s); Retry-After may exceed it
	HTTPClient  *http.Client
}

// OpenAI is a Target speaking the OpenAI HTTP API.
type OpenAI struct {
	cfg  OpenAIConfig
	root string // base URL without a trailing /v1
	sem  chan struct{}
}

// NewOpenAI checks cfg, fills defaults and returns the client.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("target: base URL %q must start with http:// or https://", cfg.BaseURL)
	}
	switch cfg.Endpoint {
	case "":
		cfg.Endpoint = "chat"
	case "chat", "completions":
	default:
		return nil, fmt.Errorf("target: endpoint %q (want chat or completions)", cfg.Endpoint)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	} else if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	root := strings.TrimSuffix(strings.TrimSuffix(cfg.BaseURL, "/"), "/v1")
	return &OpenAI{cfg: cfg, root: root, sem: make(chan struct{}, cfg.Concurrency)}, nil
}

// Name is "openai-<endpoint> <root> model=<model>", the root without a
// user name or password (Name goes into reports and store keys).
func (c *OpenAI) Name() string {
	root := c.root
	if u, err := url.Parse(root); err == nil && u.User != nil {
		u.User = nil
		root = u.String()
	}
	return "openai-" + c.cfg.Endpoint + " " + root + " model=" + c.cfg.Model
}

type choice struct {
	Text    string `json:"text"`
	Message *struct {
		Content *string `json:"content"`
	} `json:"message"`
	FinishReason string `json:"finish_reason"`
}

type apiResponse struct {
	Choices []choice `json:"choices"`
	Usage   Usage    `json:"usage"`
}

// StatusError is a non-2xx answer that was not (or no longer) retried.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Code, e.Body)
}

// Generate sends one request, retrying 429, 5xx, network errors and
// per-attempt timeouts with exponential backoff (with jitter), waiting at
// least Retry-After when the server gives it.
func (c *OpenAI) Generate(ctx context.Context, req Request, p Params) (Response, error) {
	body := map[string]any{
		"model":       c.cfg.Model,
		"max_tokens":  p.MaxTokens,
		"temperature": p.Temperature,
		"top_p":       p.TopP,
	}
	if len(p.Stop) > 0 {
		body["stop"] = p.Stop
	}
	path := "/v1/chat/completions"
	if c.cfg.Endpoint == "chat" {
		if len(req.Messages) == 0 {
			return Response{}, errors.New("target: chat endpoint needs messages")
		}
		body["messages"] = req.Messages
	} else {
		if req.Prompt == "" {
			return Response{}, errors.New("target: completions endpoint needs a prompt")
		}
		body["prompt"] = req.Prompt
		path = "/v1/completions"
	}
	reqBody, err := json.Marshal(body)
	if err != nil {
		return Response{}, err
	}

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	defer func() { <-c.sem }()

	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, wait, err := c.attempt(ctx, c.root+path, reqBody)
		if err == nil {
			resp.RequestBody = reqBody
			return resp, nil
		}
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		lastErr = err
		if wait < 0 || attempt >= c.cfg.MaxRetries {
			break
		}
		backoff := min(c.cfg.BaseDelay<<attempt, c.cfg.MaxDelay)
		backoff = backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1)) // jitter spreads concurrent retries
		t := time.NewTimer(max(backoff, wait))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Response{}, ctx.Err()
		}
	}
	return Response{}, fmt.Errorf("target: %s%s: %w", c.root, path, lastErr)
}

// attempt makes one HTTP call. wait < 0 means the error is permanent;
// otherwise it is the server's Retry-After (0 if none).
func (c *OpenAI) attempt(ctx context.Context, url string, body []byte) (Response, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Response{}, -1, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	hresp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return Response{}, 0, err // network error or per-attempt timeout: retry
	}
	defer hresp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, 64<<20))
	if err != nil {
		return Response{}, 0, err
	}
	if hresp.StatusCode == http.StatusTooManyRequests || hresp.StatusCode >= 500 {
		return Response{}, retryAfter(hresp.Header.Get("Retry-After")), &StatusError{hresp.StatusCode, snippet(raw)}
	}
	if hresp.StatusCode/100 != 2 {
		return Response{}, -1, &StatusError{hresp.StatusCode, snippet(raw)}
	}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		return Response{}, -1, fmt.Errorf("malformed JSON response: %v: %s", err, snippet(raw))
	}
	if len(ar.Choices) == 0 {
		return Response{}, -1, fmt.Errorf("response has no choices: %s", snippet(raw))
	}
	ch := ar.Choices[0]
	text := ch.Text
	if c.cfg.Endpoint == "chat" {
		if ch.Message == nil || ch.Message.Content == nil {
			return Response{}, -1, fmt.Errorf("chat response has no message content: %s", snippet(raw))
		}
		text = *ch.Message.Content
	}
	return Response{Text: text, FinishReason: ch.FinishReason, Usage: ar.Usage, ResponseBody: raw}, 0, nil
}

// retryAfter reads Retry-After as seconds or an HTTP date (0 if absent or bad).
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func snippet(b []byte) string {
	const n = 300
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
