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
	tileTokens = 16
)

// tileKernelFunc multiplies tileRows weight rows with one packed group of
// tileTokens activation rows over nsub sub-blocks and adds the products
// to out[row*tileTokens+token]. w points at the first quant of row 0; row
// r starts rowStride bytes further per row and a row's sub-blocks are
// subStride bytes apart. side holds, per sub-block, the rows' scales dw,
// min scales mw (as float32 bits) and int32 -corr = -128*sum(quants).
type tileKernelFunc func(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)

// tiledKernel is what the prefill path needs for one weight type.
type tiledKernel struct {
	sub      int  // elements per sub-block: 32 or 16
	subBytes int  // bytes of one packed sub-block of a token group
	hasMin   bool // the kernel subtracts mw*sa (needs activation sums)
	// minTokens is the smallest batch worth packing, measured: below it
	// the per-row kernel is faster, as the tile kernel wastes lanes and
	// the weights' preparation is paid once per MatMul. Weights packed by
	// Pack never take the tiles: the batched-decode kernels of their
	// types measured faster at every batch size (see batch.go).
	minTokens int
	kernel    tileKernelFunc
	// pack packs activation rows t0..t0+nt-1 into one token group.
	pack func(dst, act []byte, at Type, actB, cols, t0, nt, sub int, sums bool)
	// store writes a tile's outputs (tileRows rows of tileTokens lanes) for
	// the first nt tokens, token t's rows at dst + t*rowStride bytes.
	store func(dst *float32, rowStride int, out *float32, nt int)
	// prep fills p for columns [c0, c1) of the tileRows rows starting at
	// w[0] (rows rowB bytes apart; c0 and c1 on block boundaries): either
	// pointing at the quants in place or decoding them into p.quants.
	prep func(p *tilePrep, w []byte, rowB, c0, c1 int)
}

// tiledKernels is indexed by weight type; nil where there is no tiled kernel.
var tiledKernels [maxType]*tiledKernel

// tilePrep is one worker's view of a tile of weight rows.
type tilePrep struct {
	w                    unsafe.Pointer
	rowStride, subStride int
	quants               []byte    // decoded quants, tileRows rows of one panel
	side                 []uint32  // per sub-block: dw[8] mw[8] -corr[8]
	out                  []float32 // per token group, the kernel's accumulators
}

var prepPool = sync.Pool{New: func() any { return new(tilePrep) }}

