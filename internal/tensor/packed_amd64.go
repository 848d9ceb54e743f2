//go:build amd64 && !purego

package tensor

import (
	"encoding/binary"
	"math"
	"unsafe"
)

//go:noescape
func dotQ8_0X8(w unsafe.Pointer, groupB int, a unsafe.Pointer, side *uint32, nb int, dst *float32, ngroups int)

//go:noescape
func dotQ4_0X8(w unsafe.Pointer, groupB int, a unsafe.Pointer, side *uint32, nb int, dst *float32, ngroups int)

//go:noescape
func dotQ6KX8(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int)

//go:noescape
func dotQ4KX8(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int)

func init() {
	if !hasVNNI {
		return
	}
	packedKernels[Q4_K] = &packedKernel{blockBytes: q4KX8Bytes, pack: packQ4KX8, dot: dotQ4KX8}
	packedKernels[Q6_K] = &packedKernel{blockBytes: 8 * q6KBytes, pack: packQ6KX8, dot: dotQ6KX8}
	packedKernels[Q8_0] = &packedKernel{blockBytes: 8 * q8_0Bytes, pack: interleaveQ8_0X8Go, dot: dotQ8_0X8Go}
	packedKernels[Q4_0] = &packedKernel{blockBytes: 8 * q4_0Bytes, pack: interleaveQ4_0X8Go, dot: dotQ4_0X8Go}
}

// packQ4_0X8 interleaves 8 Q4_0 rows (rowB bytes apart, nb blocks): per
// block the 8 scales (f16), then for each chunk c (0..3) the 8 rows'
// quant bytes 4c..4c+3 (low nibbles elements 4c.., high ones 16+4c..). It
// is the reference for interleaveQ4_0X8, which Pack uses.
func packQ4_0X8(dst, src []byte, rowB, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*8*q4_0Bytes : (b+1)*8*q4_0Bytes]
		for i := 0; i < 8; i++ {
			blk := src[i*rowB+b*q4_0Bytes : i*rowB+(b+1)*q4_0Bytes]
			copy(out[2*i:2*i+2], blk[0:2])
			for c := 0; c < 4; c++ {
				copy(out[16+32*c+4*i:16+32*c+4*i+4], blk[2+4*c:])
			}
		}
	}
}

// packQ8_0X8 interleaves 8 Q8_0 rows (rowB bytes apart, nb blocks): per
// block the 8 scales (f16), then for each 4-quant chunk c the 8 rows'
// quants 4c..4c+3, each plus 128 (unsigned, as VPDPBUSD takes them). It is
// the reference for interleaveQ8_0X8, which Pack uses (20x faster).
func packQ8_0X8(dst, src []byte, rowB, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*8*q8_0Bytes : (b+1)*8*q8_0Bytes]
		for i := 0; i < 8; i++ {
			blk := src[i*rowB+b*q8_0Bytes : i*rowB+(b+1)*q8_0Bytes]
			copy(out[2*i:2*i+2], blk[0:2])
			for c := 0; c < 8; c++ {
				v := binary.LittleEndian.Uint32(blk[2+4*c:]) ^ 0x80808080
				binary.LittleEndian.PutUint32(out[16+32*c+4*i:], v)
			}
		}
	}
}

// q8_0X8MaxStack is the most blocks whose activation side table the
// Q8_0/Q4_0 wrappers keep on the stack (16384 columns).
const q8_0X8MaxStack = 512

// q8_0X8Side fills side with, per Q8_0 activation block, mul times the
// sum of its quants (int32) and its scale (float32 bits): what the packed
// Q8_0 (mul -128) and Q4_0 (mul -8) kernels need beyond the weights, the
// same for all the groups of a call.
func q8_0X8Side(side []uint32, a unsafe.Pointer, nb int, mul int32) {
	act := unsafe.Slice((*byte)(a), nb*q8_0Bytes)
	for b := 0; b < nb; b++ {
		blk := act[b*q8_0Bytes : (b+1)*q8_0Bytes]
		// sum of the int8 quants: the bytes plus 128, summed unsigned
		var sum int32
		for k := 2; k < q8_0Bytes; k += 8 {
			sum += sumBytes(binary.LittleEndian.Uint64(blk[k:]) ^ highBits)
		}
		side[2*b] = uint32(mul * (sum - 128*qk32))
		side[2*b+1] = math.Float32bits(f16At(blk, 0))
	}
}

