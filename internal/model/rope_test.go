package model

import (
	"math"
	"testing"
)

func ropeCS(c Config, pos int) []float32 {
	cs := make([]float32, c.RopeDims)
	newRopeTable(&c).cosSin(pos, cs)
	return cs
}

func TestRopeScaling(t *testing.T) {
	base := Config{RopeDims: 8, RopeBase: 10000, Rope: RopeScaling{Type: "none", Factor: 1, AttnFactor: 1}}
	// Pair i at position p turns by p * base^(-2i/dims).
	cs := ropeCS(base, 3)
	for i := 0; i < 4; i++ {
		want := 3 * math.Pow(10000, -2*float64(i)/8)
		if math.Abs(float64(cs[2*i])-math.Cos(want)) > 1e-6 || math.Abs(float64(cs[2*i+1])-math.Sin(want)) > 1e-6 {
			t.Errorf("pair %d: (%v, %v), want angle %v", i, cs[2*i], cs[2*i+1], want)
		}
	}
	// Linear scaling by 4 at position 12 is no scaling at position 3.
	lin := base
	lin.Rope.Type, lin.Rope.Factor = "linear", 4
	got := ropeCS(lin, 12)
	for i := range cs {
		if math.Abs(float64(got[i]-cs[i])) > 1e-6 {
			t.Fatalf("linear x4 at 12: %v, want %v", got, cs)
		}
	}
	// Frequency factors (llama3) divide each pair's angle.
	ff := base
	ff.Rope.FreqFactors = []float32{1, 2, 4, 8}
	got = ropeCS(ff, 8)
	for i, f := range ff.Rope.FreqFactors {
		want := 8 / float64(f) * math.Pow(10000, -2*float64(i)/8)
		if math.Abs(float64(got[2*i])-math.Cos(want)) > 1e-5 {
			t.Errorf("freq factor pair %d: cos %v, want %v", i, got[2*i], math.Cos(want))
		}
	}
	// YaRN: the fastest-turning pairs (below the ramp) extrapolate, the
	// slowest interpolate, and magnitudes grow by 1 + 0.1 ln(factor).
	y := base
	y.RopeDims = 64
	y.Rope = RopeScaling{Type: "yarn", Factor: 4, OrigCtx: 4096, ExtFactor: 1, AttnFactor: 1, BetaFast: 32, BetaSlow: 1}
	got = ropeCS(y, 100)
	mscale := 1 + 0.1*math.Log(4)
	fast := 100.0 // pair 0: extrapolated, angle unchanged
	if math.Abs(float64(got[0])-mscale*math.Cos(fast)) > 1e-5 {
		t.Errorf("yarn pair 0: %v, want %v", got[0], mscale*math.Cos(fast))
	}
	slow := 100 * math.Pow(10000, -2*31.0/64) / 4 // last pair: interpolated
	if math.Abs(float64(got[62])-mscale*math.Cos(slow)) > 1e-5 {
		t.Errorf("yarn last pair: %v, want %v", got[62], mscale*math.Cos(slow))
	}
}
