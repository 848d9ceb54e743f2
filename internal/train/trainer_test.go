package train

import (
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// copyData makes batches of "a1..ak SEP a1..ak" with the second half as
// targets; token 0 is SEP. Batch of step s depends only on (seed, s).
func copyData(seed uint64, batch, k, vocab int) DataFunc {
	return func(step int) ([]Example, error) {
		r := rand.New(rand.NewPCG(seed, uint64(step)))
		var ex []Example
		for range batch {
			toks := make([]int32, 2*k+1)
			tgt := make([]float32, 2*k+1)
			for i := 0; i < k; i++ {
				toks[i] = int32(1 + r.IntN(vocab-1))
				toks[k+1+i] = toks[i]
				tgt[k+1+i] = 1
			}
			ex = append(ex, Example{Tokens: toks, Weight: tgt})
		}
		return ex, nil
	}
}

var tinyCfg = Config{Vocab: 16, Embd: 32, Layers: 2, Heads: 4, KVHeads: 2, FFN: 64, Ctx: 64, RopeBase: 10000, RMSEps: 1e-5, Tied: true}

func runSteps(t *testing.T, tr *Trainer, n int) {
	t.Helper()
	for range n {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCopyTaskLossFalls(t *testing.T) {
	h := DefaultHyper(250)
	h.LR = 3e-3
	h.WeightDecay = 0
	tr, err := NewTrainer(tinyCfg, h, 1, copyData(1, 16, 8, tinyCfg.Vocab))
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, tr, h.Steps)
	first := mean(tr.Losses[:10])
	last := mean(tr.Losses[len(tr.Losses)-10:])
	t.Logf("copy task: loss %.3f -> %.3f (uniform guess %.3f)", first, last, 2.708)
	// ln(15) ≈ 2.71 is guessing; a model that copies gets close to 0.
	if first < 2.5 || last > 0.5 {
		t.Fatalf("loss did not fall: %.3f -> %.3f", first, last)
	}
}

func mean(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(len(x))
}

func TestSameSeedSameLossCurve(t *testing.T) {
	h := DefaultHyper(8)
	run := func(seed uint64) []float32 {
		tr, err := NewTrainer(tinyCfg, h, seed, copyData(seed, 4, 6, tinyCfg.Vocab))
		if err != nil {
			t.Fatal(err)
		}
		runSteps(t, tr, h.Steps)
		return tr.Losses
	}
	a, b, c := run(3), run(3), run(4)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different loss curves:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("different seeds gave the same loss curve %v", a)
	}
}

func TestResumeIsBitIdentical(t *testing.T) {
	h := DefaultHyper(10)
	data := copyData(9, 4, 6, tinyCfg.Vocab)
	full, err := NewTrainer(tinyCfg, h, 9, data)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, full, h.Steps)

	path := filepath.Join(t.TempDir(), "ckpt")
	part, err := NewTrainer(tinyCfg, h, 9, data)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, part, 4)
	if err := part.Save(path); err != nil {
		t.Fatal(err)
	}
	runSteps(t, part, 1) // work lost by the "crash"
	resumed, err := Load(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Step != 4 {
		t.Fatalf("resumed at step %d, want 4", resumed.Step)
	}
	runSteps(t, resumed, h.Steps-4)
	if !slices.Equal(full.Losses, resumed.Losses) {
		t.Fatalf("loss curves differ:\n%v\n%v", full.Losses, resumed.Losses)
	}
	for i, tn := range full.Model.Tensors {
		if !slices.Equal(tn.W, resumed.Model.Tensors[i].W) {
			t.Fatalf("%s differs after resume", tn.Name)
		}
	}
	matches, _ := filepath.Glob(path + ".tmp*")
	if len(matches) != 0 {
		t.Fatalf("temporary files left behind: %v", matches)
	}
}

