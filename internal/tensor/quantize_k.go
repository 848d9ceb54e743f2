package tensor

import "math"

// Reference quantizers of the K-quants (quantize_row_q{2,3,4,5,6}_K_ref). The
// float arithmetic is ggml's, operation for operation, with every product
// that ggml adds to something rounded explicitly (float32(a*b)) so that Go
// never fuses it into an FMA: the x86 build of ggml-base that writes model
// files does not fuse either, and one changed rounding can flip a choice
// between two candidate scales and with it every byte of a sub-block.

// groupMaxEps is ggml's GROUP_MAX_EPS: below it a group counts as all zero.
const groupMaxEps = 1e-15

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 and no importance
// weights: symmetric quantization of x to L[i] in [0, 2*nmax) (the value is
// L[i]-nmax), trying 19 scales around nmax/max and keeping the one that
// maximises the x²-weighted fit. It returns the scale.
func makeQXQuants(nmax int, x []float32, L []int8) float32 {
	amax, vmax := absMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	fnmax := float32(nmax)
	quant := func(iscale, v float32) int {
		return max(-nmax, min(nmax-1, nearestInt(iscale*v)))
	}
	iscale := -fnmax / vmax
	var sumlx, suml2 float32
	for i, v := range x {
		l := quant(iscale, v)
		L[i] = int8(l + nmax)
		w := v * v
		fl := float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(0.1*float32(is))) / vmax
		sumlx, suml2 = 0, 0
		for _, v := range x {
			l := quant(iscale, v)
			w := v * v
			fl := float32(l)
			sumlx += float32(w * v * fl)
			suml2 += float32(w * fl * fl)
		}
		if suml2 > 0 && sumlx*sumlx > best*suml2 {
			for i, v := range x {
				L[i] = int8(nmax + quant(iscale, v))
			}
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

// makeQKX2Quants is ggml's make_qkx2_quants: asymmetric quantization of x to
// L[i] in [0, nmax] with value scale*L[i] - theMin, searching nstep+1 scales
// (iscale = (rmin + rdelta*is + nmax)/(max-min)) and solving the weighted
// least-squares scale and min for each, keeping the lowest weighted error
// (absolute when useMad, squared otherwise). laux is scratch of len(x).
func makeQKX2Quants(nmax int, x, weights []float32, L, laux []uint8,
	rmin, rdelta float32, nstep int, useMad bool) (scale, theMin float32) {
	vmin, vmax := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < len(x); i++ {
		v := x[i]
		if v < vmin {
			vmin = v
		}
		if v > vmax {
			vmax = v
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * v)
	}
	if vmin > 0 {
		vmin = 0
	}
	if vmax == vmin {
		clear(L)
		return 0, -vmin
	}
	fnmax := float32(nmax)
	quant := func(iscale, v float32) uint8 {
		return uint8(max(0, min(nmax, nearestInt(iscale*(v-vmin)))))
	}
	errorOf := func(d float32) float32 {
		if useMad {
			return abs32(d)
		}
		return d * d
	}
	iscale := fnmax / (vmax - vmin)
	scale = 1 / iscale
	var bestError float32
	for i, v := range x {
		L[i] = quant(iscale, v)
		diff := float32(scale*float32(L[i])) + vmin - v
		bestError += float32(weights[i] * errorOf(diff))
	}
	if nstep < 1 {
		return scale, -vmin
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fnmax) / (vmax - vmin)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			l := quant(iscale, v)
			laux[i] = l
			w, fl := weights[i], float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(w * fl * fl)
			sumXL += float32(w * fl * v)
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i, v := range x {
				diff := float32(thisScale*float32(laux[i])) + thisMin - v
				curError += float32(weights[i] * errorOf(diff))
			}
			if curError < bestError {
				copy(L, laux)
				bestError = curError
				scale = thisScale
				vmin = thisMin
			}
		}
	}
	return scale, -vmin
}

