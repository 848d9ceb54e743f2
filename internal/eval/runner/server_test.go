package runner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/eval/target"
	"github.com/longctx/longctx/internal/server"
)

const tinyModel = "../../../../shared/fixtures/gguf/tiny-q8_0.gguf"

// gate wraps longctx's own server: every third generation request gets a
// 429 before reaching it, the others are forwarded; it records the peak
// number of generation requests in flight and a hash of every request
// body answered 200, and can cancel a run after its n-th success.
type gate struct {
	next     http.Handler
	calls    atomic.Int32
	refused  atomic.Int32
	inFlight atomic.Int32
	peak     atomic.Int32

	mu       sync.Mutex
	answered []string // sha256 of the bodies answered 200, in order
	cancelAt int
	cancel   context.CancelFunc
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(c int) { s.code = c; s.ResponseWriter.WriteHeader(c) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		g.next.ServeHTTP(w, r) // /tokenize
		return
	}
	if g.calls.Add(1)%3 == 1 {
		g.refused.Add(1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"error":{"message":"busy"}}`, http.StatusTooManyRequests)
		return
	}
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusRecorder{ResponseWriter: w, code: 200}
	g.next.ServeHTTP(rec, r)
	if rec.code != 200 {
		return
	}
	sum := sha256.Sum256(body)
	g.mu.Lock()
	g.answered = append(g.answered, string(sum[:]))
	if g.cancel != nil && len(g.answered) == g.cancelAt {
		g.cancel()
	}
	g.mu.Unlock()
}

func (g *gate) take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := g.answered
	g.answered = nil
	return out
}

// storedBodies hashes the request bodies in the store.
func storedBodies(t *testing.T, st *store.Store, keys []string) map[string]bool {
	out := map[string]bool{}
	for _, k := range keys {
		rec, ok, err := st.Get(k)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			sum := sha256.Sum256(rec.Request)
			out[string(sum[:])] = true
		}
	}
	return out
}

// The whole pipeline against longctx's own OpenAI-compatible server on the
// tiny fixture model: lengths fitted with the server's /tokenize, chat
// requests with the server's template, three in flight, every third
// refused with 429 and retried, a run cancelled part way and resumed
// without repeating any request it had stored.
func TestAgainstLongctxServer(t *testing.T) {
	if _, err := os.Stat(tinyModel); err != nil {
		t.Fatalf("fixture model %s: %v", tinyModel, err)
	}
	eng, err := engine.Open(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	srv, err := server.New(eng, server.Config{ModelName: "tiny", Ctx: 2048, Parallel: 3, ChatTemplate: chat.ChatML()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	g := &gate{next: srv.Handler()}
	hs := httptest.NewServer(g)
	defer hs.Close()

	client, err := target.NewOpenAI(target.OpenAIConfig{BaseURL: hs.URL, Model: "tiny", Concurrency: 3,
		BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetries: 5, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.Tokenizer(context.Background())
	if err != nil {
		t.Fatalf("the server's /tokenize: %v", err)
	}
	overhead, err := tok.ChatOverhead(context.Background())
	if err != nil || overhead < 10 {
		t.Fatalf("chat template overhead %d, %v", overhead, err)
	}
	reserve := overhead + 4
	gn, err := gen.New(gen.Config{Seed: 3, Tokenizer: tok, Reserve: reserve})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []Source
	for suite, tasks := range map[string][]string{
		"niah":      gen.DepthTasks([]int{0, 100}),
		"ruler":     {"niah_single_1", "vt"},
		"threading": {"single_needle"},
	} {
		src, err := Generated(gn, suite, tasks)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "r.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const length, samples = 1536, 2
	cfg := Config{Target: client, Store: st, Mode: ModeChat, Sources: srcs, Lengths: []int{length}, Samples: samples, Concurrency: 3}
	jobs, _ := plan(cfg)
	total := len(jobs)
	var keys []string
	for _, j := range jobs {
		s, err := j.src.Sample(j.task, j.length, j.index)
		if err != nil {
			t.Fatal(err)
		}
		k, _, _ := Key(client.Name(), ModeChat, BuildRequest(s, ModeChat, false), target.Params{MaxTokens: s.MaxNewTokens, TopP: 1})
		keys = append(keys, k)
	}

	// Run 1, cancelled after the fourth answer.
	ctx, cancel := context.WithCancel(context.Background())
	g.mu.Lock()
	g.cancel, g.cancelAt = cancel, 4
	g.mu.Unlock()
	if _, _, err := Run(ctx, cfg); err != context.Canceled {
		t.Fatalf("cancelled run: %v", err)
	}
	first := g.take()
	stored := storedBodies(t, st, keys)
	// The fourth answer cancels the run from inside the server, so the
	// client may drop it (and others in flight) instead of storing it.
	if len(stored) == 0 || len(stored) >= total {
		t.Fatalf("after the cancel %d of %d answers are stored", len(stored), total)
	}
	lost := 0
	for _, h := range first {
		if !stored[h] {
			lost++ // answered while the run was being cancelled
		}
	}
	if lost > cfg.Concurrency {
		t.Errorf("%d answers of the cancelled run were not stored (more than the %d in flight)", lost, cfg.Concurrency)
	}

	// Run 2 resumes: nothing stored is asked again, and everything gets done.
	// The cancelled run's requests may still be in the server's handlers
	// (the client stopped waiting, the server finishes them): the peak is
	// measured for run 2 alone, once they are gone.
	for deadline := time.Now().Add(10 * time.Second); g.inFlight.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	g.peak.Store(0)
	g.mu.Lock()
	g.cancel = nil
	g.mu.Unlock()
	sum, stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range g.take() {
		if stored[h] {
			t.Error("the resumed run repeated a request the cancelled one had stored")
		}
	}
	if stats.Cached != len(stored) || stats.Requested != total-len(stored) {
		t.Errorf("resume: %+v, %d stored before, %d jobs", stats, len(stored), total)
	}
	if n, _ := st.Count(); n != total {
		t.Errorf("store has %d results, want %d", n, total)
	}
	if g.refused.Load() == 0 || g.peak.Load() < 2 || g.peak.Load() > 3 {
		t.Errorf("%d requests refused with 429, peak %d in flight (want some refused, 2-3 in flight)", g.refused.Load(), g.peak.Load())
	}
	for _, c := range [][2]string{{"niah", "depth=0"}, {"niah", "depth=100"}, {"ruler", "niah_single_1"}, {"ruler", "vt"}, {"threading", "single_needle"}} {
		if v, ok := sum[c[0]][c[1]]["1536"]; !ok || v < 0 || v > 1 {
			t.Errorf("summary %s/%s = %v (present %v)", c[0], c[1], v, ok)
		}
	}
	// Fitted with the server's tokenizer: the server's count of the prompt
	// exceeds the fitted count only by the chat template (within the
	// tokens reserved for it), and prompt plus answer fit the length.
	for _, k := range keys {
		rec, _, _ := st.Get(k)
		extra := rec.PromptTokens - rec.FittedTokens
		if extra < 0 || extra > reserve || rec.PromptTokens+rec.CompletionTokens > length || rec.FittedTokens < length/2 {
			t.Errorf("%s/%s #%d: server counted %d prompt + %d answer tokens, fitted %d, length %d",
				rec.Suite, rec.Cell, rec.Index, rec.PromptTokens, rec.CompletionTokens, rec.FittedTokens, length)
		}
	}
}
