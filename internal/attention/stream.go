package attention

import (
	"errors"
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/kv"
)

// streamCache is StreamingLLM: the inner cache holds the first sinks
// positions and a recent window; when a store would not fit, the oldest
// window positions are evicted and the rest move back, their keys
// re-rotated by the model's KeyShifter. Positions are therefore indices
// inside the cache, as in the paper: the model rotates keys and queries
// for their true (logical) positions and the wrapper rotates them on by
// -shift to their place in the cache. The sinks never move; they are
// what a context shift keeps (the system prompt, with --sinks set to its
// length).
//
// Evicting one position per token would move the whole window every
// token, so the cache leaves room for shiftRoom(window) more positions and
// then evicts down to the window at once (llama.cpp's context shift also
// discards many at once). Until the next eviction, queries still attend
// to the sinks and the last window positions only, but their distance to
// the sinks grows by up to the room.
//
// A chunk of queries attends, as in StreamingLLM's reference, to the
// sinks and the positions from min(chunk start, chunk end - window) on,
// each only up to its own position.
type streamCache struct {
	inner         kv.Selective
	info          ModelInfo
	sinks, window int
	room          int // positions the inner cache is used for

	n     int // logical positions stored
	shift int // logical minus physical position of window positions

	stats   []layerStats
	meter   meterBase
	k, v, q []float32
	spans   headSpans
}

// shiftRoom is how many positions past the window sink+window fills
// before it evicts.
func shiftRoom(window int) int { return max(16, window/4) }

func newStreamCache(cfg Config, inner kv.Selective, info ModelInfo) (*streamCache, error) {
	s := cfg.settings(SinkWindow)
	if s.window < 1 {
		return nil, fmt.Errorf("attention: sink+window needs a window of at least 1 position (budget %d, sinks %d)", cfg.Budget, s.sinks)
	}
	room := min(inner.Capacity(), s.sinks+s.window+shiftRoom(s.window))
	if info.Shifter == nil {
		return nil, errors.New("attention: sink+window needs the model's key shifter")
	}
	if inner.Len() > room {
		return nil, fmt.Errorf("attention: sink+window cannot take over a cache already holding %d positions (room for %d)", inner.Len(), room)
	}
	return &streamCache{inner: inner, info: info, sinks: s.sinks, window: s.window, room: room,
		n: inner.Len(), stats: make([]layerStats, info.Layers), meter: newMeterBase(inner)}, nil
}

func (c *streamCache) Len() int { return c.n }

// Capacity is unbounded when the inner cache holds the sinks and the
// window (the stream evicts to make room); else the inner cache's (it
// never fills up enough to evict).
func (c *streamCache) Capacity() int {
	if c.room < c.sinks+c.window {
		return c.inner.Capacity()
	}
	return math.MaxInt32
}
func (c *streamCache) Bytes() int64 { return c.inner.Bytes() }

// phys is where logical position p lives in the inner cache (below sinks
// for an evicted one).
func (c *streamCache) phys(p int) int {
	if p < c.sinks {
		return p
	}
	return p - c.shift
}

func (c *streamCache) evictedPos(p int) bool { return p >= c.sinks && p-c.shift < c.sinks }

// Truncate forgets logical positions from m on. Truncating into the
// evicted positions keeps the sinks below m; the next position stored
// then goes right after them.
func (c *streamCache) Truncate(m int) {
	switch {
	case m >= c.n:
		return
	case m <= c.sinks:
		c.inner.Truncate(m)
		c.shift = 0
	case m-c.shift >= c.sinks:
		c.inner.Truncate(m - c.shift)
	default:
		c.inner.Truncate(c.sinks)
		c.shift = m - c.sinks
	}
	c.n = m
}

// Store implements kv.Cache: it evicts before the first layer stores new
// positions that would not fit, then stores at the positions' places,
// keys rotated by -shift.
func (c *streamCache) Store(layer, pos int, k, v []float32, n int) error {
	if layer < 0 || layer >= c.info.Layers {
		return fmt.Errorf("attention: layer %d out of range", layer)
	}
	if pos < 0 || n < 0 || pos > c.n {
		return fmt.Errorf("attention: store of %d positions at %d after %d stored", n, pos, c.n)
	}
	if n == 0 {
		return nil
	}
	end := pos + n
	if c.evictedPos(pos) {
		return fmt.Errorf("attention: sink+window evicted position %d", pos)
	}
	if end > c.n {
		if err := c.makeRoom(pos, end); err != nil {
			return err
		}
		c.n = end
	}
	d := c.info.KVHeads * c.info.HeadDim
	if len(k) < n*d || len(v) < n*d {
		return fmt.Errorf("attention: store of %d positions needs %d floats, got %d keys, %d values", n, n*d, len(k), len(v))
	}
	if s := min(end, c.sinks); pos < s {
		if err := c.inner.Store(layer, pos, k, v, s-pos); err != nil {
			return err
		}
		k, v, pos = k[(s-pos)*d:], v[(s-pos)*d:], s
	}
	if pos == end {
		return nil
	}
	if c.shift != 0 {
		c.k = grow(c.k, (end-pos)*d)
		copy(c.k, k[:(end-pos)*d])
		k = c.k
		for t := range end - pos {
			c.info.Shifter.ShiftKeys(k[t*d:(t+1)*d], c.info.KVHeads, c.info.HeadDim, -c.shift)
		}
	}
	return c.inner.Store(layer, pos-c.shift, k, v, end-pos)
}

