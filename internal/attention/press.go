package attention

import (
	"math"
	"slices"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// press is a kvpress-style prefill press for one layer. While the prompt
// is prefilled the layer attends densely and the press records what its
// score needs (snapkv: the last window queries; expected-attention: the
// mean and covariance of the un-rotated queries). At the layer's first
// single-token Attend (the first decode step) it scores the positions
// before it per KV head, keeps the best int(n·(1−ratio)) of them (or
// --budget when no ratio is set) and from then on attends, per query head,
// to its KV head's kept positions and every later position. Positions
// keep their places (kvpress's default, no re-rotation); evicted ones are
// masked, not freed.
//
// Scores (higher is kept), as kvpress:
//   - knorm: −‖k‖.
//   - streaming: the first sinks positions and the most recent ones.
//   - snapkv: attention of the last window queries (causal, softmax with
//     the model's scale) averaged over the window's rows, average-pooled
//     (kernel, zero padding counted) and averaged over the KV head's
//     query heads; the window itself is always kept.
//   - expected-attention: queries are modelled as a Gaussian (mean μ,
//     covariance Σ of the prompt's un-rotated queries after the sinks),
//     rotated by the mean RoPE rotation R̄ of the next future positions;
//     z_j = s·k_j·R̄μ + s²/2·k_jᵀR̄ΣR̄ᵀk_j (the log of E[exp(s·q·k)] for
//     s the attention scale, = kvpress's 1/√d and 1/(2d)), softmax over j,
//     averaged over the KV head's query heads, times ‖v_j‖ after adding
//     epsilon; the sinks are always kept.
//
// A truncation into the recorded prompt resets expected-attention's
// statistics (they are sums that cannot be taken apart).
type press struct {
	c      *maskCache
	name   string
	ratio  float64
	budget int
	sinks  int
	window int
	kernel int
	future int
	eps    float64

	win    []float32 // snapkv: recorded query rows (all heads), oldest first
	winPos []int
	mom    []moments // expected-attention: per query head
	momMax int       // one past the last position in mom

	done  bool
	P     int     // positions the press scored
	keep  [][]int // per KV head, ascending; nil: all kept
	spans headSpans
}

// moments are running sums of one head's un-rotated queries.
type moments struct {
	n     float64
	sum   []float64 // d
	outer []float64 // d·d
}

func newPress(c *maskCache, cfg Config, name string, s settings) *press {
	return &press{c: c, name: name, ratio: cfg.CompressionRatio, budget: cfg.Budget, sinks: s.sinks, window: s.window,
		kernel: cfg.PoolKernel, future: cfg.FuturePositions, eps: cfg.Epsilon}
}

func (p *press) bytes() int64 {
	b := int64(len(p.win)) * 4
	for _, m := range p.mom {
		b += int64(len(m.sum)+len(m.outer)) * 8
	}
	for _, k := range p.keep {
		b += int64(len(k)) * 8
	}
	return b
}

func (p *press) kept(g, stored int) int {
	if p.keep == nil {
		return stored
	}
	return len(p.keep[g]) + max(0, stored-p.P)
}

func (p *press) forget(n int) {
	if p.done {
		if n < p.P {
			for g, k := range p.keep {
				i, _ := slices.BinarySearch(k, n)
				p.keep[g] = k[:i]
			}
			p.P = n
		}
		return
	}
	w := p.c.info.Heads * p.c.info.HeadDim
	for len(p.winPos) > 0 && p.winPos[len(p.winPos)-1] >= n {
		p.winPos = p.winPos[:len(p.winPos)-1]
		p.win = p.win[:len(p.winPos)*w]
	}
	if n < p.momMax {
		p.mom, p.momMax = nil, 0
	}
}

func (p *press) attend(c *call) error {
	if !p.done {
		if !c.decoding() {
			if err := p.record(c); err != nil {
				return err
			}
			return c.dense()
		}
		if err := p.compress(c, c.pos); err != nil {
			return err
		}
	}
	if p.keep == nil {
		return c.dense()
	}
	T := c.pos + c.n
	group := c.c.info.Heads / c.c.info.KVHeads
	spans := p.spans.reset(c.nHead)
	for h := range spans {
		spans[h] = addRuns(spans[h], p.keep[h/group])
		spans[h] = addSpan(spans[h], p.P, T)
	}
	return c.sparse(spans)
}

// record keeps what the score will need from a prefill call.
func (p *press) record(c *call) error {
	w := c.nHead * c.hd
	switch p.name {
	case SnapKV:
		p.win = append(p.win, c.q[:c.n*w]...)
		for i := range c.n {
			p.winPos = append(p.winPos, c.pos+i)
		}
		if extra := len(p.winPos) - p.window; extra > 0 {
			p.win = append(p.win[:0], p.win[extra*w:]...)
			p.winPos = append(p.winPos[:0], p.winPos[extra:]...)
		}
	case ExpectedAttention:
		return p.accumulate(c)
	}
	return nil
}

// accumulate adds the call's queries after the sinks, un-rotated, to the
// moments.
func (p *press) accumulate(c *call) error {
	hd, w := c.hd, c.nHead*c.hd
	r0 := max(0, p.sinks-c.pos)
	m := c.n - r0
	if m <= 0 {
		return nil
	}
	if p.mom == nil {
		p.mom = make([]moments, c.nHead)
		for h := range p.mom {
			p.mom[h] = moments{sum: make([]float64, hd), outer: make([]float64, hd*hd)}
		}
	}
	rows := make([]float32, m*w)
	copy(rows, c.q[r0*w:c.n*w])
	for i := range m {
		c.c.info.Shifter.ShiftKeys(rows[i*w:(i+1)*w], c.nHead, hd, -(c.pos + r0 + i))
	}
	qt := make([]float32, hd*m) // one head's queries transposed: hd rows of m
	prod := make([]float32, hd*hd)
	for h := range c.nHead {
		mo := &p.mom[h]
		for i := range m {
			for j := range hd {
				x := rows[i*w+h*hd+j]
				qt[j*m+i] = x
				mo.sum[j] += float64(x)
			}
		}
		if err := tensor.MatMul(prod, f32Bytes(qt), tensor.F32, hd, m, qt, hd); err != nil {
			return err
		}
		for i, x := range prod {
			mo.outer[i] += float64(x)
		}
		mo.n += float64(m)
	}
	p.momMax = c.pos + c.n
	return nil
}

// compress scores positions [0, P) and keeps the best per KV head.
func (p *press) compress(c *call, P int) error {
	p.done, p.P = true, P
	keepN := min(P, p.budget)
	if p.ratio > 0 {
		keepN = int(float64(P) * (1 - p.ratio))
	}
	if keepN >= P {
		return nil
	}
	info := &c.c.info
	scores := make([][]float32, info.KVHeads)
	for g := range scores {
		scores[g] = make([]float32, P)
	}
	var ok bool
	var err error
	switch p.name {
	case KNorm:
		ok, err = true, p.knorm(c, scores)
	case Streaming:
		ok = true
		for _, s := range scores {
			for j := range s {
				if j < p.sinks || j >= P-(keepN-p.sinks) {
					s[j] = 1
				}
			}
		}
	case SnapKV:
		ok, err = p.snapKV(c, scores)
	case ExpectedAttention:
		ok, err = p.expected(c, scores)
	}
	p.win, p.winPos, p.mom = nil, nil, nil // recorded for the score only
	if err != nil || !ok {
		return err // without what the score needs, everything is kept
	}
	p.keep = make([][]int, info.KVHeads)
	var heap []int
	for g, s := range scores {
		k := topK(nil, &heap, s, keepN)
		slices.Sort(k)
		p.keep[g] = k
	}
	c.st.selections++
	return nil
}

func (p *press) knorm(c *call, scores [][]float32) error {
	hd := c.hd
	keys := make([]float32, p.P*hd)
	for g, s := range scores {
		if err := c.inner.ReadKeys(c.layer, g, 0, p.P, keys); err != nil {
			return err
		}
		for j := range s {
			k := keys[j*hd : (j+1)*hd]
			s[j] = -float32(math.Sqrt(float64(tensor.DotF32(k, k))))
		}
	}
	return nil
}

// snapKV scores by the observation window's attention. It reports false
// when the window has no recorded query or the prompt is no longer than
// the window.
func (p *press) snapKV(c *call, scores [][]float32) (bool, error) {
	P, hd, w := p.P, c.hd, c.nHead*c.hd
	// The recorded rows inside the window [P-window, P).
	r0 := 0
	for r0 < len(p.winPos) && p.winPos[r0] < P-p.window {
		r0++
	}
	rows, pos := p.win[r0*w:], p.winPos[r0:]
	m := len(pos)
	L := P - p.window
	if L <= 0 || m == 0 {
		return false, nil
	}
	info := &c.c.info
	group := info.Heads / info.KVHeads
	keys := make([]float32, P*hd)
	qh := make([]float32, m*hd)
	logits := make([]float32, m*P)
	acc := make([]float32, L)
	pooled := make([]float32, L)
	for g, s := range scores {
		if err := c.inner.ReadKeys(c.layer, g, 0, P, keys); err != nil {
			return false, err
		}
		for i := range group {
			h := g*group + i
			for r := range m {
				copy(qh[r*hd:(r+1)*hd], rows[r*w+h*hd:r*w+(h+1)*hd])
			}
			if err := tensor.MatMul(logits, f32Bytes(keys), tensor.F32, P, hd, qh, m); err != nil {
				return false, err
			}
			clear(acc)
			for r := range m {
				z := logits[r*P : r*P+pos[r]+1]
				for j := range z {
					z[j] *= c.scale
				}
				tensor.Softmax(z)
				for j := range L {
					acc[j] += z[j] / float32(m)
				}
			}
			avgPool(pooled, acc, p.kernel)
			for j := range L {
				s[j] += pooled[j] / float32(group)
			}
		}
		for j := L; j < P; j++ {
			s[j] = float32(math.Inf(1))
		}
	}
	return true, nil
}

// avgPool is PyTorch's avg_pool1d(kernel, stride 1, padding kernel/2)
// with the padding counted: dst[j] is the sum of s over [j−kernel/2,
// j+kernel/2] within s, over kernel. kernel is odd.
func avgPool(dst, s []float32, kernel int) {
	r := kernel / 2
	for j := range s {
		var sum float32
		for t := max(0, j-r); t <= min(len(s)-1, j+r); t++ {
			sum += s[t]
		}
		dst[j] = sum / float32(kernel)
	}
}

// expected scores by expected attention. It reports false when no query
// after the sinks was recorded.
func (p *press) expected(c *call, scores [][]float32) (bool, error) {
	if p.mom == nil || p.P <= p.sinks {
		return false, nil
	}
	info := &c.c.info
	hd, group, P := c.hd, info.Heads/info.KVHeads, p.P
	rbar := meanRotation(info.Shifter, hd, P, p.future)
	s := float64(c.scale)
	n := P - p.sinks
	keys := make([]float32, n*hd)
	vals := make([]float32, n*hd)
	mu := make([]float32, hd)
	cov := make([]float32, hd*hd)
	lin := make([]float32, n)
	kc := make([]float32, n*hd)
	z := make([]float32, n)
	for g, sc := range scores {
		if err := c.inner.ReadKeys(c.layer, g, p.sinks, P, keys); err != nil {
			return false, err
		}
		if err := c.inner.ReadValues(c.layer, g, p.sinks, P, vals); err != nil {
			return false, err
		}
		vote := sc[p.sinks:]
		for i := range group {
			rotatedMoments(mu, cov, &p.mom[g*group+i], rbar, hd)
			if err := tensor.MatMul(lin, f32Bytes(keys), tensor.F32, n, hd, mu, 1); err != nil {
				return false, err
			}
			if err := tensor.MatMul(kc, f32Bytes(cov), tensor.F32, hd, hd, keys, n); err != nil {
				return false, err
			}
			for j := range n {
				quad := tensor.DotF32(keys[j*hd:(j+1)*hd], kc[j*hd:(j+1)*hd])
				z[j] = float32(s*float64(lin[j]) + s*s/2*float64(quad))
			}
			tensor.Softmax(z)
			for j := range n {
				vote[j] += z[j] / float32(group)
			}
		}
		for j := range n {
			v := vals[j*hd : (j+1)*hd]
			vote[j] = (vote[j] + float32(p.eps)) * float32(math.Sqrt(float64(tensor.DotF32(v, v))))
		}
		for j := range p.sinks {
			sc[j] = float32(math.Inf(1))
		}
	}
	return true, nil
}

// meanRotation is R̄ = mean over t in [from, from+count) of the RoPE
// rotation R(t), as the shifter applies it, row-major d×d.
func meanRotation(sh kv.KeyShifter, d, from, count int) []float64 {
	acc := make([]float64, d*d) // acc[i*d+r] = Σ_t (R(t) e_i)_r
	basis := make([]float32, d*d)
	for t := from; t < from+count; t++ {
		clear(basis)
		for i := range d {
			basis[i*d+i] = 1
		}
		sh.ShiftKeys(basis, d, d, t)
		for i, x := range basis {
			acc[i] += float64(x)
		}
	}
	r := make([]float64, d*d)
	for i := range d {
		for row := range d {
			r[row*d+i] = acc[i*d+row] / float64(count)
		}
	}
	return r
}

// rotatedMoments sets mu = R̄μ and cov = R̄ΣR̄ᵀ for a head's moments (μ
// the mean, Σ the covariance of its recorded queries).
func rotatedMoments(mu, cov []float32, m *moments, rbar []float64, d int) {
	mean := make([]float64, d)
	for i := range d {
		mean[i] = m.sum[i] / m.n
	}
	sigma := make([]float64, d*d)
	for i := range d {
		for j := range d {
			sigma[i*d+j] = m.outer[i*d+j]/m.n - mean[i]*mean[j]
		}
	}
	for r := range d {
		var x float64
		for i := range d {
			x += rbar[r*d+i] * mean[i]
		}
		mu[r] = float32(x)
	}
	tmp := make([]float64, d*d) // R̄Σ
	for r := range d {
		for j := range d {
			var x float64
			for i := range d {
				x += rbar[r*d+i] * sigma[i*d+j]
			}
			tmp[r*d+j] = x
		}
	}
	for r := range d {
		for c := range d {
			var x float64
			for j := range d {
				x += tmp[r*d+j] * rbar[c*d+j]
			}
			cov[r*d+c] = float32(x)
		}
	}
}
