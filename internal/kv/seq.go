package kv

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
)

// Seq is one sequence of a Pool: a block table and a length. It implements
// Cache, Selective and Meter, so the model runs on it as on a Contiguous
// cache, with the same results (same block size, same sums).
type Seq struct {
	p        *Pool
	table    []int // block ids, one per BlockSize positions
	n        int
	freed    bool
	tokens   atomic.Int64
	read     atomic.Int64
	diskRead atomic.Int64
}

// NewSeq starts an empty sequence.
func (p *Pool) NewSeq() *Seq { return &Seq{p: p} }

var errFreed = errors.New("kv: sequence was freed")

func (s *Seq) usable() error {
	if s.freed {
		return errFreed
	}
	if s.p.closed {
		return errClosed
	}
	return nil
}

func (s *Seq) Len() int {
	s.p.mu.RLock()
	defer s.p.mu.RUnlock()
	return s.n
}

func (s *Seq) Capacity() int { return s.p.shape.Ctx }
func (s *Seq) Shape() Shape  { return s.p.shape }

// Bytes is the size of the blocks the sequence uses (shared ones
// included).
// RowIndependent implements RowIndependent: attention is per row.
func (s *Seq) RowIndependent() bool { return true }

func (s *Seq) Bytes() int64 {
	s.p.mu.RLock()
	defer s.p.mu.RUnlock()
	return int64(len(s.table)) * int64(s.p.l.blockBytes())
}

// Stats implements Meter: the bytes of the sequence's blocks in memory
// and in the spill file (shared blocks counted in full), and what its
// attention read.
func (s *Seq) Stats() Stats {
	p := s.p
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := Stats{Read: s.read.Load(), ReadDisk: s.diskRead.Load(), Tokens: s.tokens.Load()}
	for _, id := range s.table {
		if p.blocks[id].data != nil {
			st.Resident += int64(p.l.blockBytes())
		} else {
			st.Spilled += int64(p.l.blockBytes())
		}
	}
	return st
}

// Fork starts a sequence that shares this one's first n positions. Their
// blocks are shared until either sequence writes to one.
func (s *Seq) Fork(n int) (*Seq, error) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if n < 0 || n > s.n {
		return nil, fmt.Errorf("kv: fork of %d positions from a sequence of %d", n, s.n)
	}
	c := &Seq{p: p, n: n, table: slices.Clone(s.table[:(n+p.l.block-1)/p.l.block])}
	for _, id := range c.table {
		p.blocks[id].refs++
	}
	return c, nil
}

// Free releases the sequence's blocks. The sequence cannot be used again.
func (s *Seq) Free() {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.freed || p.closed {
		s.freed = true
		return
	}
	for _, id := range s.table {
		p.release(id)
	}
	s.table, s.n, s.freed = nil, 0, true
}

// writable makes block b of the table the sequence's own (copying a
// shared block) and in memory, without spilling the blocks in keep.
func (s *Seq) writable(b int, keep []int) (int, error) {
	p := s.p
	id := s.table[b]
	if p.blocks[id].refs == 1 {
		return id, p.load(id, append(keep, id))
	}
	nid, err := p.alloc(append(keep, id))
	if err != nil {
		return 0, err
	}
	src, dst := p.blocks[id], p.blocks[nid]
	if src.data != nil {
		copy(dst.data, src.data)
	} else if err := p.spill.read(src.slot, 0, dst.data); err != nil {
		p.release(nid)
		return 0, err
	}
	p.release(id)
	s.table[b] = nid
	dst.sink = b == 0
	// What follows this sequence's positions in the copy is another
	// sequence's; start from zeros there as in a fresh block.
	s.clearValues(b, max(s.n, b*p.l.block), (b+1)*p.l.block)
	return nid, nil
}

// clearValues zeroes the values of positions [from, to) of table block b,
// which must be the sequence's own and in memory.
func (s *Seq) clearValues(b, from, to int) {
	l := &s.p.l
	data := s.p.blocks[s.table[b]].data
	for t := from; t < to; t++ {
		for i := 0; i < l.layers*l.kvHeads; i++ {
			l.clearValuePos(data[i*l.tileBytes:(i+1)*l.tileBytes], t-b*l.block)
		}
	}
}

