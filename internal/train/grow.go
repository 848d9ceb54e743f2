package train

import (
	"fmt"
	"math/rand/v2"
)

// Growth inserts a transformer block into a trained model at step At. The
// new block's output projections (attention output and FFN down) start at
// zero, so the grown model computes exactly what the old one did and
// training continues from the same loss; its other matrices are drawn
// N(0, 0.02²) from the run's seed and At. Every existing weight keeps its
// AdamW moments; the new block's start at zero.
type Growth struct {
	At     int `json:"at"`     // step before which the block is inserted
	Insert int `json:"insert"` // index of the new block (0..layers)
}

// growModel returns m with one more block at index g.Insert, and the
// optimizer state to go with it.
func growModel(m *Model, opt *adam, g Growth, seed uint64) (*Model, *adam, error) {
	if g.Insert < 0 || g.Insert > m.Cfg.Layers {
		return nil, nil, fmt.Errorf("train: growth inserts block %d into a model of %d", g.Insert, m.Cfg.Layers)
	}
	cfg := m.Cfg
	cfg.Layers++
	n := newModel(cfg)
	n.rope = m.rope
	nopt := newAdam(n)
	index := map[*Tensor]int{}
	for i, t := range m.Tensors {
		index[t] = i
	}
	for j, t := range n.Tensors {
		index[t] = j
	}
	copyT := func(dst, src *Tensor) {
		i, j := index[src], index[dst]
		copy(dst.W, src.W)
		copy(nopt.m[j], opt.m[i])
		copy(nopt.v[j], opt.v[i])
	}
	copyT(n.Embd, m.Embd)
	copyT(n.OutNorm, m.OutNorm)
	if !cfg.Tied {
		copyT(n.Out, m.Out)
	}
	for l, b := range m.Blocks {
		nl := l
		if l >= g.Insert {
			nl++
		}
		d := n.Blocks[nl]
		for _, p := range [][2]*Tensor{{d.AttnNorm, b.AttnNorm}, {d.Q, b.Q}, {d.K, b.K}, {d.V, b.V}, {d.O, b.O},
			{d.FFNNorm, b.FFNNorm}, {d.Gate, b.Gate}, {d.Up, b.Up}, {d.Dn, b.Dn}} {
			copyT(p[0], p[1])
		}
	}
	rng := rand.New(rand.NewPCG(seed, uint64(g.At)))
	nb := n.Blocks[g.Insert]
	for _, t := range []*Tensor{nb.AttnNorm, nb.FFNNorm} {
		for i := range t.W {
			t.W[i] = 1
		}
	}
	for _, t := range []*Tensor{nb.Q, nb.K, nb.V, nb.Gate, nb.Up} {
		for i := range t.W {
			t.W[i] = float32(rng.NormFloat64() * 0.02)
		}
	}
	return n, nopt, nil
}
