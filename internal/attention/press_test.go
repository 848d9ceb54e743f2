package attention

import (
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/longctx/longctx/internal/tensor"
)

const pressPrompt = 150

// runPress prefills pressPrompt positions in chunks of 50 through a press
// and decodes 5 more; it returns the press of layer 0 and the outputs of
// the decode steps.
func runPress(t *testing.T, s *stream, cfg Config) (*press, [][]float32) {
	t.Helper()
	c, err := Wrap(cfg, s.g.cache(t, tensor.F32), s.g.info())
	if err != nil {
		t.Fatal(err)
	}
	prefill(t, s, c, pressPrompt, 50)
	var outs [][]float32
	for p := pressPrompt; p < pressPrompt+5; p++ {
		outs = append(outs, s.run(t, c, p, p+1)[0])
	}
	return c.(*maskCache).layers[0].(*press), outs
}

// checkKept compares a press's kept positions of each KV head with the
// top keepN of reference scores (higher kept), allowing disagreement only
// where a score is within tol (relative) of the cut.
func checkKept(t *testing.T, p *press, ref [][]float64, keepN int, tol float64) {
	t.Helper()
	for g, scores := range ref {
		if len(p.keep[g]) != keepN {
			t.Fatalf("KV head %d keeps %d positions, want %d", g, len(p.keep[g]), keepN)
		}
		order := make([]int, len(scores))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
		cut := scores[order[keepN-1]]
		for rank, j := range order {
			in := slices.Contains(p.keep[g], j)
			if in != (rank < keepN) && math.Abs(scores[j]-cut) > tol*math.Abs(cut) {
				t.Errorf("KV head %d: position %d (rank %d, score %g, cut %g) kept=%v", g, j, rank, scores[j], cut, in)
			}
		}
	}
}

func pressConfig(name string, ratio float64) Config {
	cfg := DefaultConfig()
	cfg.Name, cfg.CompressionRatio = name, ratio
	return cfg
}

var pressGeom = geom{layers: 1, heads: 4, kvHeads: 2, hd: 32, ctx: 200}

// storedKey is KV head g's key of position j as stored (rotated).
func storedKey(s *stream, j, g int) []float64 {
	hd := s.g.hd
	k := rotated(s.k[0], j, j+1, s.g.kvHeads, hd)[g*hd : (g+1)*hd]
	out := make([]float64, hd)
	for i, x := range k {
		out[i] = float64(x)
	}
	return out
}

