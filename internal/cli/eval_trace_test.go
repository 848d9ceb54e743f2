package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/trace"
)

// eval --suite trace on the embedded model beside another suite: the
// summary holds p@1 and r@5 per method, kind and length, run.json the rows
// with seconds per trace, report.html their table; a rerun comes from the
// store and prints the trace table.
func TestEvalTraceSuite(t *testing.T) {
	out := t.TempDir()
	args := []string{"eval", "--suite", "niah,trace", "--depths", "50", "--tasks", "trace:needle,inject", "--trace-methods", "attntrace,stc",
		"--lengths", "512", "--samples", "1", "--out", out}
	code, stdout, stderr := runMain(t, "", append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]map[string]map[string]float64
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	var cells []string
	for task, ls := range sum["trace"] {
		for l, v := range ls {
			if v < 0 || v > 1 {
				t.Errorf("trace/%s/%s = %v outside 0..1", task, l, v)
			}
			cells = append(cells, task+"/"+l)
		}
	}
	sort.Strings(cells)
	want := "attntrace/inject/p@1/512 attntrace/inject/r@5/512 attntrace/needle/p@1/512 attntrace/needle/r@5/512 " +
		"stc/inject/p@1/512 stc/inject/r@5/512 stc/needle/p@1/512 stc/needle/r@5/512"
	if strings.Join(cells, " ") != want || len(sum["niah"]) != 1 {
		t.Fatalf("summary: trace cells %s (want %s), niah %v", strings.Join(cells, " "), want, sum["niah"])
	}
	if !strings.Contains(stderr, "eval: trace [4/4] stc inject 512 #0: top [") || !strings.Contains(stderr, "5 requests sent, 0 answered") {
		t.Errorf("stderr: %s", stderr)
	}
	var meta struct {
		Requested int
		Options   map[string]string
		Trace     []trace.BenchRow
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil || json.Unmarshal(b, &meta) != nil {
		t.Fatalf("run.json: %v %s", err, b)
	}
	if len(meta.Trace) != 4 || meta.Requested != 5 || !strings.HasPrefix(meta.Options["trace"], "methods attntrace,stc, words:100 segments, recall@5") {
		t.Fatalf("run.json: %s", b)
	}
	for _, r := range meta.Trace {
		if r.Cases != 1 || r.SecondsPerTrace <= 0 || r.PassesPerTrace < 1 || r.Length != 512 {
			t.Errorf("row %+v", r)
		}
	}
	html := readReport(t, out)
	for _, s := range []string{`data-suite="trace"`, `id="trace-rows"`, "s/trace", `id="heatmap-niah"`} {
		if !strings.Contains(html, s) {
			t.Errorf("report.html lacks %q", s)
		}
	}

	code, stdout, stderr = runMain(t, "", args...)
	if code != 0 || !strings.Contains(stderr, "0 requests sent, 5 answered from the store") || !strings.Contains(stderr, "(stored)") ||
		!strings.Contains(stdout, "niah\ntask") || !strings.Contains(stdout, "trace\nmethod") || !strings.Contains(stdout, "R@5") {
		t.Errorf("rerun: exit %d\n%s\n%s", code, stderr, stdout)
	}
}

// Against a server only TracLLM's log-probability methods run (here
// against longctx's own server); the rest is refused before any work.
func TestEvalTraceSuiteTarget(t *testing.T) {
	hs := defaultServer(t)
	out := t.TempDir()
	code, stdout, stderr := runMain(t, "", "eval", "--target", hs.URL, "--model", "longctx", "--suite", "trace", "--tasks", "needle",
		"--trace-methods", "stc", "--lengths", "256", "--samples", "1", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]map[string]map[string]float64
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || len(sum) != 1 || len(sum["trace"]) != 2 {
		t.Fatalf("summary %s: %v", stdout, err)
	}
	if _, ok := sum["trace"]["stc/needle/p@1"]["256"]; !ok || !strings.Contains(stderr, "the server's /tokenize") {
		t.Fatalf("summary %s\n%s", stdout, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--target", hs.URL, "--model", "longctx", "--suite", "trace"}, "attntrace needs the built-in model's attention"},
		{[]string{"eval", "--suite", "trace", "--trace-methods", "stc,nope"}, `unknown method "nope"`},
		{[]string{"eval", "--suite", "trace", "--attention", "snapkv"}, "dense"},
		{[]string{"eval", "--suite", "trace", "--kv-type", "q8_0"}, "f32 or f16"},
		{[]string{"eval", "--suite", "trace", "--tasks", "trace:haystack"}, `"trace:haystack" is not a task`},
	} {
		code, _, stderr := runMain(t, "", append(c.args, "--out", t.TempDir())...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %s", c.args, code, stderr)
		}
	}
}
