package attention

import (
	"fmt"

	"github.com/longctx/longctx/internal/kv"
)

// maskCache is a kv.Cache whose attention goes through a policy per layer,
// over an inner cache that keeps every position. Store passes through;
// Attend lets the layer's policy choose spans.
type maskCache struct {
	name   string
	inner  kv.Selective
	info   ModelInfo
	layers []layerPolicy
	stats  []layerStats
	meter  meterBase

	selectRead int64 // bytes policies read to choose (summaries, key mirrors)
	squeeze    *squeezeState
	promptLen  int // positions of the prompt, when the caller said (SetPromptLen)
}

// SetPromptLen implements kv.PromptSizer: calls at positions from n on
// are decoding. Without it a single-token call after position 0 is taken
// for the first decode step, which a prefill in one-token chunks is not.
func (c *maskCache) SetPromptLen(n int) { c.promptLen = n }

// layerPolicy is one layer's policy.
type layerPolicy interface {
	// attend computes the layer's attention for a call, through c.dense,
	// c.sparse or c.rows.
	attend(c *call) error
	// forget drops what the policy derived from positions n and later
	// (they were truncated or are being overwritten).
	forget(n int)
	// bytes is the memory the policy holds for the layer.
	bytes() int64
	// kept is the number of positions of kvHead the policy can still
	// attend to (fewer than stored once a press evicted some).
	kept(kvHead, stored int) int
}

func newCache(name string, inner kv.Selective, info ModelInfo) *maskCache {
	return &maskCache{
		name: name, inner: inner, info: info,
		layers: make([]layerPolicy, info.Layers),
		stats:  make([]layerStats, info.Layers),
		meter:  newMeterBase(inner),
	}
}

func (c *maskCache) Len() int      { return c.inner.Len() }
func (c *maskCache) Capacity() int { return c.inner.Capacity() }
func (c *maskCache) Bytes() int64  { return c.inner.Bytes() }

// Store implements kv.Cache.
func (c *maskCache) Store(layer, pos int, k, v []float32, n int) error {
	if layer < 0 || layer >= len(c.layers) {
		return fmt.Errorf("attention: layer %d out of range", layer)
	}
	if pos < c.inner.Len() {
		// Overwriting: what was derived from these positions is stale.
		c.layers[layer].forget(pos)
	}
	return c.inner.Store(layer, pos, k, v, n)
}

// Truncate implements kv.Cache.
func (c *maskCache) Truncate(n int) {
	c.inner.Truncate(n)
	for _, p := range c.layers {
		p.forget(n)
	}
}

// Attend implements kv.Cache through the layer's policy.
func (c *maskCache) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	if layer < 0 || layer >= len(c.layers) {
		return fmt.Errorf("attention: layer %d out of range", layer)
	}
	if nHead != c.info.Heads {
		return fmt.Errorf("attention: %d query heads, the model has %d", nHead, c.info.Heads)
	}
	hd := c.info.HeadDim
	if n < 0 || pos < 0 || pos+n > c.inner.Len() || len(q) < n*nHead*hd || len(out) < n*nHead*hd {
		return fmt.Errorf("attention: %d queries at %d over %d stored positions (q %d, out %d floats)", n, pos, c.inner.Len(), len(q), len(out))
	}
	if n == 0 {
		return nil
	}
	return c.layers[layer].attend(&call{c: c, inner: c.inner, st: &c.stats[layer], meter: &c.meter,
		layer: layer, pos: pos, n: n, nHead: nHead, hd: hd, q: q, scale: scale, out: out})
}

// call is one Attend of a layer.
type call struct {
	c          *maskCache // the masking wrapper (nil under sink+window)
	inner      kv.Selective
	st         *layerStats
	meter      *meterBase
	layer, pos int
	n, nHead   int
	hd         int
	q, out     []float32
	scale      float32
	hidden     int // positions before pos that the inner cache no longer holds
}

// decoding reports whether the call is past the prompt: presses compress
// and squeezed clusters at the first such call.
func (a *call) decoding() bool {
	if a.c != nil && a.c.promptLen > 0 {
		return a.pos >= a.c.promptLen
	}
	return a.n == 1 && a.pos > 0
}

// qRow is query row i (all heads).
func (a *call) qRow(i int) []float32 {
	w := a.nHead * a.hd
	return a.q[i*w : (i+1)*w]
}

// dense attends every row over every visible position.
func (a *call) dense() error {
	var vis float64
	for i := range a.n {
		vis += float64(a.pos + i + 1)
	}
	a.count(a.n, vis, vis)
	return a.inner.Attend(a.layer, a.pos, a.q, a.n, a.nHead, a.scale, a.out)
}

// sparse attends every row over spans[h] per query head.
func (a *call) sparse(spans [][]kv.Span) error {
	return a.rows(0, a.n, spans)
}

// rows attends rows r0..r1-1 over spans[h] per query head.
func (a *call) rows(r0, r1 int, spans [][]kv.Span) error {
	var att, vis float64
	for i := r0; i < r1; i++ {
		p := a.pos + i
		sum := 0
		for _, hs := range spans {
			sum += countUpTo(hs, p+1)
		}
		att += float64(sum) / float64(a.nHead)
		vis += float64(p + 1)
	}
	a.count(r1-r0, att, vis)
	w := a.nHead * a.hd
	return a.inner.AttendSpans(a.layer, a.pos+r0, a.q[r0*w:r1*w:r1*w], r1-r0, a.nHead, a.scale, spans, a.out[r0*w:r1*w:r1*w])
}

// count records rows attending to att positions of vis (sums over the
// rows of means over heads), plus hidden more visible positions (evicted
// ones dense attention would still see).
func (a *call) count(rows int, att, vis float64) {
	a.st.add(rows, att, vis+float64(rows)*float64(a.hidden), a.decoding())
	if a.layer == 0 {
		a.meter.tokens += int64(rows)
	}
}

// densePolicy attends everything.
type densePolicy struct{}

func (densePolicy) attend(c *call) error   { return c.dense() }
func (densePolicy) forget(int)             {}
func (densePolicy) bytes() int64           { return 0 }
func (densePolicy) kept(_, stored int) int { return stored }

// Report implements Reporter.
func (c *maskCache) Report() Report {
	sh := c.inner.Shape()
	r := Report{Policy: c.name, Tokens: c.meter.tokens}
	c.meter.fill(&r, c.inner)
	stored := c.inner.Len()
	perHead := float64(sh.PositionBytes()) / float64(sh.Layers*sh.KVHeads)
	var kept float64
	for l, p := range c.layers {
		r.PolicyBytes += p.bytes()
		lr := c.stats[l].report(l)
		for g := range sh.KVHeads {
			k := p.kept(g, stored)
			kept += float64(k)
			lr.Evicted += stored - k
		}
		r.Layers = append(r.Layers, lr)
	}
	r.KeptBytes = int64(kept * perHead)
	r.SelectBytes = c.selectRead
	return r
}
