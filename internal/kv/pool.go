package kv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
)

// KeyShifter re-positions stored keys: the model rotates keys by their
// position (RoPE) before storing them, so moving a key from position p to
// p+delta means rotating it by delta more. k holds rows of nKVHeads·headDim
// floats; every row is shifted by delta.
type KeyShifter interface {
	ShiftKeys(k []float32, nKVHeads, headDim, delta int)
}

// PoolOptions configures a Pool.
type PoolOptions struct {
	// BlockSize is the number of positions per block: a multiple of 16
	// that divides 1024 (16, 32, 64, 128, 256, 512, 1024) or a multiple of
	// 1024; 0 means 256. Block sizes up to 1024 give bit-identical results.
	BlockSize int
	// RAM is the most bytes of blocks held in memory; 0 means no limit.
	// Past it, the least recently written blocks are spilled to a file,
	// sequences' first blocks (attention sinks) last.
	RAM int64
	// SpillPath is the spill file: created (it must not exist) and
	// unlinked at once, so it only picks where the spilled blocks go;
	// empty means an anonymous temporary file.
	SpillPath string
	// Shifter re-rotates keys when Remove shifts positions.
	Shifter KeyShifter
}

// DefaultBlockSize is the number of positions of a block unless set.
const DefaultBlockSize = 256

// Pool is a store of fixed-size KV blocks shared by many sequences. Each
// sequence (Seq) maps its positions to blocks through a block table;
// sequences forked from one another share blocks until one of them writes
// to a shared block, which is then copied (copy on write). With a RAM
// budget, blocks over it are spilled to a file and attention reads them
// from there block by block.
//
// A Pool is safe for concurrent use by the sequences' goroutines: writes
// and table changes take the pool's lock, attention shares it.
type Pool struct {
	mu      sync.RWMutex
	shape   Shape // Ctx: the most positions of one sequence
	l       layout
	att     *attention
	codecs  sync.Pool
	shifter KeyShifter

	blocks   []*block
	freeIDs  []int
	spare    [][]byte // buffers of freed blocks, kept for reuse (counted as resident)
	ram      int64
	resident int64
	spill    *spillFile
	spillAt  string
	tick     uint64
	closed   bool
}

// block is one physical block.
type block struct {
	data []byte // nil when spilled
	slot int64  // spill file slot, or -1
	refs int    // sequences whose tables hold it
	used uint64 // pool tick of the last write, for eviction
	sink bool   // a sequence's first block: spilled last
}

// NewPool makes a pool for sequences of shape s (s.Ctx is the most
// positions one sequence may hold).
func NewPool(s Shape, o PoolOptions) (*Pool, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.RAM < 0 {
		return nil, fmt.Errorf("kv: negative RAM budget %d", o.RAM)
	}
	if b := o.BlockSize; b <= 0 || b%groupLen != 0 || chunkPositions%b != 0 && b%chunkPositions != 0 {
		return nil, fmt.Errorf("kv: block size %d must be a multiple of %d that divides %d or is a multiple of it", b, groupLen, chunkPositions)
	}
	l, err := newLayout(s, o.BlockSize)
	if err != nil {
		return nil, err
	}
	// The file is made at the first spill; an existing one is refused
	// now, not in the middle of a run.
	if o.SpillPath != "" {
		if _, err := os.Lstat(o.SpillPath); err == nil {
			return nil, fmt.Errorf("kv: spill file %s exists (give a path for a new file)", o.SpillPath)
		}
	}
	p := &Pool{shape: s, l: l, shifter: o.Shifter, ram: o.RAM, spillAt: o.SpillPath}
	p.att = newAttention(&p.l)
	p.codecs.New = func() any { return p.l.codec() }
	return p, nil
}

// Shape is the geometry of the pool's sequences.
func (p *Pool) Shape() Shape { return p.shape }

// BlockSize is the number of positions per block.
func (p *Pool) BlockSize() int { return p.l.block }

// BlockBytes is the size of one block.
func (p *Pool) BlockBytes() int64 { return int64(p.l.blockBytes()) }

// SetShifter sets what re-rotates keys when Remove shifts positions.
func (p *Pool) SetShifter(s KeyShifter) {
	p.mu.Lock()
	p.shifter = s
	p.mu.Unlock()
}

// SetRAM changes the RAM budget (0: no limit), spilling blocks over it
// now.
func (p *Pool) SetRAM(bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("kv: negative RAM budget %d", bytes)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ram = bytes
	return p.makeRoom(0, nil)
}

// Stats reports the pool's memory: Resident and Spilled bytes of all
// blocks (Read and Tokens are per sequence, see Seq.Stats).
func (p *Pool) Stats() Stats {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var spilled int64
	for _, b := range p.blocks {
		if b.refs > 0 && b.data == nil {
			spilled += int64(p.l.blockBytes())
		}
	}
	return Stats{Resident: p.resident, Spilled: spilled}
}

// Close releases the pool's memory and deletes its spill file. Sequences
// must not be used afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.blocks, p.freeIDs, p.spare, p.resident = nil, nil, nil, 0
	if p.spill != nil {
		err := p.spill.close()
		p.spill = nil
		return err
	}
	return nil
}

var errClosed = errors.New("kv: pool is closed")

