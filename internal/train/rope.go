package train

import (
	"fmt"
	"math"
	"sync"

	"github.com/longctx/longctx/internal/model"
)

// rope holds cos/sin of the rotation angles per position, computed exactly
// as internal/model (and ggml) do — the angle of pair i is pos·base^(-2i/d)
// with the ratio stepped in float32 — so exported models match bit for bit.
type rope struct {
	dims       int
	thetaScale float32
	// angles, when set, computes a position's pairs instead (a scaled
	// RoPE, from internal/model); scaling names it.
	angles  func(pos int, cs []float32)
	scaling model.RopeScaling
	mu      sync.Mutex
	cs      []float32 // [pos][dims/2](cos, sin)
}

func newRope(dims int, base float32) *rope {
	return &rope{dims: dims, thetaScale: float32(math.Pow(float64(base), -2.0/float64(dims))), scaling: model.RopeScaling{Type: "none", Factor: 1}}
}

// SetRopeScaling makes the model train (and be probed) under RoPE scaling
// typ ("none", "linear" or "yarn") with factor, as a GGUF exported with
// that scaling declares it: YaRN's ramp over beta 32/1 and its attention
// temperature, from the trained context. A model trained this way is
// consistent with the file it exports at every length.
func (m *Model) SetRopeScaling(typ string, factor float32) error {
	s := model.RopeScaling{Type: typ, Factor: factor, OrigCtx: m.Cfg.Ctx, AttnFactor: 1}
	switch typ {
	case "none":
		s.Factor = 1
	case "linear":
	case "yarn":
		s.ExtFactor, s.BetaFast, s.BetaSlow = 1, 32, 1
	default:
		return fmt.Errorf("train: rope scaling %q (want none, linear or yarn)", typ)
	}
	if typ != "none" && !(factor > 1 && factor <= 1024) {
		return fmt.Errorf("train: rope scaling %s needs a factor in (1, 1024], got %g", typ, factor)
	}
	if s.Type == m.rope.scaling.Type && s.Factor == m.rope.scaling.Factor {
		return nil
	}
	hd := m.Cfg.HeadDim()
	r := newRope(hd, m.Cfg.RopeBase)
	if typ != "none" {
		r.angles, r.scaling = model.RopeAngles(hd, m.Cfg.RopeBase, s), s
	}
	m.rope = r
	return nil
}

// table returns cos/sin for positions 0..n-1.
func (r *rope) table(n int) []float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for have := len(r.cs) / r.dims; have < n; have++ {
		if r.angles != nil {
			r.cs = append(r.cs, make([]float32, r.dims)...)
			r.angles(have, r.cs[have*r.dims:])
			continue
		}
		theta := float32(have)
		for i := 0; i < r.dims/2; i++ {
			r.cs = append(r.cs, float32(math.Cos(float64(theta))), float32(math.Sin(float64(theta))))
			theta *= r.thetaScale
		}
	}
	return r.cs[:n*r.dims]
}

// ropeRows rotates (and, under YaRN, scales) each row of x (rows of nHeads heads of width dims) by its
// position's angles; inverse rotates the other way (the backward pass, since
// a rotation's transpose is its inverse).
func ropeRows(x []float32, rows, nHeads, dims int, cs []float32, inverse bool) {
	w := nHeads * dims
	for t := 0; t < rows; t++ {
		c := cs[t*dims : (t+1)*dims]
		for h := 0; h < nHeads; h++ {
			v := x[t*w+h*dims : t*w+(h+1)*dims]
			for i := 0; i < dims/2; i++ {
				co, si := c[2*i], c[2*i+1]
				if inverse {
					si = -si
				}
				x0, x1 := v[2*i], v[2*i+1]
				v[2*i] = x0*co - x1*si
				v[2*i+1] = x0*si + x1*co
			}
		}
	}
}
