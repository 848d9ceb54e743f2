package kv

import (
	"fmt"
	"math"
	"sync"
)

// KeyScorer is a cache that scores its stored keys against queries on the
// attention score kernels, reading the keys where they are stored (no
// conversion to float32 rows first). Sparse-attention policies use it to
// score candidate blocks exactly.
type KeyScorer interface {
	// SpanMaxDots sets dst[i] to the largest dot product of any of the
	// rows query rows in q (rows × HeadDim floats) with any key of
	// kvHead in spans[i] (spans sorted and disjoint; -Inf for an empty
	// one). Safe for concurrent use with other readers. What it reads is
	// not counted in Stats.Read (attention's reads): callers count it.
	SpanMaxDots(layer, kvHead int, spans []Span, q []float32, rows int, dst []float32) error
}

// spanDotsScratch is one call's padded queries, scores and read buffer.
type spanDotsScratch struct {
	q, out []float32
	buf    []byte
}

var spanDotsPool sync.Pool

// spanDotsAhead is how many spans ahead spanMaxDots prefetches.
const spanDotsAhead = 4

// spanMaxDots implements SpanMaxDots over any tileReader with kernels k.
// The keys of the spans a few ahead are prefetched while one is scored:
// scattered short runs otherwise each wait for memory.
func spanMaxDots(l *layout, k kernelSet, src tileReader, stored, layer, kvHead int, spans []Span, q []float32, rows int, dst []float32) error {
	if layer < 0 || layer >= l.layers || kvHead < 0 || kvHead >= l.kvHeads {
		return fmt.Errorf("kv: key scores of layer %d, KV head %d out of range", layer, kvHead)
	}
	prev := 0
	for _, sp := range spans {
		if sp.From < prev || sp.To < sp.From || sp.To > stored {
			return fmt.Errorf("kv: key scores of span [%d, %d) (unsorted, overlapping or past the %d positions stored)", sp.From, sp.To, stored)
		}
		prev = sp.To
	}
	if rows < 1 || len(q) < rows*l.hd || len(dst) < len(spans) {
		return fmt.Errorf("kv: key scores of %d query rows (%d floats) for %d spans into %d floats", rows, len(q), len(spans), len(dst))
	}
	s, _ := spanDotsPool.Get().(*spanDotsScratch)
	if s == nil {
		s = new(spanDotsScratch)
	}
	defer spanDotsPool.Put(s)
	s.q = grow32(s.q, quad*l.hd)
	s.out = grow32(s.out, quad*l.block)
	if n := l.block / groupLen * l.groupK; len(s.buf) < n {
		s.buf = make([]byte, n)
	}
	// piece cuts a span at block boundaries: block b, groups [g0, g1).
	piece := func(t, to int) (b, end, g0, g1 int) {
		b = t / l.block
		end = min(to, (b+1)*l.block)
		return b, end, (t - b*l.block) / groupLen, (end - b*l.block + groupLen - 1) / groupLen
	}
	warm := func(si int) {
		if si < len(spans) && spans[si].From < spans[si].To {
			b, _, g0, g1 := piece(spans[si].From, spans[si].To)
			src.warm(layer, kvHead, b, g0, g1, false)
		}
	}
	for i := range spans {
		dst[i] = float32(math.Inf(-1))
	}
	for r0 := 0; r0 < rows; r0 += quad {
		nr := min(quad, rows-r0)
		copy(s.q, q[r0*l.hd:(r0+nr)*l.hd])
		clear(s.q[nr*l.hd:])
		for si := range min(len(spans), spanDotsAhead) {
			warm(si)
		}
		for si, sp := range spans {
			warm(si + spanDotsAhead)
			for t := sp.From; t < sp.To; {
				b, end, g0, g1 := piece(t, sp.To)
				keys, err := src.keys(layer, kvHead, b, g0, g1, s.buf)
				if err != nil {
					return err
				}
				ng := g1 - g0
				os := ng * groupLen
				k.scores(s.q, keys, ng, l.hd, s.out, os, 1)
				base := b*l.block + g0*groupLen
				for r := range nr {
					dst[si] = max(dst[si], maxOf(s.out[r*os+t-base:r*os+end-base]))
				}
				t = end
			}
		}
	}
	return nil
}

func grow32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// SpanMaxDots implements KeyScorer.
func (c *Contiguous) SpanMaxDots(layer, kvHead int, spans []Span, q []float32, rows int, dst []float32) error {
	return spanMaxDots(&c.l, c.att.k, c, c.n, layer, kvHead, spans, q, rows, dst)
}

// SpanMaxDots implements KeyScorer; spilled blocks are read from the file.
func (s *Seq) SpanMaxDots(layer, kvHead int, spans []Span, q []float32, rows int, dst []float32) error {
	p := s.p
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := s.usable(); err != nil {
		return err
	}
	return spanMaxDots(&p.l, p.att.k, s, s.n, layer, kvHead, spans, q, rows, dst)
}