// makeRoom evicts, when the new logical positions [pos, end) do not fit,
// every window position older than the chunk and the window its last
// query needs.
func (c *streamCache) makeRoom(pos, end int) error {
	if end <= c.sinks || end-c.shift <= c.room {
		return nil
	}
	keepFrom := max(min(pos, end-c.window), c.sinks+c.shift)
	e := keepFrom - (c.sinks + c.shift)
	if end-c.shift-e > c.room {
		return fmt.Errorf("attention: a chunk of %d positions does not fit sink+window's cache of %d (%d sinks + %d window + room to shift): use smaller batches",
			end-pos, c.room, c.sinks, c.window)
	}
	if e > 0 {
		if err := c.evict(e); err != nil {
			return err
		}
	}
	return nil
}

// evict drops the e oldest window positions and moves the others back,
// re-rotating their keys by -e.
func (c *streamCache) evict(e int) error {
	np := c.inner.Len()
	from := c.sinks + e
	m := np - from
	if m > 0 {
		d := c.info.KVHeads * c.info.HeadDim
		c.k, c.v = grow(c.k, m*d), grow(c.v, m*d)
		for layer := range c.info.Layers {
			if err := readRows(c.inner, layer, from, np, c.k, c.v); err != nil {
				return err
			}
			for t := range m {
				c.info.Shifter.ShiftKeys(c.k[t*d:(t+1)*d], c.info.KVHeads, c.info.HeadDim, -e)
			}
			if err := c.inner.Store(layer, c.sinks, c.k, c.v, m); err != nil {
				return err
			}
		}
	}
	c.inner.Truncate(c.sinks + m)
	c.shift += e
	return nil
}

// Attend implements kv.Cache over the sinks and the window.
func (c *streamCache) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	if layer < 0 || layer >= c.info.Layers {
		return fmt.Errorf("attention: layer %d out of range", layer)
	}
	hd := c.info.HeadDim
	if nHead != c.info.Heads || n < 0 || pos < 0 || pos+n > c.n || len(q) < n*nHead*hd || len(out) < n*nHead*hd {
		return fmt.Errorf("attention: %d queries of %d heads at %d over %d stored positions", n, nHead, pos, c.n)
	}
	if n == 0 {
		return nil
	}
	if c.evictedPos(pos) || (pos < c.sinks && c.shift != 0) {
		return fmt.Errorf("attention: queries at %d..%d reach evicted positions", pos, pos+n-1)
	}
	a := &call{inner: c.inner, st: &c.stats[layer], meter: &c.meter, layer: layer, pos: c.phys(pos), n: n, nHead: nHead, hd: hd, q: q, scale: scale, out: out}
	if c.shift != 0 {
		c.q = grow(c.q, n*nHead*hd)
		copy(c.q, q[:n*nHead*hd])
		for t := range n {
			c.info.Shifter.ShiftKeys(c.q[t*nHead*hd:(t+1)*nHead*hd], nHead, hd, -c.shift)
		}
		a.q = c.q
		a.hidden = c.shift // dense attention would have seen them too
	}
	lo := c.phys(max(min(pos, pos+n-c.window), c.sinks+c.shift))
	if lo <= c.sinks {
		return a.dense()
	}
	spans := c.spans.reset(nHead)
	for h := range spans {
		spans[h] = addSpan(spans[h], 0, c.sinks)
		spans[h] = addSpan(spans[h], lo, a.pos+n)
	}
	return a.sparse(spans)
}

// MaxChunk implements kv.ChunkBounded: a chunk is stored beside the sinks
// and the window it keeps, so it must fit the window.
func (c *streamCache) MaxChunk() int { return max(1, c.window) }

// Report implements Reporter.
func (c *streamCache) Report() Report {
	sh := c.inner.Shape()
	r := Report{Policy: SinkWindow, Tokens: c.meter.tokens}
	c.meter.fill(&r, c.inner)
	// The inner cache also holds room to shift into: positions it stores
	// that no query attends to any more are not kept.
	kept := min(c.inner.Len(), c.sinks+c.window)
	r.KeptBytes = int64(kept) * sh.PositionBytes()
	r.PolicyBytes = int64(len(c.k)+len(c.v)+len(c.q)) * 4
	for l := range c.stats {
		lr := c.stats[l].report(l)
		lr.Evicted = (c.n - kept) * sh.KVHeads
		r.Layers = append(r.Layers, lr)
	}
	return r
}
