package attention

import (
	"github.com/longctx/longctx/internal/kv"
)

// lambda is LM-Infinite's Λ-shaped mask for one layer: the query at
// position p attends to the first sinks positions and to the window
// positions p-window+1..p. With a ceiling, the RoPE distance to a sink is
// clamped to it: min(p-j, ceiling). Without one (hybrid's sink+window
// layers) it is the plain per-query sink+window mask with true positions.
//
// Keys are stored rotated for their positions, so to clamp a sink's
// distance its key is rewritten, rotated for position p-ceiling, for the
// queries that need it (they are attended one at a time then), and
// restored afterwards from a copy of the stored key. Sinks are few, so
// this costs two stores of sinks positions per such query. The restore
// writes back exactly what ReadKeys returned, which stores to the same
// bytes for every element type. (On a kv.Seq sharing its first block with
// a fork, the first rewrite copies that block, as any write does.)
//
// Queries whose window does not reach back to the sinks attend one per
// call, since each has its own window: exact, but a long prefill past the
// window loses the batching of the chunk's rows (decode is unaffected).
type lambda struct {
	sinks, window, ceiling int
	shifter                kv.KeyShifter
	spans                  headSpans

	// The layer's stored sink keys and values (rows of KVDim), read when
	// a distance is first clamped.
	pk, pv  []float32
	havePKV bool
	rot     []float32
}

func newLambda(sinks, window, ceiling int, shifter kv.KeyShifter) *lambda {
	return &lambda{sinks: sinks, window: window, ceiling: ceiling, shifter: shifter}
}

func (l *lambda) forget(n int) {
	if n < l.sinks {
		l.havePKV = false
	}
}

func (l *lambda) bytes() int64 { return int64(len(l.pk)+len(l.pv)+len(l.rot)) * 4 }

func (l *lambda) kept(_, stored int) int { return min(stored, l.sinks+l.window) }

// full tells whether the query at p sees every position at its true
// distance.
func (l *lambda) full(p int) bool {
	return p-l.window+1 <= l.sinks && (l.ceiling == 0 || p <= l.ceiling)
}

func (l *lambda) attend(c *call) error {
	r1 := 0
	for r1 < c.n && l.full(c.pos+r1) {
		r1++
	}
	if r1 == c.n {
		return c.dense()
	}
	if r1 > 0 {
		spans := l.spans.reset(c.nHead)
		for h := range spans {
			spans[h] = addSpan(spans[h], 0, c.pos+r1)
		}
		if err := c.rows(0, r1, spans); err != nil {
			return err
		}
	}
	rewritten := false
	for i := r1; i < c.n; i++ {
		p := c.pos + i
		if clamp := min(l.sinks, p-l.ceiling); l.ceiling > 0 && clamp > 0 {
			if err := l.rotateSinks(c, p, clamp); err != nil {
				return err
			}
			rewritten = true
		}
		spans := l.spans.reset(c.nHead)
		for h := range spans {
			spans[h] = addSpan(spans[h], 0, min(l.sinks, p+1))
			spans[h] = addSpan(spans[h], max(l.sinks, p-l.window+1), p+1)
		}
		if err := c.rows(i, i+1, spans); err != nil {
			return err
		}
	}
	if rewritten {
		// Back to the keys as stored.
		return c.inner.Store(c.layer, 0, l.pk, l.pv, l.sinks)
	}
	return nil
}

// rotateSinks rewrites the keys of sinks 0..m-1 rotated for position
// p-ceiling, so the query at p sees them at distance ceiling.
func (l *lambda) rotateSinks(c *call, p, m int) error {
	inner := c.inner
	sh := inner.Shape()
	d := sh.KVDim()
	if !l.havePKV {
		l.pk = grow(l.pk, l.sinks*d)
		l.pv = grow(l.pv, l.sinks*d)
		if err := readRows(inner, c.layer, 0, l.sinks, l.pk, l.pv); err != nil {
			return err
		}
		l.havePKV = true
	}
	l.rot = grow(l.rot, m*d)
	copy(l.rot, l.pk[:m*d])
	for j := range m {
		l.shifter.ShiftKeys(l.rot[j*d:(j+1)*d], sh.KVHeads, sh.HeadDim, p-l.ceiling-j)
	}
	return inner.Store(c.layer, 0, l.rot, l.pv, m)
}

// readRows reads positions [from, to) of a layer as rows of KVDim floats
// (every KV head), keys into k and, when v is not nil, values into v.
func readRows(inner kv.Selective, layer, from, to int, k, v []float32) error {
	sh := inner.Shape()
	hd, d, n := sh.HeadDim, sh.KVDim(), to-from
	buf := make([]float32, n*hd)
	for _, x := range []struct {
		dst  []float32
		read func(layer, kvHead, from, to int, dst []float32) error
	}{{k, inner.ReadKeys}, {v, inner.ReadValues}} {
		if x.dst == nil {
			continue
		}
		for g := range sh.KVHeads {
			if err := x.read(layer, g, from, to, buf); err != nil {
				return err
			}
			for t := range n {
				copy(x.dst[t*d+g*hd:t*d+(g+1)*hd], buf[t*hd:(t+1)*hd])
			}
		}
	}
	return nil
}

// grow returns s resized to n, reusing its storage when it is big enough.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		// Headroom: decode asks for one position more each step.
		return make([]float32, n, n+n/8)
	}
	return s[:n]
}
