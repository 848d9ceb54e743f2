package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/train"
)

// --from accepts a checkpoint whose steps the recipe repeats exactly and
// refuses one trained at other learning rates or another shape.
func TestStartFrom(t *testing.T) {
	base := train.Recipes["smoke"]
	tr, err := train.NewTrainer(base.Config(), base.Hyper, base.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.Step, tr.Losses = 20, make([]float32, 20) // as if 20 steps had run
	path := filepath.Join(t.TempDir(), "checkpoint.bin")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}

	extended := base
	extended.Hyper.Steps = 50
	extended.Hyper.Second = train.Phase{At: base.Hyper.Steps, LR: 1e-3, Warmup: 2}
	extended.Grow = train.Growth{At: base.Hyper.Steps, Insert: 1}
	got, err := startFrom(path, extended, nil)
	if err != nil {
		t.Fatalf("extension refused: %v", err)
	}
	if got.Step != 20 || !got.Hyper.Equal(extended.Hyper) {
		t.Fatalf("started at step %d with %+v", got.Step, got.Hyper)
	}

	otherLR := base
	otherLR.Hyper.LR *= 2
	otherShape := base
	otherShape.Model.FFN *= 2
	short := base
	short.Hyper.Steps = 10
	short.Stages = []train.Stage{{Until: 10, MinTokens: 64, MaxTokens: 256}}
	for name, c := range map[string]struct {
		r    train.Recipe
		want string
	}{
		"lr":    {otherLR, "learning rate"},
		"shape": {otherShape, "shape"},
		"past":  {short, "past the recipe"},
	} {
		if _, err := startFrom(path, c.r, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one mentioning %q", name, err, c.want)
		}
	}
}
