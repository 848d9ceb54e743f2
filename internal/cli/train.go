package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/train"
)

// trainCmd runs or resumes a training recipe. The output directory holds
// recipe.json (the effective recipe), checkpoint.bin, loss.csv, loss.png
// and, when the run is complete, model.gguf.
func trainCmd(env *Env) error {
	fs := newFlags(env, "train", "--recipe NAME|FILE --out DIR [--resume] [--steps N] [--seed S] [--until N] [--probe N] [--check]")
	recipe := fs.String("recipe", "", "built-in recipe name ("+strings.Join(train.RecipeNames(), ", ")+") or a JSON recipe `file` (with --resume: DIR/recipe.json)")
	out := fs.String("out", "", "output `directory`")
	resume := fs.Bool("resume", false, "continue from DIR/checkpoint.bin")
	steps := fs.Int("steps", 0, "total steps (overrides the recipe)")
	seed := fs.Uint64("seed", 0, "training seed (overrides the recipe; 0 keeps it)")
	until := fs.Int("until", 0, "stop (with a checkpoint) after this step, to split a run over sessions")
	export := fs.String("export", "", "write DIR/checkpoint.bin's current weights as a GGUF `file` and exit (to evaluate a run in progress)")
	probeEvery := fs.Int("probe", 250, "score held-out examples of every task each `N` steps (exact match of the greedy answer; appended to DIR/probe.csv); 0: never")
	probeN := fs.Int("probe-examples", 8, "held-out examples per task")
	probeLen := fs.Int("probe-tokens", 256, "length of the held-out examples in tokens")
	check := fs.Bool("check", false, "score DIR/checkpoint.bin on the held-out examples and exit")
	from := fs.String("from", "", "start from another run's checkpoint `file` whose steps the recipe repeats exactly (same shape, seed and learning rates): extends a finished run by the recipe's later phases")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if *export != "" || *check {
		*resume = true
	}
	if *probeEvery < 0 || *probeN < 1 || *probeLen < 16 {
		return fmt.Errorf("%w: --probe %d, --probe-examples %d, --probe-tokens %d (need >= 0, >= 1, >= 16)", errUsage, *probeEvery, *probeN, *probeLen)
	}
	if *recipe == "" {
		if !*resume {
			return fmt.Errorf("%w: --recipe is required (or --resume, which reads DIR/recipe.json)", errUsage)
		}
		*recipe = filepath.Join(*out, "recipe.json")
	}
	r, err := train.LoadRecipe(*recipe)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err) // an unknown name, an unreadable or invalid recipe
	}
	if *steps > 0 {
		scaleStages(&r, *steps)
	}
	if *seed != 0 {
		r.Seed = *seed
	}
	if err := r.Validate(); err != nil {
		if *steps > 0 {
			return fmt.Errorf("%w: --steps %d: the recipe's stages and phases, scaled to so few steps, do not fit (%v)", errUsage, *steps, err)
		}
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	vocab, err := r.BuildVocab()
	if err != nil {
		return err
	}
	tok, err := vocab.Tokenizer()
	if err != nil {
		return err
	}
	data := r.Data(tok)
	newProbe := func() (*train.Probe, error) { return r.NewProbe(tok, *probeN, min(*probeLen, r.Model.Ctx)) }
	ckpt := filepath.Join(*out, "checkpoint.bin")
	var tr *train.Trainer
	if *resume {
		if tr, err = train.Load(ckpt, data); err != nil {
			return err
		}
		if !reflect.DeepEqual(tr.Cfg, r.ConfigAt(tr.Step)) || tr.Seed != r.Seed || !tr.Hyper.Equal(r.Hyper) {
			return fmt.Errorf("%s was made by another recipe, seed or step count (checkpoint: %+v seed %d, %+v)", ckpt, tr.Cfg, tr.Seed, tr.Hyper)
		}
		// Probes see the RoPE the last step trained under.
		if err := tr.Model.SetRopeScaling(r.ScalingAt(max(0, tr.Step-1))); err != nil {
			return err
		}
		if *export != "" {
			n, err := exportGGUF(tr, vocab, r, *export)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s (%.1f MB): weights after step %d of %d\n", *export, float64(n)/1e6, tr.Step, tr.Hyper.Steps)
			return nil
		}
		if *check {
			p, err := newProbe()
			if err != nil {
				return err
			}
			res, err := p.Run(tr.Model)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "step %d: %s\n", tr.Step, train.FormatProbe(res))
			return nil
		}
		fmt.Fprintf(env.Stderr, "resuming at step %d of %d\n", tr.Step, tr.Hyper.Steps)
	} else {
		if _, err := os.Stat(ckpt); err == nil {
			return fmt.Errorf("%s exists: pass --resume to continue it, or choose another --out", ckpt)
		}
		if *from != "" {
			if tr, err = startFrom(*from, r, data); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "starting from %s at step %d of %d\n", *from, tr.Step, tr.Hyper.Steps)
		} else if tr, err = train.NewTrainer(r.Config(), r.Hyper, r.Seed, data); err != nil {
			return err
		}
		rb, _ := json.MarshalIndent(r, "", "  ")
		if err := writeAtomic(filepath.Join(*out, "recipe.json"), append(rb, '\n')); err != nil {
			return err
		}
	}
	tr.Scaling = r.ScalingAt
	tr.Grows = r.Growths()
	grown := ""
	if gs := r.Growths(); len(gs) > 0 {
		var at []string
		for _, g := range gs {
			at = append(at, fmt.Sprint(g.At))
		}
		grown = fmt.Sprintf(" (%.2fM after blocks are inserted at steps %s)", float64(r.ConfigAt(r.Hyper.Steps).Params())/1e6, strings.Join(at, ", "))
	}
	fmt.Fprintf(env.Stderr, "recipe %s: %.2fM parameters%s, vocabulary %d, %d steps of %d tokens, seed %d\n",
		r.Name, float64(r.Config().Params())/1e6, grown, len(vocab.Tokens), r.Hyper.Steps, r.BatchTokens, r.Seed)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tty := isTerminal(env.Stderr)
	every := max(1, r.CheckpointEv)
	save := func() error {
		if err := tr.Save(ckpt); err != nil {
			return err
		}
		return writeCurves(*out, tr.Losses)
	}
	var probe *train.Probe
	if *probeEvery > 0 {
		if probe, err = newProbe(); err != nil {
			return err
		}
	}
	runProbe := func() error {
		res, err := probe.Run(tr.Model)
		if err != nil {
			return err
		}
		if tty {
			fmt.Fprintln(env.Stderr)
		}
		fmt.Fprintf(env.Stderr, "probe at step %d: %s\n", tr.Step, train.FormatProbe(res))
		return appendProbe(filepath.Join(*out, "probe.csv"), tr.Step, res)
	}
	var recentTok int
	var recentDur time.Duration
	for !tr.Done() && (*until <= 0 || tr.Step < *until) {
		if ctx.Err() != nil {
			fmt.Fprintf(env.Stderr, "\ninterrupted: saving step %d\n", tr.Step)
			return save()
		}
		st, err := tr.TrainStep()
		if err != nil {
			return err
		}
		recentTok += st.Tokens
		recentDur += st.Elapsed
		line := fmt.Sprintf("step %d/%d  loss %.4f  lr %.2e  |g| %.2f  %.0f tokens/s",
			st.Step, tr.Hyper.Steps, st.Loss, st.LR, st.GradNorm, float64(recentTok)/recentDur.Seconds())
		if tty {
			fmt.Fprintf(env.Stderr, "\r%s   ", line)
		}
		if st.Step%every == 0 || tr.Done() {
			if !tty {
				fmt.Fprintln(env.Stderr, line)
			}
			recentTok, recentDur = 0, 0
			if err := save(); err != nil {
				return err
			}
		}
		if probe != nil && (st.Step%*probeEvery == 0 || tr.Done()) {
			if err := runProbe(); err != nil {
				return err
			}
		}
	}
	if tty {
		fmt.Fprintln(env.Stderr)
	}
	if err := save(); err != nil {
		return err
	}
	if !tr.Done() {
		fmt.Fprintf(env.Stderr, "stopped at step %d of %d; continue with --resume\n", tr.Step, tr.Hyper.Steps)
		return nil
	}
	path := filepath.Join(*out, "model.gguf")
	size, err := exportGGUF(tr, vocab, r, path)
	if err != nil {
		return err
	}
	n := min(50, len(tr.Losses))
	var last float64
	for _, l := range tr.Losses[len(tr.Losses)-n:] {
		last += float64(l) / float64(n)
	}
	fmt.Fprintf(env.Stdout, "wrote %s (%.1f MB): %d steps, %d tokens, %.0f s of training, final loss %.4f (mean of the last %d steps), seed %d\n",
		path, float64(size)/1e6, tr.Step, tr.Tokens, tr.Seconds, last, n, tr.Seed)
	return nil
}