// quantizeQ4K is quantize_row_q4_K_ref: per 32-element sub-block a scale and
// min from makeQKX2Quants (weights av_x + |x|), both quantized to 6 bits
// against the super-block maxima, then the elements requantized with the
// stored (rounded) scales.
func quantizeQ4K(src []float32, dst []byte) {
	quantizeQ45K(src, dst, 15, -1, q4KBytes, func(y []byte, L *[QK_K]uint8) {
		q := y[q4KQs : q4KQs+128]
		for r := 0; r < 4; r++ {
			for l := 0; l < 32; l++ {
				q[32*r+l] = L[64*r+l] | L[64*r+l+32]<<4
			}
		}
	})
}

// quantizeQ5K is quantize_row_q5_K_ref: as Q4_K with 5-bit quants (the 5th
// bits go to qh) and a narrower scale search.
func quantizeQ5K(src []float32, dst []byte) {
	quantizeQ45K(src, dst, 31, -0.5, q5KBytes, func(y []byte, L *[QK_K]uint8) {
		qh := y[q5KQh : q5KQh+32]
		ql := y[q5KQs : q5KQs+128]
		clear(qh)
		for r := 0; r < 4; r++ {
			for j := 0; j < 32; j++ {
				l1, l2 := L[64*r+j], L[64*r+j+32]
				if l1 > 15 {
					l1 -= 16
					qh[j] |= 1 << (2 * r)
				}
				if l2 > 15 {
					l2 -= 16
					qh[j] |= 2 << (2 * r)
				}
				ql[32*r+j] = l1 | l2<<4
			}
		}
	})
}

// quantizeQ45K is the part Q4_K and Q5_K share. nmax is 15 or 31, rmin the
// start of the scale search (its step is 0.1, with 20 steps for Q4_K and 15
// for Q5_K); pack stores the final quants.
func quantizeQ45K(src []float32, dst []byte, nmax int, rmin float32, blockBytes int,
	pack func(y []byte, L *[QK_K]uint8)) {
	nstep := 20
	if nmax == 31 {
		nstep = 15
	}
	var (
		L       [QK_K]uint8
		laux    [32]uint8
		weights [32]float32
		mins    [8]float32
		scales  [8]float32
	)
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : (b+1)*QK_K]
		y := dst[b*blockBytes : (b+1)*blockBytes]
		var maxScale, maxMin float32
		for j := 0; j < 8; j++ {
			xs := x[32*j : 32*j+32]
			var sumX2 float32
			for _, v := range xs {
				sumX2 += float32(v * v)
			}
			avX := sqrt32(sumX2 / 32)
			for l, v := range xs {
				weights[l] = avX + abs32(v)
			}
			scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], laux[:], rmin, 0.1, nstep, false)
			// Plain comparisons, not max(): ggml skips a NaN here.
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		var invScale, invMin float32
		if maxScale > 0 {
			invScale = 63 / maxScale
		}
		if maxMin > 0 {
			invMin = 63 / maxMin
		}
		sc := y[4:16] // the same offset in Q4_K and Q5_K
		clear(sc)
		for j := 0; j < 8; j++ {
			ls := min(63, uint8(nearestInt(invScale*scales[j])))
			lm := min(63, uint8(nearestInt(invMin*mins[j])))
			putScaleMinK4(j, sc, ls, lm)
		}
		putF16(y, 0, maxScale/63)
		putF16(y, 2, maxMin/63)
		d, dmin := f16At(y, 0), f16At(y, 2)
		for j := 0; j < 8; j++ {
			s, m := scaleMinK4(j, sc)
			dj := d * float32(s)
			if dj == 0 {
				continue // keeps makeQKX2Quants' quants, as ggml does
			}
			dm := float32(dmin * float32(m)) // rounded: it is added below
			for i, v := range x[32*j : 32*j+32] {
				L[32*j+i] = uint8(max(0, min(nmax, nearestInt((v+dm)/dj))))
			}
		}
		pack(y, &L)
	}
}