func (s *Seq) Store(layer, pos int, k, v []float32, n int) error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if layer < 0 || layer >= p.shape.Layers {
		return fmt.Errorf("kv: layer %d out of range", layer)
	}
	if pos < 0 || n < 0 || pos+n > p.shape.Ctx {
		return fmt.Errorf("kv: positions %d..%d exceed the sequence limit of %d", pos, pos+n, p.shape.Ctx)
	}
	d := p.shape.KVDim()
	if len(k) < n*d || len(v) < n*d {
		return fmt.Errorf("kv: store of %d positions needs %d floats, got %d keys, %d values", n, n*d, len(k), len(v))
	}
	if pos > s.n {
		return fmt.Errorf("kv: store at position %d leaves a gap after %d", pos, s.n)
	}
	if n == 0 {
		return nil
	}
	B := p.l.block
	p.tick++
	var keep []int
	for b := pos / B; b <= (pos+n-1)/B; b++ {
		if b == len(s.table) {
			id, err := p.alloc(keep)
			if err != nil {
				return err
			}
			p.blocks[id].sink = b == 0
			s.table = append(s.table, id)
		}
		id, err := s.writable(b, keep)
		if err != nil {
			return err
		}
		keep = append(keep, id)
	}
	// An earlier block of the run may have been spilled to make room for
	// a later one only if it was not kept; all are in keep, so all are in
	// memory now.
	storeRows(&p.l, &p.codecs, func(t int) []byte { return p.blocks[s.table[t/B]].data }, layer, pos, k, v, n)
	for _, id := range keep {
		p.blocks[id].used = p.tick
	}
	s.n = max(s.n, pos+n)
	// Back within the budget, keeping the block being filled.
	return p.makeRoom(0, keep[len(keep)-1:])
}

// Truncate forgets positions from n on and frees the blocks past them.
func (s *Seq) Truncate(n int) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.usable() != nil {
		return
	}
	s.truncate(max(0, min(n, s.n)))
}

func (s *Seq) truncate(n int) {
	p := s.p
	B := p.l.block
	keepBlocks := (n + B - 1) / B
	if n%B != 0 {
		// The values past n in the last kept block are zeroed (see
		// layout.clearValuePos) if the block is the sequence's own and in
		// memory; otherwise they are another sequence's, or spilled, and
		// stay as they are.
		if b := p.blocks[s.table[n/B]]; b.refs == 1 && b.data != nil {
			s.clearValues(n/B, n, min(s.n, (n/B+1)*B))
		}
	}
	for _, id := range s.table[keepBlocks:] {
		p.release(id)
	}
	s.table = s.table[:keepBlocks]
	s.n = n
}

// Remove deletes positions [from, to) and moves the later ones back by
// to-from, re-rotating their keys with the pool's KeyShifter (needed
// unless to is the end). Values move byte for byte; a moved key of a
// q8_0 or q4_0 cache is quantized again after its rotation (one more
// rounding), of an f16 cache rounded again.
func (s *Seq) Remove(from, to int) error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if from < 0 || to < from || to > s.n {
		return fmt.Errorf("kv: remove of positions [%d, %d) from a sequence of %d", from, to, s.n)
	}
	d := to - from
	if d == 0 {
		return nil
	}
	if to == s.n {
		s.truncate(from)
		return nil
	}
	if p.shifter == nil {
		return errors.New("kv: removing positions before the end needs a KeyShifter to re-rotate the keys that move")
	}
	l := &p.l
	B, hd := l.block, l.hd
	newN := s.n - d
	cd := p.codecs.Get().(*rowCodec)
	defer p.codecs.Put(cd)
	keys := make([]float32, B*hd)
	p.tick++
	// One destination block at a time: its positions come from at most
	// two source blocks, so at most three blocks need to be in memory.
	for bd := from / B; bd*B < newN; bd++ {
		t0, t1 := max(from, bd*B), min(newN, (bd+1)*B)
		dstID, err := s.writable(bd, nil)
		if err != nil {
			return err
		}
		keep := []int{dstID}
		for b := (t0 + d) / B; b <= (t1-1+d)/B; b++ {
			if err := p.load(s.table[b], keep); err != nil {
				return err
			}
			keep = append(keep, s.table[b])
		}
		dst := p.blocks[dstID].data
		for layer := 0; layer < l.layers; layer++ {
			for h := 0; h < l.kvHeads; h++ {
				off := l.tileOff(layer, h)
				dt := dst[off : off+l.tileBytes]
				for t := t0; t < t1; t++ {
					src := p.blocks[s.table[(t+d)/B]].data[off : off+l.tileBytes]
					cd.key(src, (t+d)%B, keys[(t-t0)*hd:(t-t0+1)*hd])
					l.copyValuePos(dt, t%B, src, (t+d)%B)
				}
				p.shifter.ShiftKeys(keys[:(t1-t0)*hd], t1-t0, hd, -d)
				for t := t0; t < t1; t++ {
					cd.putKey(dt, t%B, keys[(t-t0)*hd:(t-t0+1)*hd])
				}
			}
		}
		p.blocks[dstID].used = p.tick
	}
	s.truncate(newN)
	return p.makeRoom(0, nil)
}

