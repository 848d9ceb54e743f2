package train

import (
	"errors"
	"fmt"
)

// Example is one training sequence. Weight[t] > 0 makes token t a loss
// target (predicted from the positions before it) with that weight;
// Weight[0] is ignored. The loss of a batch is the weighted mean over its
// targets.
type Example struct {
	Tokens []int32
	Weight []float32
}

// blockActs are one block's cached activations.
type blockActs struct {
	xin, h1, q, k, v, att, lse, xmid, h2, gate, up, act []float32
	inv1, inv2                                          []float32
}

// pass holds one batch's activations between Forward and Backward.
type pass struct {
	n       int
	tokens  []int32
	segs    []segment
	cs      []float32 // rope cos/sin per row
	blocks  []blockActs
	xL      []float32 // residual stream after the last block
	invF    []float32
	hf      []float32 // final-normed rows whose logits are computed
	outRows []int     // row of each logit row
	targets []int32   // target of each logit row (training)
	weights []float32 // loss weight of each logit row
	probs   []float32 // softmax of the logit rows
}

// checkExamples rejects tokens outside the vocabulary and empty sequences.
func (m *Model) checkExamples(ex []Example) error {
	if len(ex) == 0 {
		return errors.New("train: empty batch")
	}
	for i, e := range ex {
		if len(e.Tokens) == 0 {
			return fmt.Errorf("train: example %d is empty", i)
		}
		if e.Weight != nil && len(e.Weight) != len(e.Tokens) {
			return fmt.Errorf("train: example %d has %d tokens but %d weights", i, len(e.Tokens), len(e.Weight))
		}
		for _, w := range e.Weight {
			if !(w >= 0 && w < 1e6) {
				return fmt.Errorf("train: example %d has weight %g (want 0 <= w < 1e6)", i, w)
			}
		}
		for _, t := range e.Tokens {
			if t < 0 || int(t) >= m.Cfg.Vocab {
				return fmt.Errorf("train: example %d: token %d outside the vocabulary of %d", i, t, m.Cfg.Vocab)
			}
		}
	}
	return nil
}

// forward runs the batch. outRows are the rows whose logits are computed
// (nil: every row); the probabilities of those rows are left in p.probs
// and, when targets is set, the summed loss is returned.
func (m *Model) forward(ex []Example, outRows []int, targets []int32, weights []float32) (*pass, float64) {
	c := m.Cfg
	hd := c.HeadDim()
	qd, kd, E := c.Heads*hd, c.KVHeads*hd, c.Embd
	p := &pass{}
	for _, e := range ex {
		p.segs = append(p.segs, segment{p.n, len(e.Tokens)})
		p.n += len(e.Tokens)
		p.tokens = append(p.tokens, e.Tokens...)
	}
	n := p.n
	maxLen := 0
	for _, s := range p.segs {
		maxLen = max(maxLen, s.n)
	}
	tab := m.rope.table(maxLen)
	p.cs = make([]float32, 0, n*hd)
	for _, s := range p.segs {
		p.cs = append(p.cs, tab[:s.n*hd]...)
	}
	shape := attnShape{heads: c.Heads, kvHeads: c.KVHeads, hd: hd, segs: p.segs}

	x := make([]float32, n*E)
	for t, tok := range p.tokens {
		copy(x[t*E:(t+1)*E], m.Embd.W[int(tok)*E:(int(tok)+1)*E])
	}
	p.blocks = make([]blockActs, len(m.Blocks))
	for l, b := range m.Blocks {
		a := &p.blocks[l]
		a.xin = x
		a.h1, a.inv1 = make([]float32, n*E), make([]float32, n)
		rmsNorm(a.h1, a.inv1, x, b.AttnNorm.W, E, c.RMSEps)
		a.q, a.k, a.v = make([]float32, n*qd), make([]float32, n*kd), make([]float32, n*kd)
		linear(a.q, a.h1, b.Q, n)
		linear(a.k, a.h1, b.K, n)
		linear(a.v, a.h1, b.V, n)
		ropeRows(a.q, n, c.Heads, hd, p.cs, false)
		ropeRows(a.k, n, c.KVHeads, hd, p.cs, false)
		a.att, a.lse = make([]float32, n*qd), make([]float32, n*c.Heads)
		attention(a.att, a.lse, a.q, a.k, a.v, shape)
		a.xmid = make([]float32, n*E)
		linear(a.xmid, a.att, b.O, n)
		addTo(a.xmid, x)
		a.h2, a.inv2 = make([]float32, n*E), make([]float32, n)
		rmsNorm(a.h2, a.inv2, a.xmid, b.FFNNorm.W, E, c.RMSEps)
		a.gate, a.up, a.act = make([]float32, n*c.FFN), make([]float32, n*c.FFN), make([]float32, n*c.FFN)
		linear(a.gate, a.h2, b.Gate, n)
		linear(a.up, a.h2, b.Up, n)
		swiglu(a.act, a.gate, a.up)
		x = make([]float32, n*E)
		linear(x, a.act, b.Dn, n)
		addTo(x, a.xmid)
	}
	p.xL = x
	if outRows == nil {
		outRows = make([]int, n)
		for i := range outRows {
			outRows[i] = i
		}
	}
	p.outRows, p.targets, p.weights = outRows, targets, weights
	rows := make([]float32, len(outRows)*E)
	for r, t := range outRows {
		copy(rows[r*E:(r+1)*E], x[t*E:(t+1)*E])
	}
	p.hf, p.invF = make([]float32, len(rows)), make([]float32, len(outRows))
	rmsNorm(p.hf, p.invF, rows, m.OutNorm.W, E, c.RMSEps)
	p.probs = make([]float32, len(outRows)*c.Vocab)
	linear(p.probs, p.hf, m.Out, len(outRows))
	var loss float64
	if targets != nil {
		loss = crossEntropy(p.probs, targets, weights, c.Vocab)
	}
	return p, loss
}

