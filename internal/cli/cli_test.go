package cli

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtures = "../../../shared/fixtures"

func fixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(fixtures, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing (the shared/ folder must sit beside the repository): %v", p, err)
	}
	return p
}

// runMain runs a command line and returns its exit status and outputs.
func runMain(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestLogitsCommandMatchesLlamaCpp(t *testing.T) {
	m := fixture(t, "gguf/tiny-f32.gguf")
	ids := make([]string, 32)
	for i := range ids {
		ids[i] = string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10))
	}
	code, out, stderr := runMain(t, "", "logits", "-m", m, "--tokens", strings.Join(ids, ","), "--all")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		NVocab int         `json:"n_vocab"`
		Logits [][]float64 `json:"logits"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not the promised JSON: %v", err)
	}
	raw, err := os.ReadFile(fixture(t, "golden/tiny-f32.seqA.batch.kvf32.logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	if got.NVocab != 1000 || len(got.Logits) != 32 {
		t.Fatalf("n_vocab %d, %d rows", got.NVocab, len(got.Logits))
	}
	worst := 0.0
	for p, row := range got.Logits {
		for i, x := range row {
			want := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(p*1000+i):]))
			worst = math.Max(worst, math.Abs(x-float64(want)))
		}
	}
	if worst > 1e-4 {
		t.Errorf("max |diff| from llama.cpp %.3g", worst)
	}
	// Without --all only the last row.
	_, out, _ = runMain(t, "", "logits", "-m", m, "--tokens", "1,2,3")
	json.Unmarshal([]byte(out), &got)
	if len(got.Logits) != 1 || len(got.Logits[0]) != 1000 {
		t.Errorf("without --all: %d rows", len(got.Logits))
	}
}

func TestTokenizeCommand(t *testing.T) {
	vocab := fixture(t, "tokenizer/ggml-vocab-llama3.gguf")
	cases := []struct {
		args  []string
		stdin string
		want  string
	}{
		{nil, "Hello world", "[128000,9906,1917]"},
		{[]string{"--add-special=false"}, "Hello world", "[9906,1917]"},
		{[]string{"--add-special=false"}, "<|eot_id|>", "[27,91,68,354,851,91,29]"},
		{[]string{"--add-special=false", "--parse-special"}, "<|eot_id|>", "[128009]"},
		{nil, "", "[128000]"},
	}
	for _, c := range cases {
		args := append([]string{"tokenize", "-m", vocab}, c.args...)
		code, out, stderr := runMain(t, c.stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if strings.TrimSpace(out) != c.want {
			t.Errorf("%v on %q: %s, want %s", c.args, c.stdin, strings.TrimSpace(out), c.want)
		}
	}
	// -f reads a file.
	p := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(p, []byte("Hello world"), 0o644)
	if _, out, _ := runMain(t, "", "tokenize", "-m", vocab, "-f", p); strings.TrimSpace(out) != "[128000,9906,1917]" {
		t.Errorf("-f: %s", out)
	}
}

func TestRunCommand(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	code, out, stderr := runMain(t, "", "run", "-m", m, "-p", "hello world", "-n", "8", "--temp", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out == "" {
		t.Error("no text generated")
	}
	for _, want := range []string{"prompt tokens", "prefill", "decode", "tok/s", "KV", "peak RSS"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary %q lacks %q", stderr, want)
		}
	}
	// Greedy decoding is deterministic.
	_, out2, _ := runMain(t, "", "run", "-m", m, "-p", "hello world", "-n", "8", "--temp", "0")
	if out != out2 {
		t.Errorf("greedy runs differ: %q vs %q", out, out2)
	}
	// Seeded sampling is reproducible.
	_, s1, _ := runMain(t, "", "run", "-m", m, "-p", "hello", "-n", "8", "--seed", "7", "--temp", "1.5")
	_, s2, _ := runMain(t, "", "run", "-m", m, "-p", "hello", "-n", "8", "--seed", "7", "--temp", "1.5")
	if s1 != s2 {
		t.Errorf("seeded runs differ: %q vs %q", s1, s2)
	}
	// A small sink+window budget with the default --ubatch: the chunks are
	// cut to its window instead of failing.
	long := strings.Repeat("the quick brown fox jumps over the lazy dog ", 40)
	if code, _, stderr := runMain(t, "", "run", "-m", m, "-p", long, "-n", "4", "--attention", "sink+window", "--budget", "64"); code != 0 {
		t.Errorf("sink+window budget 64: exit %d: %s", code, stderr)
	}
}

func TestBadInput(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.gguf")
	b, _ := os.ReadFile(m)
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	notgguf := filepath.Join(dir, "x.gguf")
	os.WriteFile(notgguf, []byte("hello, not a model"), 0o644)
	long := strings.Repeat("word ", 3000)
	doc := filepath.Join(dir, "doc.txt")
	os.WriteFile(doc, []byte("The pass key is 1234."), 0o644)
	longDoc := filepath.Join(dir, "long.txt")
	os.WriteFile(longDoc, []byte(strings.Repeat("word ", 40000)), 0o644)
	cases := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"frobnicate"}, 2, "unknown command"},
		{"", []string{"run", "-m", m}, 2, "empty prompt"},
		{"", []string{"run", "-p", "x", "--rope-factor", "2"}, 2, "--rope-factor needs --rope-scaling"},
		{"", []string{"run", "-p", "x", "--rope-scaling", "yarn", "--rope-factor", "0.5"}, 2, "needs a factor"},
		{"", []string{"ask", "-f", "/nonexistent/doc.txt", "q"}, 1, "no such file"},
		{"", []string{"ask", "-f", doc}, 2, "question"},
		{"", []string{"ask", "-f", longDoc, "what?"}, 1, "tokens"},
		{"", []string{"run", "-m", m, "-p", "x", "-n", "-3"}, 2, "must not be negative"},
		{"", []string{"run", "-m", m, "-p", "x", "--temp", "-1"}, 2, "temperature"},
		{"", []string{"run", "-m", m, "-p", "x", "--stop", ""}, 2, "--stop"},
		{"", []string{"train", "--recipe", "no-such-recipe", "--out", filepath.Join(dir, "tr")}, 2, "no-such-recipe"},
		{"", []string{"bench", "-m", m, "-p", "0", "-n", "0"}, 2, "nothing to measure"},
		{"", []string{"testmodel", "--type", "q5_9", "-o", filepath.Join(dir, "tm.gguf")}, 2, "q5_9"},
		{"", []string{"run", "-m", m, "-p", "x", "--kv-type", "q3"}, 2, "-kv-type"},
		{"", []string{"run", "-m", m, "-p", "x", "--kv-block", "1073741824"}, 2, "--kv-block"},
		{"", []string{"run", "-m", m, "-p", "x", "--system", "be brief"}, 2, "--system needs --chat"},
		{"", []string{"run", "-m", m, "-p", "x", "--attention", "sink+window", "--kv-save", filepath.Join(dir, "p.kv")}, 2, "dense attention only"},
		{"", []string{"run", "-m", m, "-p", long, "--ctx", "64"}, 1, "but the context is 64"},
		{"", []string{"run", "-m", trunc, "-p", "x"}, 1, "past the end"},
		{"", []string{"run", "-m", notgguf, "-p", "x"}, 1, "not a GGUF file"},
		{"", []string{"run", "-m", filepath.Join(dir, "missing.gguf"), "-p", "x"}, 1, "no such file"},
		{"", []string{"logits", "-m", m, "--tokens", "1,x"}, 2, `bad token id "x"`},
		{"", []string{"logits", "-m", m, "--tokens", "1,5000"}, 1, "outside the vocabulary"},
		{"", []string{"logits", "-m", m}, 2, "--tokens is empty"},
		{"", []string{"tokenize", "-m", m, "--add-special=maybe"}, 2, "--add-special"},
		{"\xff\xfe bad utf-8", []string{"tokenize", "-m", m}, 0, ""},
		{"", []string{"info", "-m", notgguf}, 1, "not a GGUF file"},
		{"", []string{"info", "-m", m, "--ctx", "-5"}, 2, "--ctx -5"},
	}
	for _, c := range cases {
		code, stdout, stderr := runMain(t, c.stdin, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
		// A failed run or ask writes nothing to standard output.
		if code != 0 && (c.args[0] == "run" || c.args[0] == "ask") && stdout != "" {
			t.Errorf("%v: failed but wrote %q to stdout", c.args, stdout)
		}
	}
}

func TestInfoCommand(t *testing.T) {
	code, out, stderr := runMain(t, "", "info", "-m", fixture(t, "gguf/tiny-q4_k_m.gguf"), "--ctx", "1024")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"general.architecture", `"llama"`, "blk.3.ffn_down.weight", "Q6_K", "4 layers", "KV cache for 1024 tokens (F16) 2.00 MiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q", want)
		}
	}
	code, out, _ = runMain(t, "", "info", "-m", fixture(t, "tokenizer/ggml-vocab-gpt-2.gguf"))
	if code != 0 || !strings.Contains(out, "no tensors") {
		t.Errorf("vocab-only info: exit %d\n%s", code, out)
	}
}

// The built-in engine target runs the whole eval pipeline: generation
// fitted with the model's tokenizer, the store, and the JSON summary.
func TestEvalBuiltin(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	out := t.TempDir()
	args := []string{"eval", "-m", m, "--suite", "niah", "--lengths", "600", "--samples", "1", "--depths", "50", "--out", out, "--json"}
	code, stdout, stderr := runMain(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum map[string]map[string]map[string]float64
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	if _, ok := sum["niah"]["depth=50"]; !ok {
		t.Errorf("summary lacks niah depth=50: %v", sum)
	}
	if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
		t.Error(err)
	}
	// A rerun is answered from the store.
	code, _, stderr = runMain(t, "", args...)
	if code != 0 || !strings.Contains(stderr, "0 requests sent, 1 answered from the store") {
		t.Errorf("rerun: exit %d, %s", code, stderr)
	}
	// The pass-key needle is another request: nothing comes from the store.
	code, _, stderr = runMain(t, "", append(args, "--niah-needle", "passkey", "--niah-haystack", "noise")...)
	if code != 0 || !strings.Contains(stderr, "1 requests sent, 0 answered from the store") {
		t.Errorf("pass-key needle: exit %d, %s", code, stderr)
	}
}

// A smoke recipe trains, checkpoints, resumes and exports a model that the
// engine can run.
func TestTrainResumeAndRun(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runMain(t, "", "train", "--recipe", "smoke", "--out", out, "--steps", "6", "--until", "3")
	if code != 0 {
		t.Fatalf("train to step 3: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "checkpoint.bin")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runMain(t, "", "train", "--resume", "--out", out, "--probe", "2", "--probe-examples", "1", "--probe-tokens", "128")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	// Probes at steps 4 and 6, one row per task each.
	csv, err := os.ReadFile(filepath.Join(out, "probe.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(strings.TrimSpace(string(csv)), "\n"); rows[0] != "step,task,correct,total" || len(rows) != 1+2*3 || !strings.HasPrefix(rows[len(rows)-1], "6,") {
		t.Errorf("probe.csv:\n%s", csv)
	}
	if !strings.Contains(stderr, "probe at step 6: ") {
		t.Errorf("no probe line in %s", stderr)
	}
	code, stdout, stderr := runMain(t, "", "train", "--check", "--out", out, "--probe-examples", "1", "--probe-tokens", "128")
	if code != 0 || !strings.HasPrefix(stdout, "step 6: ") || !strings.Contains(stdout, "passkey 0/1") && !strings.Contains(stdout, "passkey 1/1") {
		t.Errorf("--check: exit %d: %s%s", code, stdout, stderr)
	}
	for _, f := range []string{"model.gguf", "loss.csv", "loss.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("after training: %v", err)
		}
	}
	code, _, stderr = runMain(t, "", "run", "-m", filepath.Join(out, "model.gguf"), "-p", "Question: what is the passkey?", "-n", "4", "--temp", "0")
	if code != 0 {
		t.Fatalf("run on the trained model: exit %d: %s", code, stderr)
	}
}

func TestServeRefusesOpenBindWithoutKey(t *testing.T) {
	t.Setenv("LONGCTX_API_KEY", "")
	code, _, stderr := runMain(t, "", "serve", "-m", fixture(t, "gguf/tiny-q8_0.gguf"), "--addr", "0.0.0.0:0")
	if code != 2 || !strings.Contains(stderr, "beyond loopback") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
