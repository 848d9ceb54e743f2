package train

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/longctx/longctx/internal/parallel"
)

// Hyper are the optimisation hyper-parameters.
type Hyper struct {
	LR          float64 `json:"lr"`           // peak learning rate
	MinLRRatio  float64 `json:"min_lr_ratio"` // final LR = LR·MinLRRatio
	Warmup      int     `json:"warmup"`       // linear warm-up steps
	Steps       int     `json:"steps"`        // total steps (end of the cosine)
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"` // decoupled, matrices only
	Clip        float64 `json:"clip"`         // global gradient-norm limit (0: none)
	// Second, when its At is set, starts a second schedule at step At
	// (warm-up to its LR, cosine to LR·MinLRRatio at Steps) and ends the
	// first schedule's cosine at At instead of Steps: a run is extended by
	// a second phase without changing a step of the first.
	Second Phase `json:"second,omitzero"`
	// Third, when its At is set, likewise starts a third schedule and ends
	// the second's cosine at its At.
	Third Phase `json:"third,omitzero"`
	// Later are further schedules after the third, in order, each ending
	// the previous one's cosine at its At.
	Later []Phase `json:"later,omitempty"`
}

// Phase is a second learning-rate schedule.
type Phase struct {
	At     int     `json:"at"`     // first step of the phase
	LR     float64 `json:"lr"`     // its peak learning rate
	Warmup int     `json:"warmup"` // its linear warm-up steps
}

// Equal reports whether h and o are the same schedule and settings.
func (h Hyper) Equal(o Hyper) bool {
	if !slices.Equal(h.Later, o.Later) {
		return false
	}
	h.Later, o.Later = nil, nil // equal, possibly one nil and one empty
	return reflect.DeepEqual(h, o)
}

// Validate checks the step count and the later phases.
func (h Hyper) Validate() error {
	if h.Steps < 1 {
		return errors.New("train: hyper.steps must be positive")
	}
	switch {
	case !(h.LR > 0), !(h.MinLRRatio >= 0 && h.MinLRRatio <= 1), h.Warmup < 0:
		return fmt.Errorf("train: hyper needs lr > 0, 0 <= min_lr_ratio <= 1 and warmup >= 0 (lr %g, min_lr_ratio %g, warmup %d)", h.LR, h.MinLRRatio, h.Warmup)
	case !(h.Beta1 >= 0 && h.Beta1 < 1), !(h.Beta2 >= 0 && h.Beta2 < 1), !(h.Eps > 0), !(h.WeightDecay >= 0), !(h.Clip >= 0):
		return fmt.Errorf("train: hyper needs betas in [0, 1), eps > 0, weight_decay >= 0 and clip >= 0 (%g, %g, %g, %g, %g)", h.Beta1, h.Beta2, h.Eps, h.WeightDecay, h.Clip)
	}
	if p := h.Second; p != (Phase{}) && (p.At <= h.Warmup || p.At >= h.Steps || !(p.LR > 0) || p.Warmup < 0) {
		return fmt.Errorf("train: hyper.second %+v must start after the warm-up and before step %d, with a positive lr", p, h.Steps)
	}
	if p := h.Third; p != (Phase{}) && (h.Second.At == 0 || p.At <= h.Second.At || p.At >= h.Steps || !(p.LR > 0) || p.Warmup < 0) {
		return fmt.Errorf("train: hyper.third %+v must start after the second phase and before step %d, with a positive lr", p, h.Steps)
	}
	prev := h.Third.At
	for i, p := range h.Later {
		if prev == 0 || p.At <= prev || p.At >= h.Steps || !(p.LR > 0) || p.Warmup < 0 {
			return fmt.Errorf("train: hyper.later[%d] %+v must start after the phase before it and before step %d, with a positive lr", i, p, h.Steps)
		}
		prev = p.At
	}
	return nil
}

// DefaultHyper are sensible values for small models.
func DefaultHyper(steps int) Hyper {
	return Hyper{LR: 1e-3, MinLRRatio: 0.1, Warmup: max(1, steps/20), Steps: steps,
		Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Clip: 1}
}

// LRAt is the learning rate of step (0-based): linear warm-up to LR over
// Warmup steps, then a cosine down to LR·MinLRRatio at Steps (or at the
// second phase's start), flat after; each later phase likewise from its
// start.
func (h Hyper) LRAt(step int) float64 {
	phases := []Phase{{At: 0, LR: h.LR, Warmup: h.Warmup}}
	for _, p := range append([]Phase{h.Second, h.Third}, h.Later...) {
		if p.At > 0 {
			phases = append(phases, p)
		}
	}
	end := h.Steps
	for i := len(phases) - 1; i >= 0; i-- {
		if p := phases[i]; step >= p.At {
			return warmCosine(step-p.At, p.Warmup, end-p.At, p.LR, h.MinLRRatio)
		}
		end = phases[i].At
	}
	return 0
}

func warmCosine(step, warmup, end int, lr, minRatio float64) float64 {
	if step < warmup {
		return lr * float64(step+1) / float64(warmup)
	}
	span := end - warmup
	if span <= 0 {
		return lr
	}
	p := min(1, float64(step-warmup)/float64(span))
	lo := lr * minRatio
	return lo + (lr-lo)*0.5*(1+math.Cos(math.Pi*p))
}

// adam holds the AdamW moments, one pair per model tensor.
type adam struct {
	m, v [][]float32
}

func newAdam(model *Model) *adam {
	a := &adam{}
	for _, t := range model.Tensors {
		a.m = append(a.m, make([]float32, len(t.W)))
		a.v = append(a.v, make([]float32, len(t.W)))
	}
	return a
}

// gradNorm is the global L2 norm of all gradients, summed in float64 in a
// fixed order.
func gradNorm(model *Model) float64 {
	var s float64
	for _, t := range model.Tensors {
		for _, g := range t.G {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}

// step applies one AdamW update (step is 0-based) to gradients of norm
// norm (gradNorm), clipped to h.Clip.
func (a *adam) step(model *Model, h Hyper, step int, norm float64) {
	gscale := float32(1)
	if h.Clip > 0 && norm > h.Clip {
		gscale = float32(h.Clip / norm)
	}
	lr := h.LRAt(step)
	t := float64(step + 1)
	bc1 := float32(1 - math.Pow(h.Beta1, t))
	bc2 := float32(1 - math.Pow(h.Beta2, t))
	b1, b2, eps := float32(h.Beta1), float32(h.Beta2), float32(h.Eps)
	for i, tn := range model.Tensors {
		decay := float32(0)
		if !tn.Vector {
			decay = float32(lr * h.WeightDecay)
		}
		flr := float32(lr)
		w, g, m, v := tn.W, tn.G, a.m[i], a.v[i]
		parallel.Run(len(w), 8192, parallel.Func(func(lo, hi int) {
			for j := lo; j < hi; j++ {
				gj := g[j] * gscale
				m[j] = b1*m[j] + (1-b1)*gj
				v[j] = b2*v[j] + (1-b2)*gj*gj
				mh := m[j] / bc1
				vh := v[j] / bc2
				w[j] -= flr*mh/(float32(math.Sqrt(float64(vh)))+eps) + decay*w[j]
			}
		}))
	}
}