func addTo(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// lossRows lists, over the packed batch, the rows that predict a target
// token, those tokens, their weights and the weights' sum.
func lossRows(ex []Example) (rows []int, targets []int32, weights []float32, sum float64) {
	base := 0
	for _, e := range ex {
		for t := 1; t < len(e.Tokens) && e.Weight != nil; t++ {
			if w := e.Weight[t]; w > 0 {
				rows = append(rows, base+t-1)
				targets = append(targets, e.Tokens[t])
				weights = append(weights, w)
				sum += float64(w)
			}
		}
		base += len(e.Tokens)
	}
	return rows, targets, weights, sum
}

// Logits returns the logits of every position of tokens (row-major
// [len(tokens)][Vocab]), as the inference engine would compute them.
func (m *Model) Logits(tokens []int32) ([]float32, error) {
	ex := []Example{{Tokens: tokens}}
	if err := m.checkExamples(ex); err != nil {
		return nil, err
	}
	p, _ := m.forward(ex, nil, nil, nil)
	return p.probs, nil
}

// Loss returns the weighted mean loss over the batch's targets without
// touching the gradients, and the number of targets.
func (m *Model) Loss(ex []Example) (float64, int, error) {
	if err := m.checkExamples(ex); err != nil {
		return 0, 0, err
	}
	rows, targets, weights, sum := lossRows(ex)
	if len(rows) == 0 {
		return 0, 0, errors.New("train: batch has no target tokens")
	}
	_, loss := m.forward(ex, rows, targets, weights)
	return loss / sum, len(rows), nil
}

// Backward runs the batch forward and backward, adding the gradient of the
// mean loss over all its targets to every tensor's G. It returns the mean
// loss and the number of targets.
func (m *Model) Backward(ex []Example) (float64, int, error) {
	if err := m.checkExamples(ex); err != nil {
		return 0, 0, err
	}
	rows, targets, weights, sum := lossRows(ex)
	if len(rows) == 0 {
		return 0, 0, errors.New("train: batch has no target tokens")
	}
	p, loss := m.forward(ex, rows, targets, weights)
	m.backward(p, 1/float32(sum))
	return loss / sum, len(rows), nil
}

// backward adds gradients for Σ weight·loss·scale (the probabilities,
// targets and weights in p).
func (m *Model) backward(p *pass, scale float32) {
	c := m.Cfg
	hd := c.HeadDim()
	qd, kd, E, n, V := c.Heads*hd, c.KVHeads*hd, c.Embd, p.n, c.Vocab
	// dlogits = (softmax − onehot)·scale, in place.
	dlog := p.probs
	for r, t := range p.targets {
		row := dlog[r*V : (r+1)*V]
		row[t] -= 1
		ws := p.weights[r] * scale
		for i := range row {
			row[i] *= ws
		}
	}
	R := len(p.outRows)
	dhf := make([]float32, R*E)
	linearBack(dhf, dlog, p.hf, m.Out, R)
	drows := make([]float32, R*E)
	rows := make([]float32, R*E)
	for r, t := range p.outRows {
		copy(rows[r*E:(r+1)*E], p.xL[t*E:(t+1)*E])
	}
	rmsNormBack(drows, m.OutNorm.G, dhf, rows, p.invF, m.OutNorm.W, E)
	dx := make([]float32, n*E)
	for r, t := range p.outRows {
		addTo(dx[t*E:(t+1)*E], drows[r*E:(r+1)*E])
	}
	shape := attnShape{heads: c.Heads, kvHeads: c.KVHeads, hd: hd, segs: p.segs}
	dmid := make([]float32, n*E)
	dh := make([]float32, n*E)
	dact := make([]float32, n*c.FFN)
	dgate, dup := make([]float32, n*c.FFN), make([]float32, n*c.FFN)
	datt := make([]float32, n*qd)
	dq, dk, dv := make([]float32, n*qd), make([]float32, n*kd), make([]float32, n*kd)
	part := make([]float32, 2*c.Heads*n*hd)
	for l := len(m.Blocks) - 1; l >= 0; l-- {
		b, a := m.Blocks[l], &p.blocks[l]
		// x = xmid + down(act): dx flows to dmid directly and through the FFN.
		copy(dmid, dx)
		clear(dact)
		linearBack(dact, dx, a.act, b.Dn, n)
		swigluBack(dgate, dup, dact, a.gate, a.up)
		clear(dh)
		linearBack(dh, dgate, a.h2, b.Gate, n)
		linearBack(dh, dup, a.h2, b.Up, n)
		rmsNormBack(dmid, b.FFNNorm.G, dh, a.xmid, a.inv2, b.FFNNorm.W, E)
		// xmid = xin + o(att).
		copy(dx, dmid)
		clear(datt)
		linearBack(datt, dmid, a.att, b.O, n)
		clear(dq)
		clear(dk)
		clear(dv)
		attentionBack(dq, dk, dv, datt, a.att, a.lse, a.q, a.k, a.v, shape, part)
		ropeRows(dq, n, c.Heads, hd, p.cs, true)
		ropeRows(dk, n, c.KVHeads, hd, p.cs, true)
		clear(dh)
		linearBack(dh, dq, a.h1, b.Q, n)
		linearBack(dh, dk, a.h1, b.K, n)
		linearBack(dh, dv, a.h1, b.V, n)
		rmsNormBack(dx, b.AttnNorm.G, dh, a.xin, a.inv1, b.AttnNorm.W, E)
	}
	for t, tok := range p.tokens {
		addTo(m.Embd.G[int(tok)*E:(int(tok)+1)*E], dx[t*E:(t+1)*E])
	}
}
