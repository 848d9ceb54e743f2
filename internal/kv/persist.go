package kv

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"

	"github.com/longctx/longctx/internal/tensor"
)

// A saved prefix is a sequence's keys and values in the block layout,
// with what is needed to check that it fits the model and cache loading
// it:
//
//	magic      8 bytes "LCTXKV\x00\x00"
//	version    u32 (prefixVersion)
//	layers, KV heads, head size, element type, block size   u32 each
//	positions  u64
//	fingerprint: u32 length (at most maxFingerprint), bytes
//	tokens:    u32 count (0 or positions), i32 each
//	header CRC u32 (Castagnoli, of everything above)
//	blocks     ceil(positions / block size) whole blocks
//	data CRC   u32 (of the blocks)
//
// Integers are little-endian. The fingerprint names the model (the
// caller's choice: a hash of the weights, say); a file made with another
// is refused, since its keys and values mean nothing to this one.
const (
	prefixMagic    = "LCTXKV\x00\x00"
	prefixVersion  = 1
	maxFingerprint = 4096
	// Bounds on a saved block, so a damaged header cannot make the loader
	// allocate without limit.
	maxSavedBlock      = 1 << 16
	maxSavedBlockBytes = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrPrefixMismatch is wrapped by the errors of a saved prefix that does
// not fit the cache loading it (shape, element type or model).
var ErrPrefixMismatch = errors.New("saved KV prefix does not match")

// writePrefix writes n positions held in blocks of layout l; block(i)
// returns block i's bytes.
func writePrefix(w io.Writer, l *layout, n int, fingerprint string, tokens []int32, block func(i int) ([]byte, error)) error {
	if len(fingerprint) > maxFingerprint {
		return fmt.Errorf("kv: model fingerprint of %d bytes is longer than %d", len(fingerprint), maxFingerprint)
	}
	if len(tokens) != 0 && len(tokens) != n {
		return fmt.Errorf("kv: %d tokens for %d saved positions", len(tokens), n)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	h := crc32.New(castagnoli)
	hw := io.MultiWriter(bw, h)
	var hdr []byte
	hdr = append(hdr, prefixMagic...)
	for _, x := range []int{prefixVersion, l.layers, l.kvHeads, l.hd, int(l.typ), l.block} {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(x))
	}
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(n))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(fingerprint)))
	hdr = append(hdr, fingerprint...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(tokens)))
	for _, t := range tokens {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(t))
	}
	hw.Write(hdr)
	if err := binary.Write(bw, binary.LittleEndian, h.Sum32()); err != nil {
		return fmt.Errorf("kv: saving prefix: %w", err)
	}
	h.Reset()
	for i := 0; i*l.block < n; i++ {
		b, err := block(i)
		if err != nil {
			return err
		}
		hw.Write(b)
	}
	binary.Write(bw, binary.LittleEndian, h.Sum32())
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("kv: saving prefix: %w", err)
	}
	return nil
}

// prefixReader reads a saved prefix, checking every field before it is
// used and both checksums.
type prefixReader struct {
	r   io.Reader
	h   hash.Hash32
	err error
}

func (p *prefixReader) read(b []byte) {
	if p.err != nil {
		return
	}
	if _, err := io.ReadFull(p.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("file ends early")
		}
		p.err = err
		return
	}
	p.h.Write(b)
}