// dotQ8_0X8Go runs dotQ8_0X8 with its side table.
func dotQ8_0X8Go(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int) {
	var buf [2 * q8_0X8MaxStack]uint32
	side := buf[:]
	if nb > q8_0X8MaxStack {
		side = make([]uint32, 2*nb)
	}
	q8_0X8Side(side, a, nb, -128)
	dotQ8_0X8(w, groupB, a, &side[0], nb, dst, ngroups)
}

// dotQ4_0X8Go runs dotQ4_0X8 with its side table.
func dotQ4_0X8Go(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int) {
	var buf [2 * q8_0X8MaxStack]uint32
	side := buf[:]
	if nb > q8_0X8MaxStack {
		side = make([]uint32, 2*nb)
	}
	q8_0X8Side(side, a, nb, -8)
	dotQ4_0X8(w, groupB, a, &side[0], nb, dst, ngroups)
}

// packQ6KX8 interleaves 8 Q6_K rows (rowB bytes apart, nb super-blocks).
// A super-block of the 8 rows, 8*210 bytes:
//
//	0    d[8] f16
//	16   scales[16 sub-blocks][8 rows] int8
//	144  for each half h and chunk c (0..7), 96 bytes: ql bytes
//	     64h+4c..+3, then ql bytes 64h+32+4c..+3, then qh bytes 32h+4c..+3
//	     of the 8 rows (4 bytes each), so that chunk c holds elements
//	     128h+32k+4c..+3 of each quarter k.
func packQ6KX8(dst, src []byte, rowB, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*8*q6KBytes : (b+1)*8*q6KBytes]
		for i := 0; i < 8; i++ {
			blk := src[i*rowB+b*q6KBytes : i*rowB+(b+1)*q6KBytes]
			copy(out[2*i:2*i+2], blk[q6KD:q6KD+2])
			for s := 0; s < 16; s++ {
				out[16+8*s+i] = blk[q6KScales+s]
			}
			for h := 0; h < 2; h++ {
				for c := 0; c < 8; c++ {
					o := out[144+96*(8*h+c)+4*i:]
					copy(o[0:4], blk[64*h+4*c:])
					copy(o[32:36], blk[64*h+32+4*c:])
					copy(o[64:68], blk[q6KQh+32*h+4*c:])
				}
			}
		}
	}
}

// q4KX8Bytes is one super-block of 8 Q4_K rows interleaved:
//
//	0    d[8] f16, then dmin[8] f16
//	32   scales[8 sub-blocks][8 rows], unpacked to bytes
//	96   mins[4 sub-block pairs][8 rows][2], unpacked to bytes
//	160  qs[4 groups of 64 elements][8 chunks][8 rows][4 bytes]: chunk c
//	     of group g is bytes 32g+4c..32g+4c+3 of the row's qs (low nibbles
//	     elements 64g+4c.., high nibbles 64g+32+4c..)
//
// 1184 bytes against 8*144: the unpacked scales cost 2.8% more reading and
// save their unpacking once per row.
const q4KX8Bytes = 32 + 64 + 64 + 1024

// packQ4KX8 interleaves 8 Q4_K rows (rowB bytes apart, nb super-blocks).
func packQ4KX8(dst, src []byte, rowB, nb int) {
	for b := 0; b < nb; b++ {
		out := dst[b*q4KX8Bytes : (b+1)*q4KX8Bytes]
		for i := 0; i < 8; i++ {
			blk := src[i*rowB+b*q4KBytes : i*rowB+(b+1)*q4KBytes]
			copy(out[2*i:2*i+2], blk[0:2])
			copy(out[16+2*i:16+2*i+2], blk[2:4])
			scales := blk[q4KScales : q4KScales+12]
			for j := 0; j < 8; j++ {
				sc, m := scaleMinK4(j, scales)
				out[32+8*j+i] = sc
				out[96+16*(j/2)+2*i+j%2] = m
			}
			for g := 0; g < 4; g++ {
				for c := 0; c < 8; c++ {
					v := binary.LittleEndian.Uint32(blk[q4KQs+32*g+4*c:])
					binary.LittleEndian.PutUint32(out[160+256*g+32*c+4*i:], v)
				}
			}
		}
	}
}
