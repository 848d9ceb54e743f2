package kv

import (
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/tensor"
)

// Cache stores keys and values per layer and computes causal attention.
type Cache interface {
	// Store writes keys and values for n consecutive positions starting at
	// pos in layer. k and v hold n rows of KVDim() floats (keys already
	// rotated).
	Store(layer, pos int, k, v []float32, n int) error
	// Attend computes, for n queries at positions pos..pos+n-1, each head's
	// softmax(scale·q·Kᵀ)·V over positions 0..(own position), with grouped
	// query heads sharing a KV head. q and out hold n rows of nHead·headDim.
	Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error
	// Len is the number of positions stored (one past the highest).
	Len() int
	// Truncate forgets every position from n on.
	Truncate(n int)
	// Capacity is the most positions the cache can hold.
	Capacity() int
	// Bytes is the memory the cache holds.
	Bytes() int64
}

// Shape is the geometry of a cache.
type Shape struct {
	Layers   int
	Ctx      int // positions
	KVHeads  int
	HeadDim  int
	ElemType tensor.Type // F32, F16, Q8_0 or Q4_0 (the last two need HeadDim a multiple of 32)
}

// KVDim is the width of one position's keys (and values) in a layer.
func (s Shape) KVDim() int { return s.KVHeads * s.HeadDim }

// PositionBytes is what one position's keys and values take in every
// layer.
func (s Shape) PositionBytes() int64 {
	l, err := newLayout(s, groupLen)
	if err != nil {
		return 0
	}
	return l.posBytes()
}

// Bytes is what a contiguous cache of this shape holds (its context
// rounded up to whole blocks).
func (s Shape) Bytes() int64 {
	b := int64(contiguousBlockFor(s.Ctx))
	return (int64(s.Ctx) + b - 1) / b * b * s.PositionBytes()
}

func (s Shape) validate() error {
	if s.Layers <= 0 || s.Ctx <= 0 || s.KVHeads <= 0 || s.HeadDim <= 0 {
		return fmt.Errorf("kv: bad cache shape %+v", s)
	}
	if s.Layers > 1<<12 || s.KVHeads > 1<<12 || s.HeadDim > 1<<14 || s.Ctx > 1<<30 {
		return fmt.Errorf("kv: cache shape %+v too large", s)
	}
	if err := checkElemType(s.ElemType, s.HeadDim); err != nil {
		return err
	}
	if s.Bytes() <= 0 || s.Bytes() > math.MaxInt64/4 {
		return fmt.Errorf("kv: cache of %d positions overflows", s.Ctx)
	}
	return nil
}

// Stats is what a cache reports for policy and memory reports.
type Stats struct {
	Resident int64 // bytes of keys and values held in RAM
	Spilled  int64 // bytes held in the spill file
	Read     int64 // bytes of keys and values read by attention so far
	ReadDisk int64 // the part of Read that came from the spill file
	Tokens   int64 // query tokens attended so far (counted in layer 0)
}

// ReadPerToken is the average number of key/value bytes attention read
// per token.
func (s Stats) ReadPerToken() float64 {
	if s.Tokens == 0 {
		return 0
	}
	return float64(s.Read) / float64(s.Tokens)
}

// Meter is a cache that reports Stats.
type Meter interface {
	Stats() Stats
}

// RowIndependent is implemented by caches whose Attend result for a query
// row does not depend on which other rows are queried in the same call
// (plain storage, positional masks). For them the model computes its last
// layer only for the tokens whose outputs it returns: every token's key
// and value are still stored, but a prompt chunk's other rows skip the
// attention, output projection and feed-forward of that layer. Caches that
// look at a call's queries together (presses scoring the prompt's last
// queries) do not implement it, and wrappers answer for what they wrap.
type RowIndependent interface {
	RowIndependent() bool
}

// IsRowIndependent reports whether c implements RowIndependent and says so.
func IsRowIndependent(c Cache) bool {
	r, ok := c.(RowIndependent)
	return ok && r.RowIndependent()
}

// PromptSizer is a cache that acts when the prompt ends (a press
// compresses it, a policy clusters it) and wants its length before the
// prompt is stored; callers that know it say so with SetPromptLen.
type PromptSizer interface {
	SetPromptLen(n int)
}

// ChunkBounded is a cache that stores at most MaxChunk positions per call
// (sink+window keeps a chunk beside its window); callers cut their prompt
// chunks to it.
type ChunkBounded interface {
	MaxChunk() int
}

// Span is the half-open range of positions [From, To).
type Span struct{ From, To int }

// Selective is a Cache that can also attend over chosen positions only and
// let callers read what it stores. Attention policies (sparse attention,
// KV compression) and observers (traceback, retrieval heads) are built on
// it as wrappers around a Cache, so the model's forward pass never changes.
type Selective interface {
	Cache
	// AttendSpans is Attend restricted, for query head h, to the positions
	// in spans[h] (sorted, disjoint); each query still sees only positions
	// up to its own. len(spans) == nHead. With spans covering 0..pos+n-1 it
	// equals Attend exactly.
	AttendSpans(layer, pos int, q []float32, n, nHead int, scale float32, spans [][]Span, out []float32) error
	// ReadKeys copies the stored (rotated) keys of kvHead at positions
	// [from, to) into dst as (to-from) rows of HeadDim floats.
	ReadKeys(layer, kvHead, from, to int, dst []float32) error
	// ReadValues is ReadKeys for values.
	ReadValues(layer, kvHead, from, to int, dst []float32) error
	KeyScorer
	// Shape is the cache's geometry.
	Shape() Shape
}