// sizeFor makes the buffers fit a panel of cols elements (decoded to at
// most 4 bytes each) in nsub sub-blocks and groups token groups.
func (p *tilePrep) sizeFor(cols, nsub, groups int) {
	p.quants = resize(p.quants, tileRows*4*cols)
	p.side = resize(p.side, 3*tileRows*nsub)
	p.out = resize(p.out, groups*tileRows*tileTokens)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// panelBytes bounds the packed activations of one K-panel (all token
// groups), so that they stay in a core's L2 cache while every tile of
// weight rows streams past them.
const panelBytes = 512 << 10

// panelCols is the K-panel width for ntok tokens: a multiple of QK_K (so
// no super-block is split) and at least one.
func panelCols(tk *tiledKernel, ntok int) int {
	groups := (ntok + tileTokens - 1) / tileTokens
	perCol := groups * tk.subBytes / tk.sub
	return max(QK_K, panelBytes/perCol&^(QK_K-1))
}

// setSide records row i's sub-block s.
func (p *tilePrep) setSide(s, i int, dw, mw float32, corr int32) {
	e := p.side[3*tileRows*s:]
	e[i] = math.Float32bits(dw)
	e[tileRows+i] = math.Float32bits(mw)
	e[2*tileRows+i] = uint32(-corr) // the kernels start each sum from -corr
}

// setScales records row i's sub-block s scales, leaving -corr as it is.
func (p *tilePrep) setScales(s, i int, dw, mw float32) {
	e := p.side[3*tileRows*s:]
	e[i] = math.Float32bits(dw)
	e[tileRows+i] = math.Float32bits(mw)
}

// packedSubBytes is the size of one packed sub-block of a token group:
// sub/4 vectors of quants, then da and sa for each token as float32.
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
			case Q8_0: // sub == 32, one block per sub-block; no min term
				blk := row[s*q8_0Bytes : (s+1)*q8_0Bytes]
				da, q = f16At(blk, 0), blk[2:]
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

// packActsF32 is packActs for float kernels: per sub-block, for each of
// its sub elements a vector of the tileTokens tokens' values as float32
// (F16 activations widened exactly); the group's missing tokens are zero.
func packActsF32(dst, act []byte, at Type, actB, cols, t0, nt, sub int, _ bool) {
	f := unsafe.Slice((*float32)(unsafe.Pointer(&dst[0])), len(dst)/4)
	for ti := 0; ti < tileTokens; ti++ {
		if ti >= nt {
			for k := 0; k < cols; k++ {
				f[k*tileTokens+ti] = 0
			}
			continue
		}
		row := act[(t0+ti)*actB : (t0+ti+1)*actB]
		if at == F16 {
			for k := 0; k < cols; k++ {
				f[k*tileTokens+ti] = f16Table[binary.LittleEndian.Uint16(row[2*k:])]
			}
			continue
		}
		for k := 0; k < cols; k++ {
			f[k*tileTokens+ti] = math.Float32frombits(binary.LittleEndian.Uint32(row[4*k:]))
		}
	}
}

// SWAR helpers for the weight preparation.
const (
	lowNibbles = 0x0f0f0f0f0f0f0f0f
	highBits   = 0x8080808080808080
	evenBytes  = 0x00ff00ff00ff00ff
	wordOnes   = 0x0001000100010001
)

// sumBytes returns the sum of the 8 unsigned bytes of v.
func sumBytes(v uint64) int32 {
	s := v&evenBytes + (v>>8)&evenBytes
	return int32((s * wordOnes) >> 48)
}

// multiplyTiled is the multiply phase of a tiled MatMul for weight rows
// [lo, hi): whole tiles through the tile kernel, K-panel by K-panel, the
// rest row by row.
func (j *matMulJob) multiplyTiled(lo, hi int) {
	tk := j.tile
	rows, cols, ntok := j.rows, j.cols, j.ntok
	groups := (ntok + tileTokens - 1) / tileTokens
	subB := tk.subBytes
	groupB := cols / tk.sub * subB
	kc := panelCols(tk, ntok)
	p := prepPool.Get().(*tilePrep)
	p.sizeFor(min(kc, cols), min(kc, cols)/tk.sub, groups)
	r := lo
	for ; r+tileRows <= hi; r += tileRows {
		clear(p.out)
		w := j.w[r*j.rowB : (r+tileRows)*j.rowB]
		for c0 := 0; c0 < cols; c0 += kc {
			c1 := min(c0+kc, cols)
			nsub := (c1 - c0) / tk.sub
			tk.prep(p, w, j.rowB, c0, c1)
			off := c0 / tk.sub * subB
			last := c1 == cols
			for g := 0; g < groups; g++ {
				out := p.out[g*tileRows*tileTokens:]
				tk.kernel(p.w, p.rowStride, p.subStride, &p.side[0], unsafe.Pointer(&j.packed[g*groupB+off]), nsub, &out[0])
				if last {
					// Stored right away, the writes' cache misses
					// overlap the next group's arithmetic.
					t0 := g * tileTokens
					_ = j.dst[(min(t0+tileTokens, ntok)-1)*rows+r+tileRows-1]
					tk.store(&j.dst[t0*rows+r], 4*rows, &out[0], min(tileTokens, ntok-t0))
				}
			}
		}
	}
	prepPool.Put(p)
	j.multiplyRows(r, hi)
}
