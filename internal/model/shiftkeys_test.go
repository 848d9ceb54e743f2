package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/longctx/longctx/internal/kv"
)

var _ kv.KeyShifter = (*Model)(nil)

// Rotating a key for position p and then shifting it by d gives the key
// rotated for p+d, for every scaling and both pair layouts.
func TestShiftKeys(t *testing.T) {
	const nKV, hd = 2, 64
	yarn := RopeScaling{Type: "yarn", Factor: 4, OrigCtx: 2048, ExtFactor: 1, AttnFactor: 1, BetaFast: 32, BetaSlow: 1}
	for _, c := range []struct {
		name string
		rope RopeScaling
		dims int
		mode RopeMode
	}{
		{"none", RopeScaling{Type: "none", Factor: 1, AttnFactor: 1}, hd, RopeNorm},
		{"none-neox-partial", RopeScaling{Type: "none", Factor: 1, AttnFactor: 1}, 32, RopeNeox},
		{"linear", RopeScaling{Type: "linear", Factor: 2, AttnFactor: 1}, hd, RopeNeox},
		{"yarn", yarn, hd, RopeNorm},
	} {
		m := &Model{Config: Config{HeadDim: hd, RopeDims: c.dims, RopeMode: c.mode, RopeBase: 10000, Rope: c.rope}}
		m.rope = newRopeTable(&m.Config)
		rotate := func(k []float32, pos int) []float32 {
			cs := make([]float32, c.dims)
			m.rope.cosSin(pos, cs)
			out := append([]float32(nil), k...)
			m.rope.apply(out, nKV, hd, cs)
			return out
		}
		r := rand.New(rand.NewPCG(1, 2))
		for _, pd := range [][2]int{{0, 5}, {100, -37}, {2000, 700}, {3000, -2999}} {
			t.Run(fmt.Sprintf("%s/p%d/d%d", c.name, pd[0], pd[1]), func(t *testing.T) {
				k := make([]float32, 3*nKV*hd) // three positions' rows
				for i := range k {
					k[i] = float32(r.NormFloat64())
				}
				got := rotate(k[:nKV*hd], pd[0])
				got = append(got, rotate(k[nKV*hd:2*nKV*hd], pd[0])...)
				got = append(got, rotate(k[2*nKV*hd:], pd[0])...)
				m.ShiftKeys(got, nKV, hd, pd[1])
				for row := 0; row < 3; row++ {
					want := rotate(k[row*nKV*hd:(row+1)*nKV*hd], pd[0]+pd[1])
					for i, w := range want {
						// Angles are float32: at position 3000 one ulp is 2.4e-4 rad.
						if d := math.Abs(float64(got[row*nKV*hd+i] - w)); d > 2e-3 {
							t.Fatalf("row %d element %d: shifted %g, rotated at p+d %g", row, i, got[row*nKV*hd+i], w)
						}
					}
				}
				if pd[1] == 5 && pd[0] == 0 {
					// Shifting back restores the key.
					m.ShiftKeys(got, nKV, hd, -5)
					for i, x := range rotate(k[:nKV*hd], 0) {
						if math.Abs(float64(got[i]-x)) > 1e-5 {
							t.Fatalf("shift by 5 and back: element %d %g, want %g", i, got[i], x)
						}
					}
				}
			})
		}
	}
}
