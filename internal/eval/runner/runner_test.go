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

func testConfig(t *testing.T, url string, st *store.Store, suites ...string) Config {
	g, err := gen.New(gen.Config{Seed: 1, Tokenizer: gen.Estimate{BytesPerToken: 4}, Reserve: 64})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.NewOpenAI(target.OpenAIConfig{BaseURL: url, Model: "fake", Concurrency: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []Source
	for _, suite := range suites {
		tasks := map[string][]string{"niah": gen.DepthTasks([]int{0, 50, 100}),
			"ruler": {"niah_single_1", "niah_multikey_2", "niah_multiquery", "vt"}}[suite]
		src, err := Generated(g, suite, tasks)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	return Config{Target: tg, Store: st, Mode: ModeChat, Sources: srcs, Lengths: []int{1024, 2048}, Samples: 2, Concurrency: 3}
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
	cfg := testConfig(t, srv.URL, st, "niah", "ruler")
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
	cfg := testConfig(t, srv.URL, st, "ruler")
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

func TestBuildRequest(t *testing.T) {
	s := gen.Sample{System: "sys", Prompt: "P", AnswerPrefix: " A:"}
	if r := BuildRequest(s, ModeCompletion, false); r.Prompt != "sys\n\nP A:" {
		t.Errorf("completion prompt %q", r.Prompt)
	}
	r := BuildRequest(s, ModeChat, false)
	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[1].Content != "P A:" {
		t.Errorf("chat messages %+v", r.Messages)
	}
	s.Raw = true
	if r := BuildRequest(s, ModeChat, true); r.Prompt != "sys\n\nP A:" || r.Messages != nil {
		t.Errorf("raw sample to a target that takes raw prompts: %+v", r)
	}
	if r := BuildRequest(s, ModeChat, false); len(r.Messages) != 2 {
		t.Errorf("raw sample to a chat-only target: %+v", r)
	}
	if _, _, err := Run(context.Background(), Config{Mode: "x"}); err == nil {
		t.Error("bad mode accepted")
	}
	if _, err := plan(Config{Lengths: []int{1}, Samples: 1}); err == nil {
		t.Error("no suites accepted")
	}
	g, _ := gen.New(gen.Config{Tokenizer: gen.Estimate{BytesPerToken: 4}})
	for _, c := range []struct {
		suite string
		tasks []string
	}{{"longbench", nil}, {"ruler", []string{"nope"}}, {"niah", nil}} {
		if _, err := Generated(g, c.suite, c.tasks); err == nil {
			t.Errorf("Generated(%s, %v) accepted", c.suite, c.tasks)
		}
	}
	src, _ := Generated(g, "threading", nil)
	if o, err := Only(src, []string{"threading"}); err != nil || strings.Join(o.Tasks(), ",") != "threading" || o.Suite() != "threading" {
		t.Errorf("Only: %v %v", o, err)
	}
	if _, err := Only(src, []string{"cwe"}); err == nil {
		t.Error("Only accepted another suite's task")
	}
	a, _, _ := Key("t", ModeChat, r, target.Params{MaxTokens: 1})
	b, _, _ := Key("t", ModeChat, r, target.Params{MaxTokens: 2})
	c, _, _ := Key("u", ModeChat, r, target.Params{MaxTokens: 1})
	if a == b || a == c {
		t.Error("key ignores parameters or target")
	}
}

// fakeClock advances by step on every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	p := newProgress(&buf, 10, clk.now)
	p.add(true) // from the store: no rate yet
	if !strings.HasSuffix(buf.String(), "1/10  10% (1 from the store) ETA --") {
		t.Errorf("after a cached answer: %q", buf.String())
	}
	for range 4 {
		p.add(false)
	}
	// 4 requests answered over the clock's readings since start; 5 left.
	last := buf.String()[strings.LastIndex(buf.String(), "\r"):]
	if !strings.Contains(last, "[###############---------------] 5/10  50%") || !strings.Contains(last, "ETA ") || strings.HasSuffix(last, "ETA --") {
		t.Errorf("half way: %q", last)
	}
	for range 5 {
		p.add(false)
	}
	p.finish()
	if !strings.HasSuffix(buf.String(), "10/10 100% (1 from the store) ETA 0s\n") || !strings.Contains(buf.String(), "\x1b[K") {
		t.Errorf("end: %q", buf.String()[len(buf.String())-80:])
	}
}

func TestRowsAndLengths(t *testing.T) {
	tasks := map[string]map[string]float64{"vt": nil, "niah_single_1": nil, "cwe": nil, "zzz": nil}
	if got := Rows("ruler", tasks); strings.Join(got, ",") != "niah_single_1,vt,cwe,zzz" {
		t.Errorf("ruler rows %q", got)
	}
	if got := Rows("niah", map[string]map[string]float64{"depth=100": nil, "depth=5": nil, "depth=50": nil}); strings.Join(got, ",") != "depth=5,depth=50,depth=100" {
		t.Errorf("niah rows %q", got)
	}
	s := Summary{"longbench": {"a": {"8k": 1, "1000": 1}}, "niah": {"depth=0": {"4k": 1, "x": 2}}}
	if got := Lengths(s); len(got) != 3 || got[0] != 1000 || got[2] != 8192 {
		t.Errorf("Lengths = %v", got)
	}
	if got := Suites(s); strings.Join(got, ",") != "niah,longbench" {
		t.Errorf("Suites = %v", got)
	}
}