// exportGGUF writes the trainer's current weights as the recipe's GGUF.
func exportGGUF(tr *train.Trainer, vocab *train.Vocab, r train.Recipe, path string) (int, error) {
	typ, err := tensor.ParseType(r.ExportType)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	if _, err := tr.Model.WriteGGUF(&buf, vocab, train.ExportOptions{Type: typ, Name: "longctx-" + r.Name, RopeScaling: r.RopeScaling, RopeFactor: r.RopeFactor}); err != nil {
		return 0, err
	}
	return buf.Len(), writeAtomic(path, buf.Bytes())
}

// startFrom loads another run's checkpoint for recipe r, which must have
// taken every step the checkpoint did exactly as r would: same shape, seed
// and learning rate at each step. (The data of a step is a function of the
// recipe's seed, stages and tasks, which the checkpoint does not record;
// the caller vouches for those.)
func startFrom(path string, r train.Recipe, data train.DataFunc) (*train.Trainer, error) {
	tr, err := train.Load(path, data)
	if err != nil {
		return nil, err
	}
	if !reflect.DeepEqual(tr.Cfg, r.ConfigAt(tr.Step)) || tr.Seed != r.Seed {
		return nil, fmt.Errorf("%s has shape %+v and seed %d; the recipe has %+v and %d at step %d", path, tr.Cfg, tr.Seed, r.ConfigAt(tr.Step), r.Seed, tr.Step)
	}
	if tr.Step > r.Hyper.Steps {
		return nil, fmt.Errorf("%s is at step %d, past the recipe's %d", path, tr.Step, r.Hyper.Steps)
	}
	for s := range tr.Step {
		if a, b := tr.Hyper.LRAt(s), r.Hyper.LRAt(s); a != b {
			return nil, fmt.Errorf("%s trained step %d at learning rate %g; the recipe's is %g", path, s, a, b)
		}
	}
	tr.Hyper = r.Hyper
	return tr, tr.Hyper.Validate()
}

