package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/server"
	"github.com/longctx/longctx/internal/tensor"
)

type servedAnswer struct {
	Choices []struct {
		Text string `json:"text"`
	} `json:"choices"`
	Longctx struct {
		Attention string         `json:"attention"`
		Settings  map[string]any `json:"attention_settings"`
	} `json:"longctx"`
	Error *struct {
		Message string `json:"message"`
		Param   string `json:"param"`
	} `json:"error"`
}

func postJSON(t *testing.T, url, body string) (int, servedAnswer) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a servedAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, a
}

// policyServer serves the tiny fixture with internal/attention's policies
// and returns its completions URL. Tiling is off meanwhile: batched and
// solo runs then sum alike (see the server's tests).
func policyServer(t *testing.T, cfg server.Config) string {
	t.Helper()
	tensor.SetTiling(false)
	t.Cleanup(func() { tensor.SetTiling(true) })
	e, err := engine.Open(fixture(t, "gguf/tiny-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	cfg.Attention = attentionPolicies(e.Model)
	srv, err := server.New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs.URL + "/v1/completions"
}

// TestServeAttentionPolicies serves internal/attention's policies through
// longctx.attention: with a budget covering every position a policy
// answers as dense attention does; options are checked and echoed.
func TestServeAttentionPolicies(t *testing.T) {
	url := policyServer(t, server.Config{ModelName: "tiny", Ctx: 512})
	const prompt = `"prompt":"the quick brown fox jumps over the lazy dog","max_tokens":8,"temperature":0`
	_, dense := postJSON(t, url, "{"+prompt+"}")
	for _, tc := range []struct{ longctx, window string }{
		{`{"attention":"sink+window","budget":64,"sinks":4}`, ""},
		{`{"attention":"quest","budget":64,"block_size":16}`, ""},
		{`{"attention":"quest","budget":64,"quest_per_head":true,"quest_refine":1.5}`, ""},
		{`{"attention":"tokenselect","budget":64}`, ""},
	} {
		code, a := postJSON(t, url, "{"+prompt+`,"longctx":`+tc.longctx+"}")
		if code != 200 || len(a.Choices) == 0 {
			t.Errorf("%s: HTTP %d %+v", tc.longctx, code, a.Error)
			continue
		}
		if a.Choices[0].Text != dense.Choices[0].Text {
			t.Errorf("%s with a covering budget: %q, dense %q", tc.longctx, a.Choices[0].Text, dense.Choices[0].Text)
		}
		if a.Longctx.Settings["budget"] != 64.0 || a.Longctx.Attention == "dense" {
			t.Errorf("%s: echo %+v", tc.longctx, a.Longctx)
		}
	}
	// A small window on a longer prompt runs (the stream evicts).
	long := strings.Repeat("all work and no play makes jack a dull boy ", 20)
	code, a := postJSON(t, url, fmt.Sprintf(`{"prompt":%q,"max_tokens":4,"longctx":{"attention":"sink+window","budget":40,"sinks":4}}`, long))
	if code != 200 || a.Longctx.Settings["sinks"] != 4.0 {
		t.Errorf("sink+window 40 over a long prompt: HTTP %d %+v %+v", code, a.Error, a.Longctx)
	}
	for _, tc := range []struct{ longctx, msg string }{
		{`{"attention":"nonsense"}`, "unknown policy"},
		{`{"attention":"quest","centroids":"/tmp/x"}`, "unknown option longctx.centroids"},
		{`{"attention":"quest","block_score":"median"}`, "block-score"},
		{`{"attention":"quest","sinks":1.5}`, "longctx.sinks"},
		{`{"attention":"quest","sinks":true}`, "longctx.sinks"},
		{`{"attention":"quest","sinks":[1]}`, "number, a string or a boolean"},
	} {
		code, a := postJSON(t, url, "{"+prompt+`,"longctx":`+tc.longctx+"}")
		if code != 400 || a.Error == nil || a.Error.Param != "longctx.attention" || !strings.Contains(a.Error.Message, tc.msg) {
			t.Errorf("%s: HTTP %d %+v, want 400 containing %q", tc.longctx, code, a.Error, tc.msg)
		}
	}
}

// TestServeDrainsOnSIGTERM runs `longctx serve`, starts a stream, signals
// SIGTERM, and checks the stream still finishes and the command exits 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- Main([]string{"serve", "-m", fixture(t, "gguf/tiny-q8_0.gguf"), "--addr", "127.0.0.1:0", "--ctx", "1024"},
			strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var base string
	for base == "" && lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), "http://"); ok {
			base = "http://" + strings.Fields(rest)[0]
		}
	}
	if base == "" {
		t.Fatalf("serve exited early: %d", <-exit)
	}
	logs := make(chan string, 1)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		logs <- b.String()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/v1/completions",
		strings.NewReader(`{"prompt":"a story","max_tokens":300,"stream":true,"longctx":{"prefix_cache":false}}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "data: {") {
		t.Fatalf("first chunk %q %v", line, err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
		t.Errorf("the stream in flight did not finish: ...%q", rest[max(0, len(rest)-200):])
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("serve exited %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit after the drain")
	}
	if l := <-logs; !strings.Contains(l, "draining") {
		t.Errorf("no drain in the log: %q", l)
	}
}

// Under a policy that chooses per prefill chunk (TokenSelect), a request's
// answer does not depend on what else the server is decoding: its chunks
// end at fixed positions.
func TestServePolicyAnswerIndependentOfLoad(t *testing.T) {
	url := policyServer(t, server.Config{ModelName: "tiny", Ctx: 1024, StepTokens: 64, Parallel: 4})
	long := strings.Repeat("all work and no play makes jack a dull boy ", 30)
	body := fmt.Sprintf(`{"prompt":%q,"max_tokens":12,"temperature":0,"longctx":{"attention":"tokenselect","budget":64}}`, long)
	_, alone := postJSON(t, url, body)
	for range 3 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			postJSON(t, url, `{"prompt":"once upon a time","max_tokens":200,"temperature":0}`)
		}()
		time.Sleep(5 * time.Millisecond)
		_, busy := postJSON(t, url, body)
		<-done
		if len(alone.Choices) == 0 || len(busy.Choices) == 0 || busy.Choices[0].Text != alone.Choices[0].Text {
			t.Fatalf("alone %+v, beside another request %+v", alone, busy)
		}
	}
}