// quantizeQ6K is quantize_row_q6_K_ref: per 16 elements a signed scale from
// makeQXQuants(32), the scales quantized to int8 against the one of largest
// magnitude (which maps to -128), then the elements requantized to 6 bits.
func quantizeQ6K(src []float32, dst []byte) {
	var (
		L      [QK_K]int8
		scales [16]float32
	)
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : (b+1)*QK_K]
		y := dst[b*q6KBytes : (b+1)*q6KBytes]
		var maxScale, maxAbsScale float32
		for ib := 0; ib < 16; ib++ {
			s := makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
			scales[ib] = s
			if a := abs32(s); a > maxAbsScale {
				maxAbsScale, maxScale = a, s
			}
		}
		if maxAbsScale < groupMaxEps {
			clear(y)
			continue
		}
		iscale := -128 / maxScale
		putF16(y, q6KD, 1/iscale)
		sc := y[q6KScales : q6KScales+16]
		for ib := range sc {
			sc[ib] = byte(int8(min(127, nearestInt(iscale*scales[ib]))))
		}
		d := f16At(y, q6KD)
		for j := 0; j < 16; j++ {
			dj := d * float32(int8(sc[j]))
			if dj == 0 {
				continue
			}
			for i, v := range x[16*j : 16*j+16] {
				L[16*j+i] = int8(max(-32, min(31, nearestInt(v/dj))) + 32)
			}
		}
		ql := y[:128]
		qh := y[q6KQh : q6KQh+64]
		for h := 0; h < 2; h++ {
			Lh := L[128*h : 128*h+128]
			for l := 0; l < 32; l++ {
				q1, q2, q3, q4 := uint8(Lh[l]), uint8(Lh[l+32]), uint8(Lh[l+64]), uint8(Lh[l+96])
				ql[64*h+l] = q1&0xf | (q3&0xf)<<4
				ql[64*h+l+32] = q2&0xf | (q4&0xf)<<4
				qh[32*h+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
			}
		}
	}
}

