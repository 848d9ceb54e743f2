package kv

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/longctx/longctx/internal/tensor"
)

// quad is the number of query rows the attention kernels serve per call:
// each stored key and value is loaded once for four rows (the query heads
// of a KV head, and in prefill several tokens too).
const quad = 4

// kernelSet is one element type's attention kernels.
//
// scores sets out[r*os+16*g+i] = scale · q_r · key(g, i) for the quad's rows
// r < 4 (rows of hd floats in q) and the ngroups groups of keys in k.
//
// values adds Σ_t w[r*ws+t] · value(t) to o[r*hd:(r+1)*hd] for the
// 16·ngroups positions t of the value groups in v.
type kernelSet struct {
	scores func(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32)
	values func(w []float32, ws int, v []byte, ngroups, hd int, o []float32)
}

// kernelsGo are the reference kernels, in plain Go. The assembly kernels
// (kernels_amd64.go) are tested against them.
var kernelsGo = map[tensor.Type]kernelSet{
	tensor.F32:  {scoresF32Go, valuesF32Go},
	tensor.F16:  {scoresF16Go, valuesF16Go},
	tensor.Q8_0: {scoresQ8Go, valuesQ8Go},
	tensor.Q4_0: {scoresQ4Go, valuesQ4Go},
}

// kernelsFor returns the fastest kernels for t and head size hd.
func kernelsFor(t tensor.Type, hd int) kernelSet {
	if k, ok := kernelsAsm[t]; ok && hd%16 == 0 {
		return k
	}
	return kernelsGo[t]
}

// kernelsAsm is filled in by the assembly build.
var kernelsAsm = map[tensor.Type]kernelSet{}

