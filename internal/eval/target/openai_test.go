package target

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func okChat(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": 11, "completion_tokens": 2},
	})
}

func newClient(t *testing.T, url string, mod func(*OpenAIConfig)) *OpenAI {
	t.Helper()
	cfg := OpenAIConfig{BaseURL: url, Model: "m", BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetries: 3, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var chatReq = Request{Messages: []Message{{Role: "user", Content: "hi"}}}

func TestRetryThenSuccess(t *testing.T) {
	for _, c := range []struct {
		name   string
		fail   func(w http.ResponseWriter)
		nFails int
		minDur time.Duration
	}{
		{"429 with Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 1, time.Second},
		{"two 500s", func(w http.ResponseWriter) { http.Error(w, "boom", 500) }, 2, 0},
		{"503", func(w http.ResponseWriter) { http.Error(w, "busy", 503) }, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
					t.Errorf("path %s auth %q", r.URL.Path, r.Header.Get("Authorization"))
				}
				if int(calls.Add(1)) <= c.nFails {
					c.fail(w)
					return
				}
				okChat(w, "fine")
			}))
			defer srv.Close()
			start := time.Now()
			resp, err := newClient(t, srv.URL+"/v1/", func(cfg *OpenAIConfig) { cfg.APIKey = "k" }).Generate(context.Background(), chatReq, Params{MaxTokens: 5})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != "fine" || resp.Usage.PromptTokens != 11 || int(calls.Load()) != c.nFails+1 {
				t.Errorf("text %q usage %+v calls %d", resp.Text, resp.Usage, calls.Load())
			}
			if d := time.Since(start); d < c.minDur {
				t.Errorf("returned after %v, before Retry-After %v", d, c.minDur)
			}
			var sent map[string]any
			if err := json.Unmarshal(resp.RequestBody, &sent); err != nil || sent["model"] != "m" || sent["max_tokens"] != 5.0 {
				t.Errorf("stored request %s", resp.RequestBody)
			}
			if !strings.Contains(string(resp.ResponseBody), `"fine"`) {
				t.Errorf("stored response %s", resp.ResponseBody)
			}
		})
	}
}

func TestPermanentFailures(t *testing.T) {
	for _, c := range []struct {
		name      string
		handler   http.HandlerFunc
		wantCalls int32
		wantErr   string
	}{
		{"500 forever", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }, 4, "HTTP 500"},
		{"400 is not retried", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "context too long", 400) }, 1, "context too long"},
		{"malformed JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"choices": [`)) }, 1, "malformed JSON"},
		{"no choices", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"choices": []}`)) }, 1, "no choices"},
		{"null content", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"choices": [{"message": {"content": null}}]}`))
		}, 1, "no message content"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				c.handler(w, r)
			}))
			defer srv.Close()
			_, err := newClient(t, srv.URL, nil).Generate(context.Background(), chatReq, Params{})
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if calls.Load() != c.wantCalls {
				t.Errorf("%d calls, want %d", calls.Load(), c.wantCalls)
			}
		})
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-time.After(500 * time.Millisecond):
			case <-r.Context().Done():
			}
			return
		}
		okChat(w, "late but fine")
	}))
	defer srv.Close()
	resp, err := newClient(t, srv.URL, func(c *OpenAIConfig) { c.Timeout = 100 * time.Millisecond }).Generate(context.Background(), chatReq, Params{})
	if err != nil || resp.Text != "late but fine" || calls.Load() != 2 {
		t.Fatalf("resp %q err %v calls %d", resp.Text, err, calls.Load())
	}
}

func TestConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		okChat(w, "x")
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *OpenAIConfig) { c.Concurrency = 3 })
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := c.Generate(context.Background(), chatReq, Params{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Errorf("peak in flight %d, want 3", p)
	}
}

func TestCompletionsAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Path == "/tokenize" {
			json.NewEncoder(w).Encode(map[string]any{"tokens": strings.Fields(body["content"].(string))})
			return
		}
		if r.URL.Path != "/v1/completions" || body["prompt"] != "Once" {
			t.Errorf("path %s body %v", r.URL.Path, body)
		}
		w.Write([]byte(`{"choices":[{"text":" upon a time","finish_reason":"length"}]}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *OpenAIConfig) { c.Endpoint = "completions" })
	resp, err := c.Generate(context.Background(), Request{Prompt: "Once"}, Params{})
	if err != nil || resp.Text != " upon a time" || resp.FinishReason != "length" {
		t.Fatalf("%+v %v", resp, err)
	}
	if _, err := c.Generate(context.Background(), chatReq, Params{}); err == nil {
		t.Error("completions target accepted messages without a prompt")
	}
	tok, err := c.Tokenizer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tok.Count("a b c d"); err != nil || n != 4 {
		t.Errorf("Count = %d, %v", n, err)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", 503) }))
	defer down.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	slow := newClient(t, down.URL, func(c *OpenAIConfig) { c.BaseDelay, c.MaxDelay, c.MaxRetries = time.Hour, time.Hour, 10 })
	if _, err := slow.Generate(ctx, chatReq, Params{}); err != context.DeadlineExceeded {
		t.Errorf("cancel during backoff: %v", err)
	}
	if _, err := slow.Tokenizer(context.Background()); err == nil {
		t.Error("tokenizer of a server without /tokenize accepted")
	}
	for _, bad := range []OpenAIConfig{{BaseURL: "localhost:8080"}, {BaseURL: "http://x", Endpoint: "embeddings"}} {
		if _, err := NewOpenAI(bad); err == nil {
			t.Errorf("NewOpenAI(%+v) accepted", bad)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	if retryAfter("3") != 3*time.Second || retryAfter("") != 0 || retryAfter("soon") != 0 {
		t.Error("retryAfter seconds")
	}
	if d := retryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)); d < 59*time.Minute {
		t.Errorf("retryAfter date = %v", d)
	}
}

// The template overhead is the templated count minus the texts' counts,
// the larger of user-only and system+user.
func TestChatOverhead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Content  string    `json:"content"`
			Messages []Message `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		n := len(strings.Fields(body.Content))
		if body.Messages != nil {
			n = 3 // generation prompt
			for _, m := range body.Messages {
				n += 5 + len(strings.Fields(m.Content))
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"count": n})
	}))
	defer srv.Close()
	tok, err := newClient(t, srv.URL, nil).Tokenizer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tok.ChatOverhead(context.Background()); err != nil || n != 13 {
		t.Errorf("ChatOverhead = %d, %v; want 2·5+3", n, err)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		if body["messages"] != nil {
			http.Error(w, "unknown field messages", 400)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"tokens": []int{1, 2}})
	}))
	defer bad.Close()
	tok, _ = newClient(t, bad.URL, nil).Tokenizer(context.Background())
	if _, err := tok.ChatOverhead(context.Background()); err == nil {
		t.Error("a server that cannot tokenize messages gave an overhead")
	}
}

// A user name and password in the base URL stay out of the target's name,
// which reports and store keys hold.
func TestNameDropsCredentials(t *testing.T) {
	c, err := NewOpenAI(OpenAIConfig{BaseURL: "http://alice:s3cret@127.0.0.1:8080/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Name(); strings.Contains(n, "s3cret") || strings.Contains(n, "alice") || !strings.Contains(n, "127.0.0.1:8080") {
		t.Errorf("name %q", n)
	}
}