// makeQ3Quants is ggml's make_q3_quants with do_rmse: symmetric quantization
// of x to L[i] in [0, 2*nmax) (value L[i]-nmax) starting from nmax/max, then
// up to 5 passes that move single elements to the level that most improves
// the x²-weighted fit. It returns the scale.
func makeQ3Quants(nmax int, x []float32, L []int8) float32 {
	amax, vmax := absMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	clamp := func(l int) int { return max(-nmax, min(nmax-1, l)) }
	iscale := -float32(nmax) / vmax
	var sumlx, suml2 float32
	for i, v := range x {
		l := clamp(nearestInt(iscale * v))
		L[i] = int8(l)
		w, fl := v*v, float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	for itry := 0; itry < 5; itry++ {
		changed := false
		for i, v := range x {
			w, fl := v*v, float32(L[i])
			slx := sumlx - float32(w*v*fl)
			if slx <= 0 {
				continue
			}
			sl2 := suml2 - float32(w*fl*fl)
			newL := clamp(nearestInt(v * sl2 / slx))
			if newL == int(L[i]) {
				continue
			}
			fn := float32(newL)
			slx += float32(w * v * fn)
			sl2 += float32(w * fn * fn)
			if sl2 > 0 && slx*slx*suml2 > sumlx*sumlx*sl2 {
				L[i] = int8(newL)
				sumlx, suml2 = slx, sl2
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for i := range L {
		L[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// quantizeQ2K is quantize_row_q2_K_ref: per 16 elements a scale and min
// from makeQKX2Quants (weights |x|, absolute error), both quantized to 4 bits
// against the super-block maxima, then the elements requantized to 2 bits.
func quantizeQ2K(src []float32, dst []byte) {
	var (
		L       [QK_K]uint8
		laux    [16]uint8
		weights [16]float32
		mins    [16]float32
		scales  [16]float32
	)
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : (b+1)*QK_K]
		y := dst[b*q2KBytes : (b+1)*q2KBytes]
		var maxScale, maxMin float32
		for j := 0; j < 16; j++ {
			xs := x[16*j : 16*j+16]
			for l, v := range xs {
				weights[l] = abs32(v)
			}
			scales[j], mins[j] = makeQKX2Quants(3, xs, weights[:], L[16*j:16*j+16], laux[:], -0.5, 0.1, 15, true)
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		sc := y[:16]
		clear(sc)
		if maxScale > 0 {
			iscale := 15 / maxScale
			for j := range sc {
				sc[j] = uint8(nearestInt(iscale * scales[j]))
			}
			putF16(y, q2KD, maxScale/15)
		} else {
			putF16(y, q2KD, 0)
		}
		if maxMin > 0 {
			iscale := 15 / maxMin
			for j := range sc {
				sc[j] |= uint8(nearestInt(iscale*mins[j]) << 4)
			}
			putF16(y, q2KD+2, maxMin/15)
		} else {
			putF16(y, q2KD+2, 0)
		}
		d, dmin := f16At(y, q2KD), f16At(y, q2KD+2)
		for j := 0; j < 16; j++ {
			dj := d * float32(sc[j]&0xf)
			if dj == 0 {
				continue
			}
			dm := float32(dmin * float32(sc[j]>>4)) // rounded: it is added below
			for i, v := range x[16*j : 16*j+16] {
				L[16*j+i] = uint8(max(0, min(3, nearestInt((v+dm)/dj))))
			}
		}
		packQ2Bits(y[q2KQs:q2KQs+64], L[:])
	}
}

// packQ2Bits stores 256 2-bit values: byte 32*h + l holds elements
// 128*h + l + 32*g at bits 2g, g = 0..3 (the Q2_K and Q3_K layout).
func packQ2Bits(qs []byte, L []uint8) {
	for h := 0; h < 2; h++ {
		for l := 0; l < 32; l++ {
			j := 128*h + l
			qs[32*h+l] = L[j] | L[j+32]<<2 | L[j+64]<<4 | L[j+96]<<6
		}
	}
}

// quantizeQ3K is quantize_row_q3_K_ref: per 16 elements a signed scale from
// makeQ3Quants, the scales quantized to 6 bits against the one of largest
// magnitude (which maps to -32), then the elements requantized to 3 bits,
// the third bit going to hmask.
func quantizeQ3K(src []float32, dst []byte) {
	var (
		L      [QK_K]int8
		U      [QK_K]uint8
		scales [16]float32
	)
	for b := 0; b < len(src)/QK_K; b++ {
		x := src[b*QK_K : (b+1)*QK_K]
		y := dst[b*q3KBytes : (b+1)*q3KBytes]
		var maxScale, amax float32
		for j := 0; j < 16; j++ {
			scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
			if a := abs32(scales[j]); a > amax {
				amax, maxScale = a, scales[j]
			}
		}
		sc := y[q3KScales : q3KScales+12]
		clear(sc)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := 0; j < 16; j++ {
				l := max(-32, min(31, int(int8(nearestInt(iscale*scales[j]))))) + 32
				if j < 8 {
					sc[j] = byte(l & 0xf)
				} else {
					sc[j-8] |= byte(l&0xf) << 4
				}
				sc[8+j%4] |= byte(l>>4) << (2 * (j / 4))
			}
			putF16(y, q3KD, 1/iscale)
		} else {
			putF16(y, q3KD, 0)
		}
		d := f16At(y, q3KD)
		s := scalesQ3K(sc)
		for j := 0; j < 16; j++ {
			dj := d * float32(s[j])
			if dj == 0 {
				continue
			}
			for i, v := range x[16*j : 16*j+16] {
				L[16*j+i] = int8(max(-4, min(3, nearestInt(v/dj))) + 4)
			}
		}
		// The third bit of element j goes to bit j/32 of hmask[j%32].
		hm := y[:32]
		clear(hm)
		for j := range L {
			U[j] = uint8(L[j])
			if U[j] > 3 {
				hm[j%32] |= 1 << (j / 32)
				U[j] -= 4
			}
		}
		packQ2Bits(y[q3KQs:q3KQs+64], U[:])
	}
}
