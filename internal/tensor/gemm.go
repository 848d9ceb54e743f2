package tensor

import (
	"encoding/binary"
	"math"
	"sync"
	"unsafe"
)

// Prefill tiles: where the CPU has a register-blocked kernel for a weight
// type (tiledKernels, filled by architecture files), MatMul with several
// activation rows packs the quantized activations once into groups of
// tileTokens tokens and multiplies tileRows weight rows with one group per
// kernel call, so that every weight load serves tileTokens tokens and every
// activation load tileRows rows.
const (
	tileRows   = 8
	tileTokens = 8
)

// tileKernelFunc multiplies tileRows weight rows with one packed group of
// tileTokens activation rows over nsub sub-blocks and writes the products
// to out[row*tileTokens+token]. w points at the first quant of row 0; row
// r starts rowStride bytes further per row and a row's sub-blocks are
// subStride bytes apart. side holds, per sub-block, the rows' scales dw,
// min scales mw (as float32 bits) and int32 corr = 128*sum(quants).
type tileKernelFunc func(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

// tiledKernel is what the prefill path needs for one weight type.
type tiledKernel struct {
	sub    int  // quants per sub-block: 32 or 16
	hasMin bool // the kernel subtracts mw*sa (needs activation sums)
	kernel tileKernelFunc
	// prep fills p for the tileRows rows starting at w[0] (rows rowB bytes
	// apart, cols elements each): either pointing at the quants in place
	// or decoding them into p.quants.
	prep func(p *tilePrep, w []byte, rowB, cols int)
}

// tiledKernels is indexed by weight type; nil where there is no tiled kernel.
var tiledKernels [maxType]*tiledKernel

// minTiledTokens is the smallest batch worth packing: below it the
// per-row kernels waste fewer lanes than the tile kernel saves.
const minTiledTokens = 4

// tilePrep is one worker's view of a tile of weight rows.
type tilePrep struct {
	w                    unsafe.Pointer
	rowStride, subStride int
	quants               []byte   // decoded quants, tileRows rows of cols bytes
	side                 []uint32 // per sub-block: dw[8] mw[8] corr[8]
	out                  [tileRows * tileTokens]float32
}

var prepPool = sync.Pool{New: func() any { return new(tilePrep) }}

// sizeFor makes the buffers fit nsub sub-blocks of cols quants.
func (p *tilePrep) sizeFor(cols, nsub int) {
	if cap(p.quants) < tileRows*cols {
		p.quants = make([]byte, tileRows*cols)
	}
	p.quants = p.quants[:tileRows*cols]
	if cap(p.side) < 3*tileRows*nsub {
		p.side = make([]uint32, 3*tileRows*nsub)
	}
	p.side = p.side[:3*tileRows*nsub]
}

// setSide records row i's sub-block s.
func (p *tilePrep) setSide(s, i int, dw, mw float32, corr int32) {
	e := p.side[3*tileRows*s:]
	e[i] = math.Float32bits(dw)
	e[tileRows+i] = math.Float32bits(mw)
	e[2*tileRows+i] = uint32(corr)
}

// packedSubBytes is the size of one packed sub-block of a token group:
// sub/4 vectors of quants, then da[8] and sa[8] as float32.
func packedSubBytes(sub int) int { return sub*tileTokens + 2*4*tileTokens }

// packActs packs activation rows t0..t0+nt-1 (nt <= tileTokens; the rest of
// the group is zero) of the quantized activations act (type at, actB bytes
// a row, cols elements) into dst, laid out as the tile kernels read it.
func packActs(dst, act []byte, at Type, actB, cols, t0, nt, sub int, sums bool) {
	nsub := cols / sub
	stride := packedSubBytes(sub)
	for ti := 0; ti < tileTokens; ti++ {
		if ti >= nt {
			for s := 0; s < nsub; s++ {
				d := dst[s*stride:]
				for g := 0; g < sub/4; g++ {
					binary.LittleEndian.PutUint32(d[g*4*tileTokens+4*ti:], 0x80808080)
				}
				binary.LittleEndian.PutUint32(d[sub*tileTokens+4*ti:], 0)
				binary.LittleEndian.PutUint32(d[sub*tileTokens+4*tileTokens+4*ti:], 0)
			}
			continue
		}
		row := act[(t0+ti)*actB : (t0+ti+1)*actB]
		for s := 0; s < nsub; s++ {
			var q []byte
			var da float32
			var sum int32
			switch at {
			case Q8_0: // sub == 32: one block per sub-block
				blk := row[s*q8_0Bytes : (s+1)*q8_0Bytes]
				da, q = f16At(blk, 0), blk[2:]
				if sums {
					sum = sumInt8(q[:32])
				}
			default: // Q8_K
				per := QK_K / sub
				y := row[(s/per)*q8KBytes : (s/per+1)*q8KBytes]
				j := s % per
				da, q = f32At(y, 0), y[q8KQs+j*sub:]
				if sums {
					for k := j * sub / 16; k < (j+1)*sub/16; k++ {
						sum += int32(int16(binary.LittleEndian.Uint16(y[q8KBsums+2*k:])))
					}
				}
			}
			d := dst[s*stride:]
			for g := 0; g < sub/4; g++ {
				v := binary.LittleEndian.Uint32(q[4*g:]) ^ 0x80808080
				binary.LittleEndian.PutUint32(d[g*4*tileTokens+4*ti:], v)
			}
			binary.LittleEndian.PutUint32(d[sub*tileTokens+4*ti:], math.Float32bits(da))
			binary.LittleEndian.PutUint32(d[sub*tileTokens+4*tileTokens+4*ti:], math.Float32bits(da*float32(sum)))
		}
	}
}

// SWAR helpers for the weight preparation.
const (
	lowNibbles = 0x0f0f0f0f0f0f0f0f
	byteOnes   = 0x0101010101010101
	highBits   = 0x8080808080808080
	evenBytes  = 0x00ff00ff00ff00ff
	wordOnes   = 0x0001000100010001
)

// sumBytes returns the sum of the 8 unsigned bytes of v.
func sumBytes(v uint64) int32 {
	s := v&evenBytes + (v>>8)&evenBytes
	return int32((s * wordOnes) >> 48)
}

// sumInt8 returns the sum of len(q) (a multiple of 8) int8 values.
func sumInt8(q []byte) int32 {
	var s int32
	for i := 0; i+8 <= len(q); i += 8 {
		s += sumBytes(binary.LittleEndian.Uint64(q[i:])^highBits) - 8*128
	}
	return s
}

// multiplyTiled is the multiply phase of a tiled MatMul for weight rows
// [lo, hi): whole tiles through the tile kernel, the rest row by row.
func (j *matMulJob) multiplyTiled(lo, hi int) {
	tk := j.tile
	rows, cols, ntok := j.rows, j.cols, j.ntok
	nsub := cols / tk.sub
	groupB := nsub * packedSubBytes(tk.sub)
	p := prepPool.Get().(*tilePrep)
	p.sizeFor(cols, nsub)
	r := lo
	for ; r+tileRows <= hi; r += tileRows {
		tk.prep(p, j.w[r*j.rowB:(r+tileRows)*j.rowB], j.rowB, cols)
		for t0 := 0; t0 < ntok; t0 += tileTokens {
			g := j.packed[(t0/tileTokens)*groupB:]
			tk.kernel(p.w, p.rowStride, p.subStride, &p.side[0], unsafe.Pointer(&g[0]), nsub, &p.out[0])
			nt := min(tileTokens, ntok-t0)
			for ti := 0; ti < nt; ti++ {
				d := j.dst[(t0+ti)*rows+r : (t0+ti)*rows+r+tileRows]
				for i := range d {
					d[i] = p.out[i*tileTokens+ti]
				}
			}
		}
	}
	prepPool.Put(p)
	j.multiplyRows(r, hi)
}