func (p *prefixReader) u32() uint32 {
	var b [4]byte
	p.read(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (p *prefixReader) u64() uint64 {
	var b [8]byte
	p.read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// checksum reads a stored CRC and compares it with what was read since
// the last one.
func (p *prefixReader) checksum(what string) {
	want := p.h.Sum32()
	got := p.u32()
	if p.err == nil && got != want {
		p.err = fmt.Errorf("%s checksum %08x, computed %08x: the file is corrupted", what, got, want)
	}
	p.h.Reset()
}

// savedPrefix is a parsed header.
type savedPrefix struct {
	l      layout // the file's layout
	n      int
	tokens []int32
}

// readPrefixHeader reads and checks the header against the cache's shape
// s, its capacity and the model fingerprint.
func readPrefixHeader(pr *prefixReader, s Shape, capacity int, fingerprint string) (savedPrefix, error) {
	var sp savedPrefix
	fail := func(err error) (savedPrefix, error) { return sp, fmt.Errorf("kv: loading prefix: %w", err) }
	magic := make([]byte, len(prefixMagic))
	pr.read(magic)
	if pr.err == nil && string(magic) != prefixMagic {
		return fail(errors.New("not a saved KV prefix (bad magic)"))
	}
	if v := pr.u32(); pr.err == nil && v != prefixVersion {
		return fail(fmt.Errorf("format version %d, this build reads %d", v, prefixVersion))
	}
	var f [5]uint32
	for i := range f {
		f[i] = pr.u32()
	}
	n := pr.u64()
	if pr.err != nil {
		return fail(pr.err)
	}
	file := Shape{Layers: int(f[0]), KVHeads: int(f[1]), HeadDim: int(f[2]), ElemType: tensor.Type(f[3]), Ctx: s.Ctx}
	if file.Layers != s.Layers || file.KVHeads != s.KVHeads || file.HeadDim != s.HeadDim || file.ElemType != s.ElemType {
		return fail(fmt.Errorf("%w: file has %d layers, %d KV heads of %d, %s; the cache %d, %d of %d, %s", ErrPrefixMismatch,
			file.Layers, file.KVHeads, file.HeadDim, file.ElemType, s.Layers, s.KVHeads, s.HeadDim, s.ElemType))
	}
	block := int(f[4])
	if block <= 0 || block > maxSavedBlock || block%groupLen != 0 {
		return fail(fmt.Errorf("bad block size %d", f[4]))
	}
	if n > uint64(capacity) {
		return fail(fmt.Errorf("%w: %d positions, the cache holds %d", ErrPrefixMismatch, n, capacity))
	}
	l, err := newLayout(file, block)
	if err != nil {
		return fail(err)
	}
	if l.blockBytes() > maxSavedBlockBytes {
		return fail(fmt.Errorf("blocks of %d bytes (at most %d)", l.blockBytes(), maxSavedBlockBytes))
	}
	sp.l, sp.n = l, int(n)
	fl := pr.u32()
	if pr.err == nil && fl > maxFingerprint {
		return fail(fmt.Errorf("model fingerprint of %d bytes (at most %d)", fl, maxFingerprint))
	}
	fp := make([]byte, min(fl, maxFingerprint))
	pr.read(fp)
	nt := pr.u32()
	if pr.err != nil {
		return fail(pr.err)
	}
	if nt != 0 && uint64(nt) != n {
		return fail(fmt.Errorf("%d tokens for %d positions", nt, n))
	}
	if nt > 0 {
		raw := make([]byte, 4*int(nt))
		pr.read(raw)
		sp.tokens = make([]int32, nt)
		for i := range sp.tokens {
			sp.tokens[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	pr.checksum("header")
	if pr.err != nil {
		return fail(pr.err)
	}
	// Checked after the checksum: a corrupted fingerprint is corruption.
	if !bytes.Equal(fp, []byte(fingerprint)) {
		return fail(fmt.Errorf("%w: saved for model %q, not %q", ErrPrefixMismatch, fp, fingerprint))
	}
	return sp, nil
}

// readPrefixBlocks hands each saved block to put, then checks the data
// checksum. put must not keep the buffer.
func readPrefixBlocks(pr *prefixReader, sp savedPrefix, put func(i int, data []byte) error) error {
	buf := make([]byte, sp.l.blockBytes())
	for i := 0; i*sp.l.block < sp.n; i++ {
		pr.read(buf)
		if pr.err != nil {
			return fmt.Errorf("kv: loading prefix: block %d: %w", i, pr.err)
		}
		if err := put(i, buf); err != nil {
			return err
		}
	}
	pr.checksum("data")
	if pr.err != nil {
		return fmt.Errorf("kv: loading prefix: %w", pr.err)
	}
	// Bytes after the checksum mean a file that is not what was saved.
	if n, _ := pr.r.Read(make([]byte, 1)); n > 0 {
		return errors.New("kv: loading prefix: data after the end of the saved prefix")
	}
	return nil
}

// copyPositions copies positions [from, to) of every tile from a block of
// layout src (holding positions from srcFirst) into dst, a block of layout
// l holding positions from dstFirst. Both layouts share the element type
// and head size, so positions are copied byte for byte.
func (l *layout) copyPositions(dst []byte, dstFirst int, src *layout, srcBlock []byte, srcFirst, from, to int) {
	if src.block == l.block && dstFirst == srcFirst && from == dstFirst && to == dstFirst+l.block {
		copy(dst, srcBlock)
		return
	}
	for i := 0; i < l.layers*l.kvHeads; i++ {
		dt := dst[i*l.tileBytes : (i+1)*l.tileBytes]
		st := srcBlock[i*src.tileBytes : (i+1)*src.tileBytes]
		for t := from; t < to; t++ {
			l.copyKeyPos(dt, t-dstFirst, st, t-srcFirst)
			l.copyValuePosFrom(dt, t-dstFirst, st, src.vOff, t-srcFirst)
		}
	}
}

// Save writes the sequence's positions (and, if given, the tokens they
// hold, one per position) for a later Load with the same fingerprint.
func (s *Seq) Save(w io.Writer, fingerprint string, tokens []int32) error {
	p := s.p
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := s.usable(); err != nil {
		return err
	}
	buf := make([]byte, p.l.blockBytes())
	return writePrefix(w, &p.l, s.n, fingerprint, tokens, func(i int) ([]byte, error) {
		return p.blockPart(s.table[i], 0, p.l.blockBytes(), buf)
	})
}

// Load reads a prefix saved by Save (from any cache of the same shape and
// element type, any block size) into a new sequence, and returns it with
// the saved tokens (nil if none were saved). A file that does not fit or
// is damaged gives an error, never a partial sequence.
func (p *Pool) Load(r io.Reader, fingerprint string) (*Seq, []int32, error) {
	pr := &prefixReader{r: r, h: crc32.New(castagnoli)}
	sp, err := readPrefixHeader(pr, p.shape, p.shape.Ctx, fingerprint)
	if err != nil {
		return nil, nil, err
	}
	s := p.NewSeq()
	err = readPrefixBlocks(pr, sp, func(i int, data []byte) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			return errClosed
		}
		first, last := i*sp.l.block, min(sp.n, (i+1)*sp.l.block)
		B := p.l.block
		for t := first; t < last; {
			b := t / B
			if b == len(s.table) {
				id, err := p.alloc(nil)
				if err != nil {
					return err
				}
				p.blocks[id].sink = b == 0
				s.table = append(s.table, id)
			}
			id := s.table[b]
			if err := p.load(id, nil); err != nil {
				return err
			}
			end := min(last, (b+1)*B)
			p.l.copyPositions(p.blocks[id].data, b*B, &sp.l, data, first, t, end)
			s.n = end
			t = end
		}
		return p.makeRoom(0, s.table[len(s.table)-1:])
	})
	if err == nil && s.n%p.l.block != 0 {
		// What followed the saved positions in their last block is not
		// this sequence's (see layout.clearValuePos).
		p.mu.Lock()
		last := len(s.table) - 1
		if err = p.load(s.table[last], nil); err == nil {
			s.clearValues(last, s.n, (last+1)*p.l.block)
		}
		p.mu.Unlock()
	}
	if err != nil {
		s.Free()
		return nil, nil, err
	}
	return s, sp.tokens, nil
}

// SaveFile is Save to a new file at path.
func (s *Seq) SaveFile(path, fingerprint string, tokens []int32) error {
	return saveFile(path, func(w io.Writer) error { return s.Save(w, fingerprint, tokens) })
}

// LoadFile is Load from the file at path.
func (p *Pool) LoadFile(path, fingerprint string) (*Seq, []int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("kv: %w", err)
	}
	defer f.Close()
	return p.Load(f, fingerprint)
}

// saveFile writes through a temporary file renamed into place, so a
// crash never leaves a half-written prefix under the name.
func saveFile(path string, save func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("kv: %w", err)
	}
	if err := save(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("kv: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("kv: %w", err)
	}
	return nil
}

// Save writes the cache's positions as Seq.Save does.
func (c *Contiguous) Save(w io.Writer, fingerprint string, tokens []int32) error {
	return writePrefix(w, &c.l, c.n, fingerprint, tokens, func(i int) ([]byte, error) { return c.blocks[i], nil })
}

// SaveFile is Save to a new file at path.
func (c *Contiguous) SaveFile(path, fingerprint string, tokens []int32) error {
	return saveFile(path, func(w io.Writer) error { return c.Save(w, fingerprint, tokens) })
}

// Load replaces the cache's contents with a saved prefix, as Pool.Load
// does, and returns the saved tokens. On error the cache is left empty.
func (c *Contiguous) Load(r io.Reader, fingerprint string) ([]int32, error) {
	c.Truncate(0)
	pr := &prefixReader{r: r, h: crc32.New(castagnoli)}
	sp, err := readPrefixHeader(pr, c.shape, c.shape.Ctx, fingerprint)
	if err != nil {
		return nil, err
	}
	B := c.l.block
	err = readPrefixBlocks(pr, sp, func(i int, data []byte) error {
		first, last := i*sp.l.block, min(sp.n, (i+1)*sp.l.block)
		for t := first; t < last; {
			b := t / B
			end := min(last, (b+1)*B)
			c.l.copyPositions(c.blocks[b], b*B, &sp.l, data, first, t, end)
			c.n = end
			t = end
		}
		return nil
	})
	if err != nil {
		c.Truncate(0)
		return nil, err
	}
	for t := c.n; t < min(c.shape.Ctx, (c.n+B-1)/B*B); t++ {
		blk := c.blocks[t/B]
		for i := 0; i < c.l.layers*c.l.kvHeads; i++ {
			c.l.clearValuePos(blk[i*c.l.tileBytes:(i+1)*c.l.tileBytes], t%B)
		}
	}
	return sp.tokens, nil
}

// LoadFile is Load from the file at path.
func (c *Contiguous) LoadFile(path, fingerprint string) ([]int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kv: %w", err)
	}
	defer f.Close()
	return c.Load(f, fingerprint)
}
