//go:build amd64 && !purego

package kv

import (
	"github.com/longctx/longctx/internal/tensor"
	"golang.org/x/sys/cpu"
)

//go:noescape
func scoresF32AVX2(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)

//go:noescape
func scoresF16AVX2(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)

//go:noescape
func scoresQ8AVX2(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)

//go:noescape
func scoresQ4AVX2(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)

//go:noescape
func valuesF32AVX2(w *float32, ws int, v *byte, n, hd int, o *float32)

//go:noescape
func valuesF16AVX2(w *float32, ws int, v *byte, n, hd int, o *float32)

//go:noescape
func scoresF16AVX512(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)

//go:noescape
func scoresQ8AVX512(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)

//go:noescape
func valuesQ8AVX512(t0, t1 *float32, q *byte, ngroups, gstride, rowBytes int, o *float32, ostride int)

//go:noescape
func valuesF16AVX512(w *float32, ws int, v *byte, n, hd int, o *float32)

//go:noescape
func scaleRoundF16AVX2(s *float32, n int, f float32)

func scaleRoundF16Asm(s []float32, f float32) {
	n := len(s) &^ 7
	if n > 0 {
		scaleRoundF16AVX2(&s[0], n, f)
	}
	scaleRoundF16Go(s[n:], f)
}

//go:noescape
func weightsQAVX2(w *float32, ws int, scales *byte, gstride, ngroups int, tmp *float32)

//go:noescape
func valuesQ8SliceAVX2(tmp *float32, q *byte, ngroups, gstride, rowBytes int, o *float32, ostride int)

//go:noescape
func valuesQ4SliceAVX2(tmp *float32, q *byte, ngroups, gstride, rowBytes int, o *float32, ostride, shift int)

//go:noescape
func expSubAVX2(s *float32, n int, m float32, lanes *[8]float32)

//go:noescape
func maxOfAVX2(s *float32, n int) float32

// hasAVX2 reports whether the assembly kernels may run.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// useAVX512 selects the AVX-512 f16 kernels (tests turn it off to check
// the AVX2 ones on machines that have both).
var useAVX512 = hasAVX2 && cpu.X86.HasAVX512F

//go:noescape
func prefetchLines(p *byte, n int)

func prefetchAsm(b []byte) {
	if len(b) > 0 {
		prefetchLines(&b[0], len(b))
	}
}

func init() {
	prefetch = prefetchAsm // PREFETCHT1 is baseline amd64 (SSE)
	if !hasAVX2 {
		return
	}
	kernelsAsm[tensor.F32] = kernelSet{scoresF32Asm, valuesF32Asm}
	kernelsAsm[tensor.F16] = kernelSet{scoresF16Asm, valuesF16Asm}
	kernelsAsm[tensor.Q8_0] = kernelSet{scoresQ8Asm, valuesQ8Asm}
	kernelsAsm[tensor.Q4_0] = kernelSet{scoresQ4Asm, valuesQ4Asm}
	expSub = expSubAsm
	scaleRoundF16 = scaleRoundF16Asm
	maxOf = maxOfAsm
}

// The wrappers check the bounds the assembly relies on, so a caller's bug
// panics in Go instead of corrupting memory.

func checkScores(q []float32, k []byte, ngroups, hd int, out []float32, os, groupBytes int) {
	_ = q[quad*hd-1]
	_ = k[ngroups*groupBytes-1]
	_ = out[(quad-1)*os+ngroups*groupLen-1]
}

func scoresF32Asm(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	checkScores(q, k, ngroups, hd, out, os, hd*groupLen*4)
	scoresF32AVX2(&q[0], &k[0], ngroups, hd, &out[0], os, scale)
}

func scoresF16Asm(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	checkScores(q, k, ngroups, hd, out, os, hd*groupLen*2)
	if useAVX512 {
		scoresF16AVX512(&q[0], &k[0], ngroups, hd, &out[0], os, scale)
		return
	}
	scoresF16AVX2(&q[0], &k[0], ngroups, hd, &out[0], os, scale)
}

func scoresQ8Asm(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	checkScores(q, k, ngroups, hd, out, os, hd/32*(32+32*groupLen))
	if useAVX512 {
		scoresQ8AVX512(&q[0], &k[0], ngroups, hd, &out[0], os, scale)
		return
	}
	scoresQ8AVX2(&q[0], &k[0], ngroups, hd, &out[0], os, scale)
}