func TestCheckpointRejectsDamage(t *testing.T) {
	tr, err := NewTrainer(tinyCfg, DefaultHyper(2), 1, copyData(1, 2, 4, 16))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXXXXXX"), good[8:]...),
		"truncated": good[:len(good)/2],
		"flipped":   flip(good, len(good)/2),
	} {
		if _, err := parseCheckpoint(b); err == nil {
			t.Errorf("%s: accepted a damaged checkpoint", name)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 1
	return c
}

func TestLRSchedule(t *testing.T) {
	one := Hyper{LR: 1, MinLRRatio: 0.1, Warmup: 10, Steps: 50}
	two := one
	two.Steps = 105
	two.Second = Phase{At: 50, LR: 0.5, Warmup: 5}
	three := two
	three.Steps = 160
	three.Third = Phase{At: 105, LR: 0.2, Warmup: 5}
	four := three
	four.Steps = 215
	four.Later = []Phase{{At: 160, LR: 0.1, Warmup: 5}}
	for _, c := range []struct {
		h    Hyper
		step int
		want float64
	}{
		{one, 0, 0.1}, {one, 9, 1}, {one, 10, 1}, {one, 30, 0.55}, {one, 50, 0.1}, {one, 99, 0.1},
		// The second phase leaves the first's steps as they were.
		{two, 0, 0.1}, {two, 30, 0.55}, {two, 49, 0.1 + 0.9*0.5*(1+math.Cos(math.Pi*39/40))},
		{two, 50, 0.1}, {two, 54, 0.5}, {two, 55, 0.5}, {two, 80, 0.275}, {two, 105, 0.05}, {two, 500, 0.05},
		// So does the third the second's.
		{three, 30, 0.55}, {three, 80, 0.275}, {three, 104, two.LRAt(104)},
		{three, 105, 0.04}, {three, 109, 0.2}, {three, 135, 0.11}, {three, 160, 0.02},
		// And a later phase the third's.
		{four, 135, 0.11}, {four, 159, three.LRAt(159)}, {four, 160, 0.02}, {four, 164, 0.1}, {four, 190, 0.055}, {four, 215, 0.01},
	} {
		if got := c.h.LRAt(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v %+v %+v step %d: lr %v, want %v", c.h.Second, c.h.Third, c.h.Later, c.step, got, c.want)
		}
	}
	for _, p := range []Phase{{At: 5, LR: 1}, {At: 50, LR: 1}, {At: 20, LR: 0}} {
		h := one
		h.Second = p
		if _, err := NewTrainer(Config{Vocab: 16, Embd: 8, Layers: 1, Heads: 1, KVHeads: 1, FFN: 8, Ctx: 8, RopeBase: 10000, RMSEps: 1e-5}, h, 1, nil); err == nil {
			t.Errorf("second phase %+v accepted", p)
		}
	}
}

// A checkpoint is user input (--resume, --from): whatever header a file
// with a valid checksum carries, and however many tensor bytes follow,
// parsing returns an error or a trainer, without panicking or allocating
// more than the file holds.
func FuzzParseCheckpoint(f *testing.F) {
	tr, err := NewTrainer(tinyCfg, DefaultHyper(2), 1, copyData(1, 2, 4, 16))
	if err != nil {
		f.Fatal(err)
	}
	hdr, err := json.Marshal(tr.State)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hdr, uint32(3*4*tinyCfg.Params()))
	f.Add([]byte(`{"config":{"vocab":1,"embd":1,"layers":1,"heads":1,"kv_heads":1,"ffn":1,"ctx":1},"step":0}`), uint32(0))
	f.Fuzz(func(t *testing.T, hdr []byte, tensorBytes uint32) {
		b := []byte(ckptMagic)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
		b = append(b, hdr...)
		b = append(b, make([]byte, tensorBytes%(1<<22))...)
		b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
		got, err := parseCheckpoint(b)
		if err == nil && got.Model == nil {
			t.Fatal("no error and no model")
		}
	})
}

// A run whose loss or gradient stops being finite ends with an error
// naming the step, before the update: the weights stay finite.
func TestDivergenceStops(t *testing.T) {
	h := DefaultHyper(50)
	h.LR, h.Clip, h.Warmup = 1e30, 0, 0
	tr, err := NewTrainer(tinyCfg, h, 1, copyData(1, 4, 6, tinyCfg.Vocab))
	if err != nil {
		t.Fatal(err)
	}
	var stepErr error
	for range h.Steps {
		if _, stepErr = tr.TrainStep(); stepErr != nil {
			break
		}
	}
	if stepErr == nil {
		t.Fatal("lr 1e30 trained 50 steps without an error")
	}
	t.Log(stepErr)
	for _, tn := range tr.Model.Tensors {
		for _, w := range tn.W {
			if math.IsNaN(float64(w)) {
				t.Fatalf("a NaN weight reached the model (%v)", stepErr)
			}
		}
	}
}