func norm(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

// After the press, each query head attends to its KV head's kept
// positions and every later one.
func checkPressOutputs(t *testing.T, s *stream, p *press, outs [][]float32) {
	t.Helper()
	for i, out := range outs {
		pos := pressPrompt + i
		for h := range s.g.heads {
			var spans = addRuns(nil, p.keep[h/2])
			spans = addSpan(spans, pressPrompt, pos+1)
			checkOutput(t, s, out, 0, h, pos, spans, 1e-5)
		}
	}
}

func TestPressKNorm(t *testing.T) {
	s := newStream(pressGeom, pressGeom.ctx, 31)
	p, outs := runPress(t, s, pressConfig(KNorm, 0.5))
	ref := make([][]float64, 2)
	for g := range ref {
		for j := range pressPrompt {
			ref[g] = append(ref[g], -norm(storedKey(s, j, g)))
		}
	}
	checkKept(t, p, ref, 75, 1e-6)
	checkPressOutputs(t, s, p, outs)
}

func TestPressStreaming(t *testing.T) {
	s := newStream(pressGeom, pressGeom.ctx, 32)
	cfg := pressConfig(Streaming, 0)
	cfg.Budget = 40
	p, outs := runPress(t, s, cfg)
	want := []int{0, 1, 2, 3}
	for j := pressPrompt - 36; j < pressPrompt; j++ {
		want = append(want, j)
	}
	for g := range p.keep {
		if !slices.Equal(p.keep[g], want) {
			t.Fatalf("KV head %d keeps %v, want %v", g, p.keep[g], want)
		}
	}
	checkPressOutputs(t, s, p, outs)
}

// SnapKV against a float64 computation of kvpress's score.
func TestPressSnapKV(t *testing.T) {
	s := newStream(pressGeom, pressGeom.ctx, 33)
	p, outs := runPress(t, s, pressConfig(SnapKV, 0.5))
	const w, kernel = 64, 5
	L := pressPrompt - w
	scale := 1 / math.Sqrt(32)
	ref := make([][]float64, 2)
	for g := range ref {
		ref[g] = make([]float64, pressPrompt)
		for h := g * 2; h < g*2+2; h++ {
			acc := make([]float64, L)
			for r := L; r < pressPrompt; r++ {
				z := make([]float64, r+1)
				mx := math.Inf(-1)
				for j := range z {
					z[j] = rotatedDot(s, 0, h, r, j) * scale
					mx = math.Max(mx, z[j])
				}
				sum := 0.0
				for j := range z {
					z[j] = math.Exp(z[j] - mx)
					sum += z[j]
				}
				for j := range L {
					acc[j] += z[j] / sum / w
				}
			}
			for j := range L {
				pooled := 0.0
				for t := j - kernel/2; t <= j+kernel/2; t++ {
					if t >= 0 && t < L {
						pooled += acc[t]
					}
				}
				ref[g][j] += pooled / kernel / 2
			}
		}
		for j := L; j < pressPrompt; j++ {
			ref[g][j] = math.Inf(1)
		}
	}
	checkKept(t, p, ref, 75, 1e-4)
	checkPressOutputs(t, s, p, outs)
}

// Expected attention against a float64 computation from the un-rotated
// queries, with the mean rotation worked out from the RoPE angles.
func TestPressExpectedAttention(t *testing.T) {
	s := newStream(pressGeom, pressGeom.ctx, 34)
	p, outs := runPress(t, s, pressConfig(ExpectedAttention, 0.5))
	const d, sinks, future = 32, 4, 512
	// R̄: per pair i, the mean over t of the rotation by t·θ_i.
	rbar := make([]float64, d*d)
	for i := range d / 2 {
		theta := math.Pow(10000, -2*float64(i)/d)
		var c, sn float64
		for t := pressPrompt; t < pressPrompt+future; t++ {
			c += math.Cos(float64(t)*theta) / future
			sn += math.Sin(float64(t)*theta) / future
		}
		a, b := 2*i, 2*i+1
		rbar[a*d+a], rbar[a*d+b], rbar[b*d+a], rbar[b*d+b] = c, -sn, sn, c
	}
	scale := 1 / math.Sqrt(d)
	ref := make([][]float64, 2)
	for g := range ref {
		ref[g] = make([]float64, pressPrompt)
		for h := g * 2; h < g*2+2; h++ {
			// Mean and covariance of head h's un-rotated queries after the sinks.
			mu := make([]float64, d)
			n := float64(pressPrompt - sinks)
			for p := sinks; p < pressPrompt; p++ {
				for i := range d {
					mu[i] += float64(s.q[0][p*128+h*d+i]) / n
				}
			}
			cov := make([]float64, d*d)
			for p := sinks; p < pressPrompt; p++ {
				for i := range d {
					for j := range d {
						cov[i*d+j] += (float64(s.q[0][p*128+h*d+i]) - mu[i]) * (float64(s.q[0][p*128+h*d+j]) - mu[j]) / n
					}
				}
			}
			mu2 := make([]float64, d)
			for r := range d {
				for i := range d {
					mu2[r] += rbar[r*d+i] * mu[i]
				}
			}
			cov2 := make([]float64, d*d)
			for r := range d {
				for c := range d {
					for i := range d {
						for j := range d {
							cov2[r*d+c] += rbar[r*d+i] * cov[i*d+j] * rbar[c*d+j]
						}
					}
				}
			}
			z := make([]float64, pressPrompt-sinks)
			mx := math.Inf(-1)
			for j := range z {
				k := storedKey(s, sinks+j, g)
				lin, quad := 0.0, 0.0
				for r := range d {
					lin += k[r] * mu2[r]
					for c := range d {
						quad += k[r] * cov2[r*d+c] * k[c]
					}
				}
				z[j] = scale*lin + scale*scale/2*quad
				mx = math.Max(mx, z[j])
			}
			sum := 0.0
			for j := range z {
				z[j] = math.Exp(z[j] - mx)
				sum += z[j]
			}
			for j := range z {
				ref[g][sinks+j] += z[j] / sum / 2
			}
		}
		for j := sinks; j < pressPrompt; j++ {
			v := make([]float64, d)
			for i := range d {
				v[i] = float64(s.v[0][j*64+g*d+i])
			}
			ref[g][j] *= norm(v)
		}
		for j := range sinks {
			ref[g][j] = math.Inf(1)
		}
	}
	checkKept(t, p, ref, 75, 1e-3)
	checkPressOutputs(t, s, p, outs)
}

// Ratio r keeps int(n·(1−r)) positions per KV head; a truncation into the
// prompt keeps what was kept below it and attends to everything after.
func TestPressRatioAndTruncate(t *testing.T) {
	s := newStream(pressGeom, pressGeom.ctx, 35)
	for _, r := range []float64{0.25, 0.5, 0.9} {
		cfg := pressConfig(KNorm, r)
		c, err := Wrap(cfg, pressGeom.cache(t, tensor.F32), pressGeom.info())
		if err != nil {
			t.Fatal(err)
		}
		prefill(t, s, c, pressPrompt, 50)
		s.run(t, c, pressPrompt, pressPrompt+1)
		want := int(float64(pressPrompt) * (1 - r))
		rep := c.(Reporter).Report()
		if ev := rep.Layers[0].Evicted; ev != 2*(pressPrompt-want) {
			t.Errorf("ratio %g: %d evicted (position, head) pairs, want %d", r, ev, 2*(pressPrompt-want))
		}
		c.Truncate(100)
		p := c.(*maskCache).layers[0].(*press)
		for g := range p.keep {
			if len(p.keep[g]) > 0 && p.keep[g][len(p.keep[g])-1] >= 100 || p.P != 100 {
				t.Fatalf("ratio %g: after truncation keeps %v up to %d", r, p.keep[g], p.P)
			}
		}
		for q := 100; q < 110; q++ {
			out := s.run(t, c, q, q+1)[0]
			for h := range 4 {
				spans := addRuns(nil, p.keep[h/2])
				spans = addSpan(spans, 100, q+1)
				checkOutput(t, s, out, 0, h, q, spans, 1e-5)
			}
		}
	}
}
