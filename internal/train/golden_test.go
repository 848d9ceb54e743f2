package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/arithmetic.json for this build's kernels")

// arithmeticKey names what a run's bits depend on: the architecture, the
// GOAMD64 level (the compiler fuses multiply-adds at v3) and whether the
// assembly kernels run.
func arithmeticKey() string {
	key := runtime.GOARCH
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOAMD64" {
				key += "-" + s.Value
			}
		}
	}
	return key + "-" + gemmKernel
}

// TestArithmeticUnchanged trains the default recipe's shape for three
// steps of its own data — 2048-token batches of long sequences, a block
// inserted before the second step, YaRN — and compares a hash of the
// weights with the one recorded for this build's kernels. The shipped
// model is reproducible from its recipe only while the trainer computes
// the same bits; a change that moves them must say so (-update) and
// retrain models/longctx-default.gguf.
func TestArithmeticUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three 2048-token steps")
	}
	r := Recipes["default"]
	_, tok := recipeTokenizer(t, r)
	data := r.Data(tok)
	const from = 7499 // the step before the recipe's growth, at 512-2048 tokens
	tr, err := NewTrainer(r.ConfigAt(from), r.Hyper, r.Seed, func(step int) ([]Example, error) { return data(from + step) })
	if err != nil {
		t.Fatal(err)
	}
	tr.Scaling = func(step int) (string, float32) { return r.ScalingAt(from + step) }
	tr.Grows = []Growth{{At: 1, Insert: 1}}
	runSteps(t, tr, 3)
	h := sha256.New()
	for _, tn := range tr.Model.Tensors {
		for _, x := range tn.W {
			binary.Write(h, binary.LittleEndian, math.Float32bits(x))
		}
	}
	got := hex.EncodeToString(h.Sum(nil))

	const path = "testdata/arithmetic.json"
	golden := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &golden); err != nil {
			t.Fatal(err)
		}
	}
	key := arithmeticKey()
	if *update {
		golden[key] = got
		b, _ := json.MarshalIndent(golden, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, ok := golden[key]
	if !ok {
		t.Skipf("no recorded weights hash for %s (recorded: %v); -update records this build's", key, golden)
	}
	if got != want {
		t.Fatalf("%s: the trainer's arithmetic changed (weights hash %s, recorded %s): the default recipe no longer reproduces the shipped model byte for byte", key, got, want)
	}
}