// scaleStages sets the step count, stretching the recipe's stages and
// warm-up, later phases and growth in proportion.
func scaleStages(r *train.Recipe, steps int) {
	old := r.Hyper.Steps
	for i := range r.Stages {
		r.Stages[i].Until = max(i+1, r.Stages[i].Until*steps/old)
	}
	r.Stages[len(r.Stages)-1].Until = max(steps, len(r.Stages))
	r.Hyper.Warmup = max(1, r.Hyper.Warmup*steps/old)
	phases := []*train.Phase{&r.Hyper.Second, &r.Hyper.Third}
	for i := range r.Hyper.Later {
		phases = append(phases, &r.Hyper.Later[i])
	}
	for _, p := range phases {
		if p.At > 0 {
			p.At = max(1, p.At*steps/old)
			p.Warmup = max(1, p.Warmup*steps/old)
		}
	}
	if r.Grow.At > 0 {
		r.Grow.At = max(1, r.Grow.At*steps/old)
	}
	for i := range r.Regrow {
		r.Regrow[i].At = max(1, r.Regrow[i].At*steps/old)
	}
	r.Hyper.Steps = steps
}

func writeCurves(dir string, losses []float32) error {
	var csv, img bytes.Buffer
	if err := train.WriteLossCSV(&csv, losses); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "loss.csv"), csv.Bytes()); err != nil {
		return err
	}
	if len(losses) == 0 {
		return nil
	}
	if err := train.PlotLoss(&img, losses, 800, 480); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "loss.png"), img.Bytes())
}

// appendProbe appends a probe's scores to path (step,task,correct,total
// rows; the header when the file is new) and syncs.
func appendProbe(path string, step int, res []train.ProbeResult) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		b.WriteString("step,task,correct,total\n")
	}
	for _, r := range res {
		fmt.Fprintf(&b, "%d,%s,%d,%d\n", step, r.Task, r.Correct, r.Total)
	}
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// writeAtomic writes a file via a synced temporary and a rename.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return errors.Join(fmt.Errorf("writing %s", path), err)
	}
	return nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
