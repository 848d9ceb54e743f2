package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/eval/target"
)

var (
	needleRe = regexp.MustCompile(`One of the special magic \w+ for ([\w-]+) is: ([\w-]+)\.`)
	queryRe  = regexp.MustCompile(`special magic \w+ for ([\w, -]+?) mentioned in the provided text (?:is|are)$`)
)

// fakeServer answers like a model that retrieves perfectly: it echoes the
// Kamradt needle, or the values of the queried RULER keys; anything else
// gets "I do not know". The first request gets a 429.
func fakeServer(t *testing.T, calls *atomic.Int32, block <-chan struct{}) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		var req struct {
			Messages []target.Message `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
		}
		user := req.Messages[len(req.Messages)-1].Content
		answer := "I do not know."
		if strings.Contains(user, gen.KamradtNeedle) {
			answer = gen.KamradtNeedle
		} else if m := queryRe.FindStringSubmatch(user); m != nil {
			var vals []string
			for _, nm := range needleRe.FindAllStringSubmatch(user, -1) {
				if strings.Contains(m[1], nm[1]) {
					vals = append(vals, nm[2])
				}
			}
			answer = strings.Join(vals, ", ")
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": answer}}}})
	}))
}

func testConfig(t *testing.T, url string, st *store.Store) Config {
	g, err := gen.New(gen.Config{Seed: 1, Tokenizer: gen.Estimate{BytesPerToken: 4}, Reserve: 64})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.NewOpenAI(target.OpenAIConfig{BaseURL: url, Model: "fake", Concurrency: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Gen: g, Target: tg, Store: st, Mode: ModeChat, Suites: []string{"niah", "ruler"},
		RulerTasks: []string{"niah_single_1", "niah_multikey_2", "niah_multiquery", "vt"},
		Lengths:    []int{1024, 2048}, Depths: []int{0, 50, 100}, Samples: 2, Concurrency: 3}
}

func TestEndToEndResume(t *testing.T) {
	var calls atomic.Int32
	srv := fakeServer(t, &calls, nil)
	defer srv.Close()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "r.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, srv.URL, st)
	total := 2 * (3 + 4) * 2 // lengths × (depths + tasks) × samples

	sum, stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Requested != total || stats.Cached != 0 || int(calls.Load()) != total+1 {
		t.Errorf("first run: %+v, %d calls (want %d requests + one 429)", stats, calls.Load(), total)
	}
	for _, c := range []struct{ suite, cell, length string }{
		{"niah", "depth=0", "1k"}, {"niah", "depth=100", "2k"},
		{"ruler", "niah_single_1", "1k"}, {"ruler", "niah_multikey_2", "2k"}, {"ruler", "niah_multiquery", "2k"},
	} {
		if v := sum[c.suite][c.cell][c.length]; v != 1 {
			t.Errorf("%s %s %s = %v, want 1 (the fake retrieves perfectly)", c.suite, c.cell, c.length, v)
		}
	}
	if v, ok := sum["ruler"]["vt"]["1k"]; !ok || v != 0 {
		t.Errorf("vt = %v (present %v), want 0", v, ok)
	}

	before := calls.Load()
	again, stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Cached != total || stats.Requested != 0 || calls.Load() != before {
		t.Errorf("resume: %+v, %d new calls", stats, calls.Load()-before)
	}
	a, _ := json.Marshal(sum)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Errorf("resumed summary differs:\n%s\n%s", a, b)
	}
	cfg.NoCache = true
	if _, stats, err = Run(context.Background(), cfg); err != nil || stats.Requested != total {
		t.Errorf("--no-cache: %+v %v", stats, err)
	}

	path := filepath.Join(dir, "summary.json")
	if err := WriteJSON(path, sum); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var back map[string]map[string]map[string]float64
	if err := json.Unmarshal(raw, &back); err != nil || back["niah"]["depth=50"]["1k"] != 1 {
		t.Errorf("summary.json: %s", raw)
	}
	var tbl bytes.Buffer
	WriteTable(&tbl, sum, cfg.Lengths)
	for _, want := range []string{"niah\n", "depth=0 ", "depth=100", "ruler\n", "niah_single_1", "100.0", "average"} {
		if !strings.Contains(tbl.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tbl.String())
		}
	}
	if strings.Index(tbl.String(), "depth=50 ") > strings.Index(tbl.String(), "depth=100") {
		t.Errorf("depths not in numeric order:\n%s", tbl.String())
	}
}

func TestInterruptLosesNothing(t *testing.T) {
	var calls atomic.Int32
	block := make(chan struct{})
	srv := fakeServer(t, &calls, block)
	defer srv.Close()
	var unblock sync.Once
	defer unblock.Do(func() { close(block) }) // before srv.Close, even when the test fails
	st, err := store.Open(filepath.Join(t.TempDir(), "r.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(t, srv.URL, st)
	cfg.Suites = []string{"ruler"}
	total := 2 * 4 * 2

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for range 5 { // let five answers through, then interrupt
			block <- struct{}{}
		}
		for {
			if n, _ := st.Count(); n == 5 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, _, err := Run(ctx, cfg); err != context.Canceled {
		t.Fatalf("interrupted run: %v", err)
	}
	if n, _ := st.Count(); n != 5 {
		t.Fatalf("%d results stored after the interrupt, want 5", n)
	}
	unblock.Do(func() { close(block) })
	_, stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Cached != 5 || stats.Requested != total-5 {
		t.Errorf("resume after interrupt: %+v", stats)
	}
}

func TestBuildRequestAndScore(t *testing.T) {
	s := gen.Sample{System: "sys", Prompt: "P", AnswerPrefix: " A:"}
	if r := BuildRequest(s, ModeCompletion); r.Prompt != "sys\n\nP A:" {
		t.Errorf("completion prompt %q", r.Prompt)
	}
	r := BuildRequest(s, ModeChat)
	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[1].Content != "P A:" {
		t.Errorf("chat messages %+v", r.Messages)
	}
	if v, _ := Score("string_match_all", " 12\x00AB ", []string{"12", "ab", "zz"}); v != 2.0/3 {
		t.Errorf("score %v", v)
	}
	if _, err := Score("judge", "", nil); err == nil {
		t.Error("unknown metric accepted")
	}
	if _, _, err := Run(context.Background(), Config{Mode: "x"}); err == nil {
		t.Error("bad mode accepted")
	}
	if _, err := plan(Config{Suites: []string{"longbench"}, Lengths: []int{1}, Samples: 1}); err == nil {
		t.Error("unknown suite accepted")
	}
}
