package model

import "math"

// ropeTable computes the rotation angles for a position the way ggml does
// (float32 angle stepped by a constant ratio per pair, optional YaRN ramp
// and per-dimension frequency factors), so that rotated keys match
// llama.cpp bit for bit in the common cases.
type ropeTable struct {
	dims       int
	mode       RopeMode
	thetaScale float32
	freqScale  float32
	extFactor  float32
	attnFactor float32
	corr       [2]float32
	factors    []float32
}

func newRopeTable(c *Config) *ropeTable {
	r := &ropeTable{
		dims:       c.RopeDims,
		mode:       c.RopeMode,
		thetaScale: float32(math.Pow(float64(c.RopeBase), -2.0/float64(c.RopeDims))),
		freqScale:  1 / c.Rope.Factor,
		extFactor:  c.Rope.ExtFactor,
		attnFactor: c.Rope.AttnFactor,
		factors:    c.Rope.FreqFactors,
	}
	if c.Rope.Type == "ntk" {
		r.freqScale = 1 // NTK-aware scaling is all in the base
	}
	if r.extFactor != 0 {
		r.corr = yarnCorrDims(c.RopeDims, c.Rope.OrigCtx, c.RopeBase, c.Rope.BetaFast, c.Rope.BetaSlow)
	}
	return r
}

// RopeAngles returns the function that fills cs with the dims/2 (cos,
// sin) pairs of a position, the magnitude YaRN multiplies in included,
// exactly as a normal-mode model of RoPE base and scaling s rotates it:
// a trainer that uses it trains under the rotation the runtime (and
// llama.cpp) will apply to the exported file.
func RopeAngles(dims int, base float32, s RopeScaling) func(pos int, cs []float32) {
	r := newRopeTable(&Config{RopeDims: dims, RopeMode: RopeNorm, RopeBase: base, Rope: s})
	return r.cosSin
}

// yarnCorrDims is the range of dimensions over which YaRN blends
// interpolated and extrapolated frequencies.
func yarnCorrDims(nDims, origCtx int, base, betaFast, betaSlow float32) [2]float32 {
	dim := func(nRot float32) float64 {
		return float64(nDims) * math.Log(float64(origCtx)/(float64(nRot)*2*math.Pi)) / (2 * math.Log(float64(base)))
	}
	lo := math.Max(0, math.Floor(dim(betaFast)))
	hi := math.Min(float64(nDims-1), math.Ceil(dim(betaSlow)))
	return [2]float32{float32(lo), float32(hi)}
}

// cosSin fills cs with dims/2 (cos, sin) pairs for position pos.
func (r *ropeTable) cosSin(pos int, cs []float32) {
	theta := float32(pos)
	for i := 0; i < r.dims/2; i++ {
		t := theta
		if r.factors != nil {
			t /= r.factors[i]
		}
		interp := r.freqScale * t
		angle, mscale := interp, r.attnFactor
		if r.extFactor != 0 {
			y := (float32(i) - r.corr[0]) / max(0.001, r.corr[1]-r.corr[0])
			ramp := (1 - min(1, max(0, y))) * r.extFactor
			angle = interp*(1-ramp) + t*ramp
			mscale *= 1 + 0.1*float32(math.Log(float64(1/r.freqScale)))
		}
		cs[2*i] = float32(math.Cos(float64(angle))) * mscale
		cs[2*i+1] = float32(math.Sin(float64(angle))) * mscale
		theta *= r.thetaScale
	}
}

// apply rotates each head of width hd in x (nHeads heads) by cs.
func (r *ropeTable) apply(x []float32, nHeads, hd int, cs []float32) {
	half := r.dims / 2
	for h := 0; h < nHeads; h++ {
		v := x[h*hd : (h+1)*hd]
		for i := 0; i < half; i++ {
			c, s := cs[2*i], cs[2*i+1]
			a, b := 2*i, 2*i+1
			if r.mode == RopeNeox {
				a, b = i, i+half
			}
			x0, x1 := v[a], v[b]
			v[a] = x0*c - x1*s
			v[b] = x0*s + x1*c
		}
	}
}

// ShiftKeys implements kv.KeyShifter: it rotates keys that were rotated
// for their positions by delta positions more, so a KV cache can move
// them (remove a span, shift a window). k holds rows of nKVHeads·headDim
// floats. Every rotation angle is linear in the position, so rotating by
// the angles of delta turns the angles of p into those of p+delta (to
// float32 rounding); the magnitude YaRN multiplies into cos and sin was
// applied when the key was first rotated, so it is divided out here.
func (m *Model) ShiftKeys(k []float32, nKVHeads, headDim, delta int) {
	r := m.rope
	cs := make([]float32, r.dims)
	r.cosSin(delta, cs)
	for i := 0; i < r.dims/2; i++ {
		c, s := float64(cs[2*i]), float64(cs[2*i+1])
		n := math.Hypot(c, s)
		cs[2*i], cs[2*i+1] = float32(c/n), float32(s/n)
	}
	row := nKVHeads * headDim
	for i := 0; i+row <= len(k); i += row {
		r.apply(k[i:i+row], nKVHeads, headDim, cs)
	}
}
