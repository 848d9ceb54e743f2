package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

// TestTestmodelAndBench writes a tiny model with testmodelCmd and checks
// that benchCmd --json reports every requested test with sane figures.
func TestTestmodelAndBench(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	var stderr bytes.Buffer
	env := &Env{Args: []string{"--arch", "llama", "--shape", "tiny", "--type", "q4_k_m", "-o", path}, Stdout: &bytes.Buffer{}, Stderr: &stderr}
	if err := testmodelCmd(env); err != nil {
		t.Fatalf("testmodel: %v (%s)", err, stderr.String())
	}
	var out bytes.Buffer
	env = &Env{Args: []string{"-m", path, "-p", "16", "-n", "4", "-d", "0,32", "-r", "2", "-t", "2", "--json"}, Stdout: &out, Stderr: &stderr}
	if err := benchCmd(env); err != nil {
		t.Fatalf("bench: %v (%s)", err, stderr.String())
	}
	var rs []benchResult
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil {
		t.Fatalf("bench --json printed %q: %v", out.String(), err)
	}
	want := []string{"pp16", "tg4", "tg4@d32"}
	if len(rs) != len(want) {
		t.Fatalf("got %d results %+v, want %v", len(rs), rs, want)
	}
	for i, r := range rs {
		if r.Test != want[i] || r.TS <= 0 || r.BWGBs <= 0 || len(r.Samples) != 2 || r.Threads != 2 || r.Kernels != tensor.KernelSet() {
			t.Errorf("result %d: %+v, want test %s with positive t_s, bw_gbs, 2 samples, 2 threads, kernels %s", i, r, want[i], tensor.KernelSet())
		}
		if strings.HasPrefix(r.Test, "tg") && (r.Roofline <= 0 || r.BytesPerToken <= 0) {
			t.Errorf("%s: roofline %g, bytes/token %d", r.Test, r.Roofline, r.BytesPerToken)
		}
	}
	if rs[2].BytesPerToken <= rs[1].BytesPerToken {
		t.Errorf("bytes per token at depth 32 (%d) not above depth 0 (%d)", rs[2].BytesPerToken, rs[1].BytesPerToken)
	}
	// Under a sparse policy the roofline counts the KV bytes the policy
	// read, fewer than dense attention's at the same depth.
	var dense, quest []benchResult
	for _, c := range []struct {
		rs   *[]benchResult
		args []string
	}{{&dense, nil}, {&quest, []string{"--attention", "quest", "--budget", "64"}}} {
		out.Reset()
		args := append([]string{"-m", path, "-p", "0", "-n", "4", "-d", "512", "-r", "1", "--json"}, c.args...)
		if err := benchCmd(&Env{Args: args, Stdout: &out, Stderr: &stderr}); err != nil {
			t.Fatalf("bench %v: %v (%s)", c.args, err, stderr.String())
		}
		if err := json.Unmarshal(out.Bytes(), c.rs); err != nil || len(*c.rs) != 1 {
			t.Fatalf("bench %v printed %q (%v)", c.args, out.String(), err)
		}
	}
	if q, d := quest[0].BytesPerToken, dense[0].BytesPerToken; q >= d || q <= rs[1].BytesPerToken || quest[0].Attention != "quest/64" {
		t.Errorf("bytes per token at depth 512: quest %d (%q), dense %d, weights alone %d", q, quest[0].Attention, d, rs[1].BytesPerToken)
	}
	// The file's layout (no packing) runs the same tests.
	out.Reset()
	env = &Env{Args: []string{"-m", path, "-p", "16", "-n", "4", "-r", "1", "-t", "2", "--pack-weights=false", "--json"}, Stdout: &out, Stderr: &stderr}
	if err := benchCmd(env); err != nil {
		t.Fatalf("bench --pack-weights=false: %v (%s)", err, stderr.String())
	}
	if err := json.Unmarshal(out.Bytes(), &rs); err != nil || len(rs) != 2 || rs[1].TS <= 0 {
		t.Fatalf("bench --pack-weights=false printed %q (%v)", out.String(), err)
	}
	for _, args := range [][]string{{}, {"-m", path, "-d", "x"}, {"-m", path, "-r", "0"}} {
		if err := benchCmd(&Env{Args: args, Stdout: &out, Stderr: &stderr}); err == nil {
			t.Errorf("bench %v: no error", args)
		}
	}
}