// newBuffer returns a zeroed block buffer, counting it as resident.
// Callers have made room.
func (p *Pool) newBuffer() []byte {
	if n := len(p.spare); n > 0 {
		b := p.spare[n-1]
		p.spare = p.spare[:n-1]
		clear(b)
		return b
	}
	p.resident += int64(p.l.blockBytes())
	return make([]byte, p.l.blockBytes())
}

// alloc makes a new zeroed block with one reference.
func (p *Pool) alloc(keep []int) (int, error) {
	if err := p.makeRoom(int64(p.l.blockBytes()), keep); err != nil {
		return 0, err
	}
	b := &block{data: p.newBuffer(), slot: -1, refs: 1, used: p.tick}
	if n := len(p.freeIDs); n > 0 {
		id := p.freeIDs[n-1]
		p.freeIDs = p.freeIDs[:n-1]
		p.blocks[id] = b
		return id, nil
	}
	p.blocks = append(p.blocks, b)
	return len(p.blocks) - 1, nil
}

// release drops one reference to block id, freeing it at zero.
func (p *Pool) release(id int) {
	b := p.blocks[id]
	b.refs--
	if b.refs > 0 {
		return
	}
	if b.data != nil {
		if p.ram == 0 || p.resident <= p.ram {
			p.spare = append(p.spare, b.data)
		} else {
			p.resident -= int64(p.l.blockBytes())
		}
	} else if b.slot >= 0 {
		p.spill.free(b.slot)
	}
	p.blocks[id] = &block{slot: -1}
	p.freeIDs = append(p.freeIDs, id)
}

// makeRoom spills blocks until extra more bytes fit the budget, never
// spilling the blocks in keep. When nothing more can be spilled the
// budget is exceeded rather than failing a write.
func (p *Pool) makeRoom(extra int64, keep []int) error {
	if p.ram == 0 {
		return nil
	}
	bb := int64(p.l.blockBytes())
	for p.resident+extra > p.ram {
		if n := len(p.spare); n > 0 {
			p.spare = p.spare[:n-1]
			p.resident -= bb
			continue
		}
		// The least recently written block goes first; sequences' first
		// blocks (attention sinks, which sparse policies always read) go
		// last.
		victim := -1
		older := func(a, b *block) bool { return a.sink != b.sink && b.sink || a.sink == b.sink && a.used < b.used }
		for id, b := range p.blocks {
			if b.refs == 0 || b.data == nil || slices.Contains(keep, id) {
				continue
			}
			if victim < 0 || older(b, p.blocks[victim]) {
				victim = id
			}
		}
		if victim < 0 {
			return nil
		}
		if err := p.spillBlock(victim); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pool) spillBlock(id int) error {
	if p.spill == nil {
		f, err := openSpill(p.spillAt, int64(p.l.blockBytes()))
		if err != nil {
			return err
		}
		p.spill = f
	}
	b := p.blocks[id]
	slot, err := p.spill.put(b.data)
	if err != nil {
		return err
	}
	b.slot, b.data = slot, nil
	p.resident -= int64(p.l.blockBytes())
	return nil
}

// load brings a spilled block back into memory.
func (p *Pool) load(id int, keep []int) error {
	b := p.blocks[id]
	if b.data != nil {
		return nil
	}
	if err := p.makeRoom(int64(p.l.blockBytes()), keep); err != nil {
		return err
	}
	data := p.newBuffer()
	if err := p.spill.read(b.slot, 0, data); err != nil {
		p.spare = append(p.spare, data)
		return err
	}
	p.spill.free(b.slot)
	b.data, b.slot = data, -1
	return nil
}

// blockPart returns the bytes of block id: from memory, or read from the
// spill file into buf (off and n select a part).
func (p *Pool) blockPart(id, off, n int, buf []byte) ([]byte, error) {
	b := p.blocks[id]
	if b.data != nil {
		return b.data[off : off+n], nil
	}
	if err := p.spill.read(b.slot, int64(off), buf[:n]); err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// spillFile holds spilled blocks in fixed-size slots.
type spillFile struct {
	f         *os.File
	slotBytes int64
	slots     int64
	holes     []int64 // free slots
}

// openSpill creates the spill file: a new file at path (an existing one
// is refused, never truncated: it may be the model or a saved KV cache),
// or a temporary one. It is unlinked at once, so it disappears with the
// process and nothing is ever removed by name.
func openSpill(path string, slotBytes int64) (*spillFile, error) {
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "longctx-kv-*.spill")
	} else {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("kv: spill file %s exists (give a path for a new file)", path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("kv: spill file: %w", err)
	}
	os.Remove(f.Name())
	return &spillFile{f: f, slotBytes: slotBytes}, nil
}

func (s *spillFile) put(data []byte) (int64, error) {
	var slot int64
	if n := len(s.holes); n > 0 {
		slot = s.holes[n-1]
		s.holes = s.holes[:n-1]
	} else {
		slot = s.slots
		s.slots++
	}
	if _, err := s.f.WriteAt(data, slot*s.slotBytes); err != nil {
		s.holes = append(s.holes, slot)
		return 0, fmt.Errorf("kv: spilling a block: %w", err)
	}
	return slot, nil
}

func (s *spillFile) read(slot, off int64, dst []byte) error {
	if _, err := s.f.ReadAt(dst, slot*s.slotBytes+off); err != nil {
		return fmt.Errorf("kv: reading a spilled block: %w", err)
	}
	return nil
}

func (s *spillFile) free(slot int64) { s.holes = append(s.holes, slot) }

func (s *spillFile) close() error { return s.f.Close() }