func f32s(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func u16s(b []byte) []uint16 {
	if len(b) < 2 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func scoresF32Go(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	kf := f32s(k)
	for g := 0; g < ngroups; g++ {
		kg := kf[g*hd*groupLen:]
		for r := 0; r < quad; r++ {
			qr := q[r*hd : (r+1)*hd]
			var acc [groupLen]float32
			for j, x := range qr {
				row := kg[j*groupLen : (j+1)*groupLen]
				for i := range acc {
					acc[i] += x * row[i]
				}
			}
			o := out[r*os+g*groupLen:]
			for i, a := range acc {
				o[i] = a * scale
			}
		}
	}
}

func scoresF16Go(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	kh := u16s(k)
	kg := make([]float32, hd*groupLen)
	for g := 0; g < ngroups; g++ {
		tensor.F16ToF32Slice(kg, kh[g*hd*groupLen:(g+1)*hd*groupLen])
		for r := 0; r < quad; r++ {
			qr := q[r*hd : (r+1)*hd]
			var acc [groupLen]float32
			for j, x := range qr {
				row := kg[j*groupLen : (j+1)*groupLen]
				for i := range acc {
					acc[i] += x * row[i]
				}
			}
			o := out[r*os+g*groupLen:]
			for i, a := range acc {
				o[i] = a * scale
			}
		}
	}
}

func f16At(b []byte, i int) float32 {
	return tensor.F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
}

func scoresQ8Go(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	nb := hd / 32
	bb := 32 + 32*groupLen
	for g := 0; g < ngroups; g++ {
		kg := k[g*nb*bb:]
		for r := 0; r < quad; r++ {
			o := out[r*os+g*groupLen : r*os+(g+1)*groupLen]
			clear(o)
			for b := 0; b < nb; b++ {
				blk := kg[b*bb : (b+1)*bb]
				var acc [groupLen]float32
				for j := 0; j < 32; j++ {
					x := q[r*hd+b*32+j]
					for i := range acc {
						acc[i] += x * float32(int8(blk[32+j*groupLen+i]))
					}
				}
				for i := range o {
					o[i] += acc[i] * (f16At(blk, i) * scale)
				}
			}
		}
	}
}

func scoresQ4Go(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	nb := hd / 32
	bb := 32 + 16*groupLen
	for g := 0; g < ngroups; g++ {
		kg := k[g*nb*bb:]
		for r := 0; r < quad; r++ {
			o := out[r*os+g*groupLen : r*os+(g+1)*groupLen]
			clear(o)
			for b := 0; b < nb; b++ {
				blk := kg[b*bb : (b+1)*bb]
				var acc [groupLen]float32
				for j := 0; j < 16; j++ {
					lo, hi := q[r*hd+b*32+j], q[r*hd+b*32+16+j]
					for i := range acc {
						v := blk[32+j*groupLen+i]
						acc[i] += lo * float32(int(v&15)-8)
						acc[i] += hi * float32(int(v>>4)-8)
					}
				}
				for i := range o {
					o[i] += acc[i] * (f16At(blk, i) * scale)
				}
			}
		}
	}
}

func valuesF32Go(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	vf := f32s(v)
	for t := 0; t < ngroups*groupLen; t++ {
		row := vf[t*hd : (t+1)*hd]
		for r := 0; r < quad; r++ {
			p := w[r*ws+t]
			or := o[r*hd : (r+1)*hd]
			for j, x := range row {
				or[j] += p * x
			}
		}
	}
}

func valuesF16Go(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	vh := u16s(v)
	row := make([]float32, hd)
	for t := 0; t < ngroups*groupLen; t++ {
		tensor.F16ToF32Slice(row, vh[t*hd:(t+1)*hd])
		for r := 0; r < quad; r++ {
			p := w[r*ws+t]
			or := o[r*hd : (r+1)*hd]
			for j, x := range row {
				or[j] += p * x
			}
		}
	}
}

func valuesQ8Go(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	nb := hd / 32
	gb := nb * (32 + 32*groupLen)
	for g := 0; g < ngroups; g++ {
		vg := v[g*gb : (g+1)*gb]
		qs := vg[2*nb*groupLen:]
		for i := 0; i < groupLen; i++ {
			row := qs[i*hd : (i+1)*hd]
			for r := 0; r < quad; r++ {
				p := w[r*ws+g*groupLen+i]
				or := o[r*hd : (r+1)*hd]
				for b := 0; b < nb; b++ {
					pd := p * f16At(vg, b*groupLen+i)
					for j := 0; j < 32; j++ {
						or[b*32+j] += pd * float32(int8(row[b*32+j]))
					}
				}
			}
		}
	}
}

func valuesQ4Go(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	nb := hd / 32
	gb := nb * (32 + 16*groupLen)
	for g := 0; g < ngroups; g++ {
		vg := v[g*gb : (g+1)*gb]
		qs := vg[2*nb*groupLen:]
		for i := 0; i < groupLen; i++ {
			row := qs[i*hd/2 : (i+1)*hd/2]
			for r := 0; r < quad; r++ {
				p := w[r*ws+g*groupLen+i]
				or := o[r*hd : (r+1)*hd]
				for b := 0; b < nb; b++ {
					pd := p * f16At(vg, b*groupLen+i)
					for j := 0; j < 16; j++ {
						x := row[b*16+j]
						or[b*32+j] += pd * float32(int(x&15)-8)
						or[b*32+16+j] += pd * float32(int(x>>4)-8)
					}
				}
			}
		}
	}
}

// expSub replaces each s[i] by exp(s[i]-m) and adds it to lanes[i%8].
// Slices that start at multiples of 8 positions of one row thus add each
// position to the same lane however the row is cut into slices, so the
// sum (sumLanes) does not depend on the block size.
var expSub = expSubGo

func expSubGo(s []float32, m float32, lanes *[8]float32) {
	for i, x := range s {
		e := float32(math.Exp(float64(x - m)))
		s[i] = e
		lanes[i%8] += e
	}
}

// sumLanes adds 8 lanes in the tree the vector kernels use.
func sumLanes(l [8]float32) float32 {
	return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

// maxOf returns the largest element of s (-Inf if empty; NaNs ignored).
var maxOf = maxOfGo

func maxOfGo(s []float32) float32 {
	m := float32(math.Inf(-1))
	for _, x := range s {
		if x > m {
			m = x
		}
	}
	return m
}

// scaleInPlace multiplies every element of s by f.
var scaleInPlace = scaleInPlaceGo

func scaleInPlaceGo(s []float32, f float32) {
	for i := range s {
		s[i] *= f
	}
}

// scaleRoundF16 multiplies every element of s by f and rounds the product
// to f16 precision (nearest, ties to even): an f16 cache's softmax weights.
var scaleRoundF16 = scaleRoundF16Go

func scaleRoundF16Go(s []float32, f float32) {
	for i := range s {
		s[i] = tensor.F16ToF32(tensor.F32ToF16(s[i] * f))
	}
}

// exp32 is the scalar exponential used to rescale and merge partial sums.
func exp32(x float32) float32 { return float32(math.Exp(float64(x))) }

// prefetch asks the caches for the lines of b ahead of their use (a no-op
// where there is no prefetch instruction).
var prefetch = func(b []byte) {}
