package train

import (
	"path/filepath"
	"slices"
	"testing"
)

// A grown model computes exactly what it did before: same loss and the
// same gradient for every old weight, wherever the block goes.
func TestGrowthKeepsFunction(t *testing.T) {
	data := copyData(5, 4, 6, tinyCfg.Vocab)
	tr, err := NewTrainer(tinyCfg, DefaultHyper(20), 5, data)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, tr, 5)
	ex, _ := data(5)
	tr.Model.ZeroGrad()
	want, _, err := tr.Model.Backward(ex)
	if err != nil {
		t.Fatal(err)
	}
	for insert := 0; insert <= tinyCfg.Layers; insert++ {
		g, _, err := growModel(tr.Model, tr.opt, Growth{At: 5, Insert: insert}, 5)
		if err != nil {
			t.Fatal(err)
		}
		if g.Cfg.Layers != tinyCfg.Layers+1 || len(g.Tensors) != len(tr.Model.Tensors)+9 {
			t.Fatalf("insert %d: %d layers, %d tensors", insert, g.Cfg.Layers, len(g.Tensors))
		}
		g.ZeroGrad()
		got, _, err := g.Backward(ex)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("insert %d: loss %v, before growth %v", insert, got, want)
		}
		for l, b := range tr.Model.Blocks {
			nl := l
			if l >= insert {
				nl++
			}
			if !slices.Equal(b.Q.G, g.Blocks[nl].Q.G) || !slices.Equal(b.Dn.W, g.Blocks[nl].Dn.W) {
				t.Errorf("insert %d: block %d moved to %d changed", insert, l, nl)
			}
		}
		if !slices.Equal(tr.Model.Embd.G, g.Embd.G) {
			t.Errorf("insert %d: embedding gradient changed", insert)
		}
	}
	if _, _, err := growModel(tr.Model, tr.opt, Growth{At: 5, Insert: 3}, 5); err == nil {
		t.Error("inserting past the last block accepted")
	}
}

// A run that grows mid-way (twice) resumes bit-identically from a
// checkpoint taken before a growth and from one taken after it, and keeps
// learning.
func TestGrowthResume(t *testing.T) {
	h := DefaultHyper(12)
	gs := []Growth{{At: 5, Insert: 1}, {At: 9, Insert: 2}}
	data := copyData(7, 4, 6, tinyCfg.Vocab)
	start := func() *Trainer {
		tr, err := NewTrainer(tinyCfg, h, 7, data)
		if err != nil {
			t.Fatal(err)
		}
		tr.Grows = gs
		return tr
	}
	full := start()
	runSteps(t, full, h.Steps)
	if full.Cfg.Layers != 4 || full.Model.Cfg.Layers != 4 {
		t.Fatalf("after growth: %d layers", full.Cfg.Layers)
	}
	for _, at := range []int{5, 8, 9, 10} {
		part := start()
		runSteps(t, part, at)
		path := filepath.Join(t.TempDir(), "ckpt")
		if err := part.Save(path); err != nil {
			t.Fatal(err)
		}
		resumed, err := Load(path, data)
		if err != nil {
			t.Fatal(err)
		}
		resumed.Grows = gs
		runSteps(t, resumed, h.Steps-at)
		if !slices.Equal(full.Losses, resumed.Losses) {
			t.Fatalf("resumed at %d: loss curves differ:\n%v\n%v", at, full.Losses, resumed.Losses)
		}
	}
}
