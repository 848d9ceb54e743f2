package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestPlanCommand checks the plan of the tiny fixture with given rates
// against hand-worked figures: 4 layers × 4 KV heads × 32 wide, f16 keys
// and values: 2·4·4·32·2 = 2048 B per token, 16 MiB per 8192-token
// sequence; 3.71 MiB of weights; activations of 256-token steps
// 2·4·256·(2·256+2·256+2·128+2·768+32+1000) = 7.52 MiB; 64 MiB leave
// 52.78 MiB of KV, 3 sequences.
func TestPlanCommand(t *testing.T) {
	m := fixture(t, "gguf/tiny-q8_0.gguf")
	code, out, stderr := runMain(t, "", "plan", "-m", m, "--ctx", "8192", "--ram", "64MiB", "--bw", "10", "--flops", "50")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"2048 B per token",
		"weights 3.71 MiB + activations 7.52 MiB + KV budget 52.78 MiB",
		"3 concurrent sequences of 8192 tokens (16.00 MiB of KV each)",
		"longctx serve --ctx 8192 --parallel 3 --kv-ram 55341824 --kv-type f16",
		"10.0 GB/s (given), 50.0 GFLOP/s (given)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}

	// Memory for more sequences than a step has tokens: the suggested
	// serve command stays one serve accepts.
	code, out, stderr = runMain(t, "", "plan", "-m", m, "--ctx", "256", "--ram", "1GiB", "--bw", "10", "--flops", "50", "--step-tokens", "64")
	if code != 0 || !strings.Contains(out, "--parallel 63 ") || !strings.Contains(out, "--step-tokens 64") {
		t.Errorf("exit %d: %s%s", code, out, stderr)
	}

	code, out, stderr = runMain(t, "", "plan", "-m", m, "--ctx", "8192", "--ram", "64MiB", "--bw", "10", "--flops", "50", "--kv-type", "q8_0", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		KVPerToken int64 `json:"kv_bytes_per_token"`
		MaxSeqs    int   `json:"MaxSeqs"`
		Rows       []struct {
			Ctx        int     `json:"ctx"`
			MaxSeqs    int     `json:"max_seqs"`
			DecodeTokS float64 `json:"decode_tok_s"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// q8_0: 34 bytes per 32 values: 2·4·4·34 = 1088 B per token; 8192
	// tokens take 8.5 MiB, and 52.78 MiB hold 6 of them.
	if rep.KVPerToken != 1088 || rep.MaxSeqs != 6 || len(rep.Rows) != 2 || rep.Rows[0].Ctx != 4096 || rep.Rows[1].MaxSeqs != 6 {
		t.Errorf("q8_0 plan: %+v", rep)
	}
	// Decode at depth 4096 is memory-bound: the step reads the layer and
	// output matrices (3,401,728 weights, 3,614,336 B of Q8_0) and 4096·1088 B of KV at 10 GB/s.
	if want := 10e9 / (3614336 + 4096*1088); math.Abs(rep.Rows[0].DecodeTokS-want) > 1e-9*want {
		t.Errorf("decode at 4096: %g tok/s, want %g", rep.Rows[0].DecodeTokS, want)
	}

	for _, args := range [][]string{
		{"plan", "-m", m, "--ram", "lots"},
		{"plan", "-m", m, "--ram", "1GiB", "--kv-type", "q5_k"},
		{"plan", "-m", m, "--ram", "1GiB", "--ctx", "-5"},
		{"plan", "-m", m, "--ram", "1GiB", "--kv-block", "100"},
		{"plan", "-m", m, "--ram", "1GiB", "--bw", "NaN"},
		{"plan", "-m", m, "--ram", "1GiB", "--flops", "+Inf"},
	} {
		if code, _, stderr := runMain(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, code, stderr)
		}
	}
}
