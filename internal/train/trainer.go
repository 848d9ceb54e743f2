package train

import (
	"fmt"
	"math"
	"time"
)

// DataFunc returns the batch of a step. It must be a pure function of the
// step (and of whatever seed it closed over): resuming relies on it.
type DataFunc func(step int) ([]Example, error)

// State is everything about a run besides the weights and moments; it is
// the JSON header of a checkpoint.
type State struct {
	Cfg    Config    `json:"config"`
	Hyper  Hyper     `json:"hyper"`
	Seed   uint64    `json:"seed"`
	Step   int       `json:"step"`   // steps done
	Tokens int64     `json:"tokens"` // tokens processed
	Losses []float32 `json:"losses"` // mean loss of each step done
	// Seconds is the wall time spent in steps (not reproducible, unlike
	// the rest: it records what a run cost).
	Seconds float64 `json:"seconds"`
}

// Trainer runs AdamW steps on a model.
type Trainer struct {
	State
	Model *Model
	Data  DataFunc
	// Scaling, when set, gives the RoPE scaling each step trains under
	// (Recipe.ScalingAt); nil trains without scaling.
	Scaling func(step int) (typ string, factor float32)
	// Grows insert blocks, each before its step At.
	Grows []Growth
	opt   *adam
}

// StepStats describes one step.
type StepStats struct {
	Step     int // 1-based number of the step just done
	Loss     float64
	LR       float64
	GradNorm float64
	Tokens   int // tokens in the batch
	Targets  int // loss targets in the batch
	Elapsed  time.Duration
}

// NewTrainer starts a run: a model initialised from seed.
func NewTrainer(cfg Config, h Hyper, seed uint64, data DataFunc) (*Trainer, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	m, err := NewModel(cfg, seed)
	if err != nil {
		return nil, err
	}
	return &Trainer{State: State{Cfg: cfg, Hyper: h, Seed: seed}, Model: m, Data: data, opt: newAdam(m)}, nil
}

// Done reports whether all steps have run.
func (t *Trainer) Done() bool { return t.Step >= t.Hyper.Steps }

// TrainStep runs the next step.
func (t *Trainer) TrainStep() (StepStats, error) {
	start := time.Now()
	ex, err := t.Data(t.Step)
	if err != nil {
		return StepStats{}, fmt.Errorf("train: data for step %d: %w", t.Step, err)
	}
	for _, g := range t.Grows {
		if g.At > 0 && t.Step == g.At {
			m, opt, err := growModel(t.Model, t.opt, g, t.Seed)
			if err != nil {
				return StepStats{}, err
			}
			t.Model, t.opt, t.Cfg = m, opt, m.Cfg
		}
	}
	if t.Scaling != nil {
		if err := t.Model.SetRopeScaling(t.Scaling(t.Step)); err != nil {
			return StepStats{}, err
		}
	}
	t.Model.ZeroGrad()
	loss, targets, err := t.Model.Backward(ex)
	if err != nil {
		return StepStats{}, fmt.Errorf("train: step %d: %w", t.Step, err)
	}
	st := StepStats{Step: t.Step + 1, Loss: loss, LR: t.Hyper.LRAt(t.Step), Targets: targets}
	// A diverged run stops before the update: the weights stay those of
	// the last good step, and no NaN reaches a checkpoint.
	norm := gradNorm(t.Model)
	if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return StepStats{}, fmt.Errorf("train: step %d: loss %g, gradient norm %g: the run diverged (lower the learning rate, or resume from an earlier checkpoint)", t.Step+1, loss, norm)
	}
	t.opt.step(t.Model, t.Hyper, t.Step, norm)
	st.GradNorm = norm
	for _, e := range ex {
		st.Tokens += len(e.Tokens)
	}
	t.Step++
	t.Tokens += int64(st.Tokens)
	t.Losses = append(t.Losses, float32(loss))
	st.Elapsed = time.Since(start)
	t.Seconds += st.Elapsed.Seconds()
	return st, nil
}