// Attend implements Cache.
func (s *Seq) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	return s.attend(&attendArgs{layer: layer, pos: pos, n: n, nHead: nHead, q: q, out: out, scale: scale})
}

// AttendSpans implements Selective, as Contiguous.AttendSpans.
func (s *Seq) AttendSpans(layer, pos int, q []float32, n, nHead int, scale float32, spans [][]Span, out []float32) error {
	if err := checkSpanLists(spans, nHead); err != nil {
		return err
	}
	return s.attend(&attendArgs{layer: layer, pos: pos, n: n, nHead: nHead, q: q, out: out, scale: scale, spans: spans})
}

func (s *Seq) attend(a *attendArgs) error {
	p := s.p
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := checkAttend(&p.l, a.layer, a.pos, a.n, a.nHead, s.n, a.q, a.out); err != nil {
		return err
	}
	if a.layer == 0 {
		s.tokens.Add(int64(a.n))
	}
	read, err := p.att.run(s, a)
	s.read.Add(read)
	return err
}

// keys implements tileReader.
func (s *Seq) keys(layer, kvHead, b, g0, g1 int, buf []byte) ([]byte, error) {
	l := &s.p.l
	return s.part(b, l.tileOff(layer, kvHead)+g0*l.groupK, (g1-g0)*l.groupK, buf)
}

// values implements tileReader.
func (s *Seq) values(layer, kvHead, b, g0, g1 int, buf []byte) ([]byte, error) {
	l := &s.p.l
	return s.part(b, l.tileOff(layer, kvHead)+l.vOff+g0*l.groupV, (g1-g0)*l.groupV, buf)
}

// warm implements tileReader: blocks in memory only (a spilled one is
// read when it is used).
func (s *Seq) warm(layer, kvHead, b, g0, g1 int, values bool) {
	l := &s.p.l
	data := s.p.blocks[s.table[b]].data
	if data == nil {
		return
	}
	off := l.tileOff(layer, kvHead)
	if values {
		prefetch(data[off+l.vOff+g0*l.groupV : off+l.vOff+g1*l.groupV])
	} else {
		prefetch(data[off+g0*l.groupK : off+g1*l.groupK])
	}
}

// part reads n bytes at off of table block b, counting what comes from
// the spill file.
func (s *Seq) part(b, off, n int, buf []byte) ([]byte, error) {
	id := s.table[b]
	if s.p.blocks[id].data == nil {
		s.diskRead.Add(int64(n))
	}
	return s.p.blockPart(id, off, n, buf)
}

// ReadKeys implements Selective.
func (s *Seq) ReadKeys(layer, kvHead, from, to int, dst []float32) error {
	return s.readRows(layer, kvHead, from, to, dst, (*rowCodec).key)
}

// ReadValues implements Selective.
func (s *Seq) ReadValues(layer, kvHead, from, to int, dst []float32) error {
	return s.readRows(layer, kvHead, from, to, dst, (*rowCodec).value)
}

func (s *Seq) readRows(layer, kvHead, from, to int, dst []float32, get func(*rowCodec, []byte, int, []float32)) error {
	p := s.p
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := checkRead(&p.l, layer, kvHead, from, to, s.n, dst); err != nil {
		return err
	}
	cd := p.codecs.Get().(*rowCodec)
	defer p.codecs.Put(cd)
	l := &p.l
	var buf []byte
	hd, B := l.hd, l.block
	for t := from; t < to; {
		b := t / B
		if p.blocks[s.table[b]].data == nil && buf == nil {
			buf = make([]byte, l.tileBytes)
		}
		tile, err := p.blockPart(s.table[b], l.tileOff(layer, kvHead), l.tileBytes, buf)
		if err != nil {
			return err
		}
		for ; t < to && t < (b+1)*B; t++ {
			get(cd, tile, t%B, dst[(t-from)*hd:(t-from+1)*hd])
		}
	}
	return nil
}
