package observe

import (
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// Geometry is the attention shape of a model.
type Geometry struct {
	Layers, Heads, KVHeads, HeadDim int
}

func (g Geometry) validate() error {
	if g.Layers <= 0 || g.Heads <= 0 || g.KVHeads <= 0 || g.HeadDim <= 0 || g.Heads%g.KVHeads != 0 {
		return fmt.Errorf("observe: bad attention geometry %+v", g)
	}
	return nil
}

// KeyReader reads back stored (rotated) keys; kv.Selective caches have it.
type KeyReader interface {
	ReadKeys(layer, kvHead, from, to int, dst []float32) error
}

// Reducer aggregates attention rows as the observer produces them.
type Reducer interface {
	// Observe receives the attention probabilities of the query at position
	// row in (layer, head): probs[i] is the weight of key position col0+i.
	// The slice is reused after Observe returns.
	Observe(layer, head, row, col0 int, probs []float32)
}

// Observer is a kv.Cache that passes everything to its inner cache and
// reports the attention of the watched query rows over the watched key
// columns to a Reducer.
type Observer struct {
	inner      kv.Cache
	keys       KeyReader
	geo        Geometry
	red        Reducer
	rows, cols kv.Span
	// roundQ mirrors an f16 cache, which rounds queries to f16 before the
	// scores, so the observed probabilities are the ones the cache used.
	roundQ bool
	kbuf   []float32
	scores []float32
	probs  []float32
	exps   []float64
	q16    []uint16
	qr     []float32
}

// New wraps inner. keys reads the keys inner stores (usually inner itself,
// or the base cache under other wrappers). Nothing is watched until Watch.
func New(inner kv.Cache, keys KeyReader, g Geometry, red Reducer) (*Observer, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if inner == nil || keys == nil || red == nil {
		return nil, fmt.Errorf("observe: New needs a cache, a key reader and a reducer")
	}
	o := &Observer{inner: inner, keys: keys, geo: g, red: red}
	if s, ok := keys.(interface{ Shape() kv.Shape }); ok && s.Shape().ElemType == tensor.F16 {
		o.roundQ = true
		o.q16 = make([]uint16, g.HeadDim)
		o.qr = make([]float32, g.HeadDim)
	}
	return o, nil
}

// Watch sets the query positions whose attention is reported and the key
// positions reported for each; an empty rows span watches nothing.
func (o *Observer) Watch(rows, cols kv.Span) {
	o.rows, o.cols = rows, cols
}

func (o *Observer) Store(layer, pos int, k, v []float32, n int) error {
	return o.inner.Store(layer, pos, k, v, n)
}

func (o *Observer) Len() int       { return o.inner.Len() }
func (o *Observer) Truncate(n int) { o.inner.Truncate(n) }
func (o *Observer) Capacity() int  { return o.inner.Capacity() }
func (o *Observer) Bytes() int64   { return o.inner.Bytes() }

// RowIndependent implements kv.RowIndependent as the inner cache does. The
// model then runs its last layer only for rows whose outputs it returns, so
// watched rows must be among those (logits wanted for them).
func (o *Observer) RowIndependent() bool { return kv.IsRowIndependent(o.inner) }

// Attend computes attention with the inner cache, then observes the
// watched rows among pos..pos+n-1.
func (o *Observer) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	if err := o.inner.Attend(layer, pos, q, n, nHead, scale, out); err != nil {
		return err
	}
	from, to := max(pos, o.rows.From), min(pos+n, o.rows.To)
	if from >= to {
		return nil
	}
	g := o.geo
	hd := g.HeadDim
	if nHead != g.Heads {
		return fmt.Errorf("observe: attend with %d heads, geometry says %d", nHead, g.Heads)
	}
	if layer < 0 || layer >= g.Layers {
		return fmt.Errorf("observe: layer %d out of range", layer)
	}
	seen := to // keys 0..to-1 are visible to the last watched row
	if cap(o.kbuf) < seen*hd {
		o.kbuf = make([]float32, seen*hd)
		o.scores = make([]float32, seen)
		o.probs = make([]float32, seen)
		o.exps = make([]float64, seen)
	}
	keys := o.kbuf[:seen*hd]
	group := g.Heads / g.KVHeads
	for kvh := 0; kvh < g.KVHeads; kvh++ {
		if err := o.keys.ReadKeys(layer, kvh, 0, seen, keys); err != nil {
			return fmt.Errorf("observe: %w", err)
		}
		for h := kvh * group; h < (kvh+1)*group; h++ {
			for row := from; row < to; row++ {
				qv := q[((row-pos)*nHead+h)*hd : ((row-pos)*nHead+h+1)*hd]
				o.observeRow(layer, h, row, qv, keys, scale)
			}
		}
	}
	return nil
}

// observeRow computes one head's softmax over keys 0..row and passes the
// watched columns to the reducer.
func (o *Observer) observeRow(layer, h, row int, qv, keys []float32, scale float32) {
	hd := o.geo.HeadDim
	if o.roundQ {
		tensor.F32ToF16Slice(o.q16, qv)
		for i, b := range o.q16 {
			o.qr[i] = tensor.F16ToF32(b)
		}
		qv = o.qr
	}
	n := row + 1
	scores := o.scores[:n]
	tensor.DotsF32(scores, qv, keys, hd)
	maxs := math.Inf(-1)
	for j, s := range scores {
		s *= scale
		scores[j] = s
		maxs = max(maxs, float64(s))
	}
	// Each exponential once, in float64, kept for the watched columns.
	c0, c1 := max(0, o.cols.From), min(n, o.cols.To)
	exps := o.exps[:n]
	var sum float64
	for j, s := range scores {
		e := math.Exp(float64(s) - maxs)
		exps[j] = e
		sum += e
	}
	if c0 >= c1 {
		return
	}
	probs := o.probs[:c1-c0]
	for j := c0; j < c1; j++ {
		probs[j-c0] = float32(exps[j] / sum)
	}
	o.red.Observe(layer, h, row, c0, probs)
}
