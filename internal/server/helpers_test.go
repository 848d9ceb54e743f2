package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
)

const fixtures = "../../../shared/fixtures"

var (
	engOnce sync.Once
	engTiny *engine.Engine
	engErr  error
)

// tinyEngine loads the llama tiny-q8_0 fixture once; it is read-only and
// shared by every test server.
func tinyEngine(t testing.TB) *engine.Engine {
	t.Helper()
	path := filepath.Join(fixtures, "gguf", "tiny-q8_0.gguf")
	engOnce.Do(func() {
		if _, err := os.Stat(path); err != nil {
			engErr = err
			return
		}
		engTiny, engErr = engine.Open(path)
	})
	if engErr != nil {
		t.Fatalf("test model %s: %v", path, engErr)
	}
	return engTiny
}

// testServer is a live loopback server over the tiny model.
type testServer struct {
	*Server
	URL  string
	http *httptest.Server
}

func newTestServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	if cfg.ModelName == "" {
		cfg.ModelName = "tiny"
	}
	return serverOver(t, tinyEngine(t), cfg)
}

// serverOver is a live loopback server over engine e (context 1024 unless
// cfg says otherwise).
func serverOver(t testing.TB, e *engine.Engine, cfg Config) *testServer {
	t.Helper()
	if cfg.Ctx == 0 {
		cfg.Ctx = 1024
	}
	s, err := New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return &testServer{Server: s, URL: hs.URL, http: hs}
}

// chatServer is a test server with the ChatML template (the fixtures have
// no chat template of their own).
func chatServer(t testing.TB, cfg Config) *testServer {
	cfg.ChatTemplate = chat.ChatML()
	return newTestServer(t, cfg)
}

// post sends a JSON body and returns the status and body.
func post(t testing.TB, url, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
}

// reference runs one request alone through engine.Generate, the
// single-sequence path, as the truth the batched server must reproduce.
type refKey struct {
	prompt    string
	maxTokens int
	temp      float32
	seed      uint64
}

var (
	refMu    sync.Mutex
	refCache = map[refKey]refResult{}
)

type refResult struct {
	text   string
	reason string
	tokens int
}

func reference(t testing.TB, prompt string, maxTokens int, temp float32, seed uint64, stops ...string) refResult {
	t.Helper()
	k := refKey{prompt, maxTokens, temp, seed}
	refMu.Lock()
	r, ok := refCache[k]
	refMu.Unlock()
	if ok && len(stops) == 0 {
		return r
	}
	e := tinyEngine(t)
	var b bytes.Buffer
	st, err := e.Generate(context.Background(), engine.Request{
		Prompt: prompt, MaxTokens: maxTokens, Ctx: 1024, KVType: tensor.F16, Stop: stops,
		Sampling: sample.Params{Temperature: temp, TopP: 1, TypicalP: 1, RepeatPenalty: 1, RepeatLastN: -1, Seed: seed},
	}, func(s string) error { b.WriteString(s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	reason := st.StopReason
	if reason == "eos" {
		reason = "stop"
	}
	r = refResult{text: b.String(), reason: reason, tokens: st.Generated}
	if len(stops) == 0 {
		refMu.Lock()
		refCache[k] = r
		refMu.Unlock()
	}
	return r
}

// jsonText is s as a JSON round trip leaves it: each byte of invalid UTF-8
// (random-weight models emit stray byte tokens) becomes U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// waitIdle waits until the scheduler holds no request.
func waitIdle(t testing.TB, s *Server, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		running, waiting, kv, _ := s.sched.snapshot()
		if running == 0 && waiting == 0 && kv == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduler not idle after %v: %d running, %d waiting, %d KV bytes", within, running, waiting, kv)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