func scoresQ4Asm(q []float32, k []byte, ngroups, hd int, out []float32, os int, scale float32) {
	checkScores(q, k, ngroups, hd, out, os, hd/32*(32+16*groupLen))
	scoresQ4AVX2(&q[0], &k[0], ngroups, hd, &out[0], os, scale)
}

func checkValues(w []float32, ws int, v []byte, ngroups, hd int, o []float32, groupBytes int) {
	_ = w[(quad-1)*ws+ngroups*groupLen-1]
	_ = v[ngroups*groupBytes-1]
	_ = o[quad*hd-1]
}

func valuesF32Asm(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	checkValues(w, ws, v, ngroups, hd, o, hd*groupLen*4)
	valuesF32AVX2(&w[0], ws, &v[0], ngroups*groupLen, hd, &o[0])
}

func valuesF16Asm(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	checkValues(w, ws, v, ngroups, hd, o, hd*groupLen*2)
	if useAVX512 && hd%64 == 0 {
		valuesF16AVX512(&w[0], ws, &v[0], ngroups*groupLen, hd, &o[0])
		return
	}
	valuesF16AVX2(&w[0], ws, &v[0], ngroups*groupLen, hd, &o[0])
}

// tmpGroups is how many groups the quantized value kernels scale weights
// for at a time (a 4 KiB buffer on the stack).
const tmpGroups = 16

func valuesQ8Asm(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	nb := hd / 32
	gb := nb * (32 + 32*groupLen)
	checkValues(w, ws, v, ngroups, hd, o, gb)
	var tmp [2][tmpGroups * quad * groupLen]float32
	for g0 := 0; g0 < ngroups; g0 += tmpGroups {
		n := min(tmpGroups, ngroups-g0)
		vg, wg := v[g0*gb:], w[g0*groupLen:]
		if useAVX512 && nb%2 == 0 {
			// Two blocks at a time: each position's 64 quants once.
			for b := 0; b < nb; b += 2 {
				weightsQAVX2(&wg[0], ws, &vg[b*32], gb, n, &tmp[0][0])
				weightsQAVX2(&wg[0], ws, &vg[(b+1)*32], gb, n, &tmp[1][0])
				valuesQ8AVX512(&tmp[0][0], &tmp[1][0], &vg[2*nb*groupLen+b*32], n, gb, hd, &o[b*32], hd)
			}
			continue
		}
		for b := 0; b < nb; b++ {
			weightsQAVX2(&wg[0], ws, &vg[b*32], gb, n, &tmp[0][0])
			for half := 0; half < 2; half++ {
				valuesQ8SliceAVX2(&tmp[0][0], &vg[2*nb*groupLen+b*32+half*16], n, gb, hd, &o[b*32+half*16], hd)
			}
		}
	}
}

func valuesQ4Asm(w []float32, ws int, v []byte, ngroups, hd int, o []float32) {
	nb := hd / 32
	gb := nb * (32 + 16*groupLen)
	checkValues(w, ws, v, ngroups, hd, o, gb)
	var tmp [tmpGroups * quad * groupLen]float32
	for g0 := 0; g0 < ngroups; g0 += tmpGroups {
		n := min(tmpGroups, ngroups-g0)
		vg, wg := v[g0*gb:], w[g0*groupLen:]
		for b := 0; b < nb; b++ {
			weightsQAVX2(&wg[0], ws, &vg[b*32], gb, n, &tmp[0])
			for half := 0; half < 2; half++ {
				valuesQ4SliceAVX2(&tmp[0], &vg[2*nb*groupLen+b*16], n, gb, hd/2, &o[b*32+half*16], hd, 4*half)
			}
		}
	}
}

func expSubAsm(s []float32, m float32, lanes *[8]float32) {
	if len(s) == 0 || len(s)%8 != 0 {
		expSubGo(s, m, lanes)
		return
	}
	expSubAVX2(&s[0], len(s), m, lanes)
}

func maxOfAsm(s []float32) float32 {
	if len(s) == 0 || len(s)%8 != 0 {
		return maxOfGo(s)
	}
	return maxOfAVX2(&s[0], len(s))
}
