package cli

import (
	"encoding/json"
	"encoding/xml"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

const evalData = "../eval/dataset/testdata/"

// Every suite runs end to end on the built-in engine and the tiny fixture
// (its answers are noise; the test checks the pipeline and the report):
// lengths fitted with the model's tokenizer, raw prompts for a model
// without a chat template, the JSON summary, run.json, a well-formed HTML
// report and a decodable heatmap; a rerun comes from the store; compare
// and report work on the result.
func TestEvalAllSuitesBuiltin(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	out := t.TempDir()
	args := []string{"eval", "-m", m, "--suite", "niah,ruler,needlebench,threading,longbio,longbench,longbench2,leval,loogle",
		"--tasks", "ruler:niah_single_1,single_retrieval,threading:single_needle,longbio:standard,hotpotqa,longbench2:single_document_qa,coursera,loogle:shortdep_cloze",
		"--depths", "0,100", "--lengths", "1536", "--samples", "1", "--out", out, "--json",
		"--longbench", evalData + "longbench", "--longbench2", evalData + "longbench2.json",
		"--leval", evalData + "leval", "--loogle", evalData + "loogle"}
	code, stdout, stderr := runMain(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]map[string]map[string]float64
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	var cells []string
	for suite, tasks := range sum {
		for task, ls := range tasks {
			for l, v := range ls {
				if v < 0 || v > 1 {
					t.Errorf("%s/%s/%s = %v outside 0..1", suite, task, l, v)
				}
				cells = append(cells, suite+"/"+task+"/"+l)
			}
		}
	}
	sort.Strings(cells)
	want := "leval/coursera/1536 longbench/hotpotqa/1536 longbench2/single_document_qa/1536 longbio/standard/1536 loogle/shortdep_cloze/1536 " +
		"needlebench/single_retrieval/1536 niah/depth=0/1536 niah/depth=100/1536 ruler/niah_single_1/1536 threading/single_needle/1536"
	if strings.Join(cells, " ") != want {
		t.Errorf("summary cells\n%s\nwant\n%s", strings.Join(cells, " "), want)
	}
	// stderr is not a terminal here: no progress bar redrawn with \r.
	if !strings.Contains(stderr, "lengths fitted with the model's own tokenizer") || !strings.Contains(stderr, "leval: sci_fi skipped") || strings.Contains(stderr, "\r") {
		t.Errorf("stderr: %s", stderr)
	}
	var meta struct {
		Target, Mode, Template, Tokenizer string
		Estimated                         bool
		Options                           map[string]string
		Requested                         int
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil || json.Unmarshal(b, &meta) != nil {
		t.Fatalf("run.json: %v %s", err, b)
	}
	if meta.Mode != "completion" || !strings.HasPrefix(meta.Template, "none: raw prompts") || meta.Tokenizer != "the model's own tokenizer" ||
		meta.Estimated || meta.Options["kv"] != "f16" || meta.Target != "builtin:tiny-q8_0.gguf model="+meta.Options["model"]+",kv=f16" || len(meta.Options["model"]) != 8 || meta.Requested != 10 {
		t.Errorf("run.json: %+v", meta)
	}
	html := readReport(t, out)
	for _, s := range []string{`id="heatmap-niah"`, `data-suite="leval"`, "data:image/png;base64,", "Effective length"} {
		if !strings.Contains(html, s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	f, err := os.Open(filepath.Join(out, "niah_heatmap.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() < 48 {
		t.Errorf("niah_heatmap.png: %v", err)
	}

	// A rerun is answered from the store; without --json it prints the table.
	var rerun []string
	for _, a := range args {
		if a != "--json" {
			rerun = append(rerun, a)
		}
	}
	code, stdout, stderr = runMain(t, "", rerun...)
	if code != 0 || !strings.Contains(stderr, "0 requests sent, 10 answered from the store") || !strings.Contains(stdout, "threading\ntask") || !strings.Contains(stdout, "average") {
		t.Errorf("rerun: exit %d\n%s\n%s", code, stderr, stdout)
	}

	code, stdout, stderr = runMain(t, "", "eval", "compare", out, filepath.Join(out, "summary.json"))
	if code != 0 || !strings.Contains(stdout, "niah_single_1") || !strings.Contains(stdout, "+0.0") {
		t.Errorf("compare: exit %d\n%s\n%s", code, stdout, stderr)
	}
	os.Remove(filepath.Join(out, "report.html"))
	if code, _, stderr = runMain(t, "", "eval", "report", out); code != 0 {
		t.Errorf("report: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}

	// Regrouping LongBench v2 by difficulty asks nothing new: the requests are the same.
	code, stdout, stderr = runMain(t, "", "eval", "-m", m, "--suite", "longbench2", "--longbench2", evalData+"longbench2.json",
		"--longbench2-by", "difficulty", "--tasks", "easy", "--lengths", "1536", "--samples", "1", "--out", out, "--json")
	if code != 0 || !strings.Contains(stderr, "0 requests sent, 1 answered from the store") || !strings.Contains(stdout, `{"longbench2":{"easy":{"1536":`) {
		t.Errorf("regrouped rerun: exit %d\n%s\n%s", code, stderr, stdout)
	}
}

func TestEvalUsageErrors(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "-m", m, "--suite", "nope"}, "unknown suite"},
		{[]string{"eval", "-m", m, "--suite", "ruler", "--tasks", "cwe,nope"}, `"nope" is not a task`},
		{[]string{"eval", "-m", m, "--suite", "longbench"}, "needs --longbench PATH"},
		{[]string{"eval", "-m", m, "--lengths", "4q"}, "bad length"},
		{[]string{"eval", "-m", m, "--tokenizer", "estimate", "--bytes-per-token", "NaN"}, "--bytes-per-token"},
		{[]string{"eval", "-m", m, "--haystack", os.DevNull}, "--haystack"},
		{[]string{"eval", "-m", m, "--tokenizer", "estimate", "--bytes-per-token", "Inf"}, "--bytes-per-token"},
		{[]string{"eval", "-m", m, "--depths", "101"}, "not a percentage"},
		{[]string{"eval", "-m", m, "--niah-needle", "sandwich"}, "--niah-needle"},
		{[]string{"eval", "--target", "http://localhost:1"}, "needs --model NAME"},
		{[]string{"eval", "-m", m, "--attention", "nope"}, "attention"},
		{[]string{"eval", "compare", "only-one"}, "needs two runs"},
		{[]string{"eval", "report"}, "needs one run directory"},
		{[]string{"eval", "report", evalData + "longbench2.json"}, "needs a run directory"},
	} {
		code, _, stderr := runMain(t, "", c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %s", c.args, code, stderr)
		}
	}
	if code, _, stderr := runMain(t, "", "eval", "compare", "missing-a", "missing-b"); code != 1 || !strings.Contains(stderr, "missing-a") {
		t.Errorf("compare of missing runs: exit %d %s", code, stderr)
	}
}

// readReport returns out/report.html, failing t unless it is well-formed.
func readReport(t *testing.T, out string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.NewDecoder(strings.NewReader(string(b))).Decode(new(struct{})); err != nil {
		t.Errorf("report.html is not well-formed: %v", err)
	}
	return string(b)
}

// Every setting that changes answers keys the results store (an attention
// policy's block size or block score, a RoPE override): a rerun with
// another is answered afresh, the same settings again from the store.
func TestEvalStoreKeyedBySettings(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	out := t.TempDir()
	run := func(extra ...string) string {
		t.Helper()
		args := append([]string{"eval", "-m", m, "--suite", "ruler", "--tasks", "niah_single_1", "--lengths", "1024",
			"--samples", "1", "--out", out, "--attention", "quest", "--budget", "256"}, extra...)
		code, _, stderr := runMain(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return stderr
	}
	for i, c := range []struct {
		args   []string
		stored string
	}{
		{nil, "0 answered from the store"},
		{[]string{"--block-size", "32"}, "0 answered from the store"},
		{[]string{"--block-score", "mean"}, "0 answered from the store"},
		{[]string{"--rope-scaling", "linear", "--rope-factor", "2"}, "0 answered from the store"},
		{[]string{"--block-size", "32"}, "1 answered from the store"},
		{[]string{"--rope-scaling", "linear", "--rope-factor", "2"}, "1 answered from the store"},
	} {
		if got := run(c.args...); !strings.Contains(got, c.stored) {
			t.Errorf("run %d %v: want %q in\n%s", i, c.args, c.stored, got)
		}
	}
}

// --retries 0 asks once.
func TestEvalRetriesZero(t *testing.T) {
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/completions") {
			calls.Add(1)
		}
		http.Error(w, `{"error":{"message":"down"}}`, http.StatusInternalServerError)
	}))
	defer hs.Close()
	code, _, stderr := runMain(t, "", "eval", "--target", hs.URL, "--model", "x", "--tokenizer", "estimate", "--suite", "niah",
		"--depths", "50", "--samples", "1", "--lengths", "1k", "--retries", "0", "--out", t.TempDir())
	if code == 0 || calls.Load() != 1 {
		t.Errorf("exit %d after %d requests (want a failure after 1): %s", code, calls.Load(), stderr)
	}
}
