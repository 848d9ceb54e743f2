package train

import (
	"math"
	"sync"

	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// segment is one packed sequence: rows start..start+n-1 of the batch.
type segment struct{ start, n int }

// attnShape is what the attention kernels need to know about the layout.
type attnShape struct {
	heads, kvHeads, hd int
	segs               []segment
}

func (a attnShape) qDim() int  { return a.heads * a.hd }
func (a attnShape) kvDim() int { return a.kvHeads * a.hd }
func (a attnShape) kvHead(h int) int {
	return h / (a.heads / a.kvHeads)
}
func (a attnShape) scale() float32 { return float32(1 / math.Sqrt(float64(a.hd))) }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// blockQ and blockK are the query rows of a forward block and the keys of
// a backward block: blocks of the score matrix are computed as small
// matrix products (gemm), never as separate dot products.
const (
	blockQ = 16
	blockK = 16
)

// attention computes causal softmax(q·kᵀ·scale)·v per sequence and head
// into out, and the log-sum-exp of each (row, head) into lse ([row][head]),
// which the backward pass uses to recompute the probabilities instead of
// storing them.
func attention(out, lse, q, k, v []float32, a attnShape) {
	parallel.Run(len(a.segs)*a.heads, 1, parallel.Func(func(lo, hi int) {
		s := scratchPool.Get().(*scratch)
		defer scratchPool.Put(s)
		for task := lo; task < hi; task++ {
			attendHead(out, lse, q, k, v, a, a.segs[task/a.heads], task%a.heads, s)
		}
	}))
}

// transposeHead writes the hd×padded transpose of rows b..b+L-1 of x's
// head g (row stride ld) into dst, zero in the columns from L on.
func transposeHead(dst, x []float32, b, L, ld, g, hd, padded int) {
	for c := 0; c < hd; c++ {
		clear(dst[c*padded+L : (c+1)*padded])
	}
	for j := 0; j < L; j++ {
		row := x[(b+j)*ld+g*hd : (b+j)*ld+(g+1)*hd]
		for c, x := range row {
			dst[c*padded+j] = x
		}
	}
}

// scaledHead writes rows b..b+L-1 of x's head h (row stride ld) times
// scale into dst (L×hd): attention's queries with 1/√hd folded in.
func scaledHead(dst, x []float32, b, L, ld, h, hd int, scale float32) {
	for i := 0; i < L; i++ {
		row := x[(b+i)*ld+h*hd : (b+i)*ld+(h+1)*hd]
		for c, v := range row {
			dst[i*hd+c] = v * scale
		}
	}
}

// rowMax is the largest of x (len(x) > 0), over four running maxima.
func rowMax(x []float32) float32 {
	m0 := x[0]
	m1, m2, m3 := m0, m0, m0
	i := 0
	for ; i+4 <= len(x); i += 4 {
		m0, m1, m2, m3 = max(m0, x[i]), max(m1, x[i+1]), max(m2, x[i+2]), max(m3, x[i+3])
	}
	for ; i < len(x); i++ {
		m0 = max(m0, x[i])
	}
	return max(max(m0, m1), max(m2, m3))
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// attendHead handles one (sequence, head) a block of blockQ query rows at
// a time: the block's scores against every key up to its last row, the
// softmax of each row (masked beyond the diagonal), then P·V.
func attendHead(out, lse, q, k, v []float32, a attnShape, sg segment, h int, s *scratch) {
	hd, qd, kd, L, b := a.hd, a.qDim(), a.kvDim(), sg.n, sg.start
	g := a.kvHead(h)
	scale := a.scale()
	padded := roundUp(L, gemmCols)
	kt := s.get(0, hd*padded)
	transposeHead(kt, k, b, L, kd, g, hd, padded)
	qs := s.get(3, L*hd)
	scaledHead(qs, q, b, L, qd, h, hd, scale)
	S := s.get(1, blockQ*padded)
	o := s.get(2, blockQ*hd)
	var inv [blockQ]float32
	for i0 := 0; i0 < L; i0 += blockQ {
		m := min(blockQ, L-i0)
		nk := i0 + m // keys the block's last row sees
		cols := roundUp(nk, gemmCols)
		clear(S[:m*cols])
		gemm(m, cols, hd, qs[i0*hd:], hd, 1, kt, padded, S, cols)
		clear(o[:m*hd])
		for r := 0; r < m; r++ {
			row := S[r*cols : r*cols+cols]
			n := i0 + r + 1
			mx := rowMax(row[:n])
			sum := expShift(row[:n], mx)
			clear(row[n:nk])
			lse[(b+i0+r)*a.heads+h] = mx + float32(math.Log(float64(sum)))
			inv[r] = 1 / sum
		}
		gemm(m, hd, nk, S, cols, 1, v[b*kd+g*hd:], kd, o, hd)
		for r := 0; r < m; r++ {
			dst := out[(b+i0+r)*qd+h*hd : (b+i0+r)*qd+(h+1)*hd]
			for c, x := range o[r*hd : (r+1)*hd] {
				dst[c] = x * inv[r]
			}
		}
	}
}

// attentionBack adds the gradients of attention to dq, dk and dv, given the
// output o, its gradient do and the saved lse. part must hold
// 2·heads·rows·hd floats: per-head key and value gradients, summed into dk
// and dv per KV head in head order afterwards so the result is the same
// however the heads were scheduled.
func attentionBack(dq, dk, dv, do, o, lse, q, k, v []float32, a attnShape, part []float32) {
	rows := len(q) / a.qDim()
	hd := a.hd
	dkp, dvp := part[:a.heads*rows*hd], part[a.heads*rows*hd:2*a.heads*rows*hd]
	parallel.Run(len(a.segs)*a.heads, 1, parallel.Func(func(lo, hi int) {
		s := scratchPool.Get().(*scratch)
		defer scratchPool.Put(s)
		for task := lo; task < hi; task++ {
			h := task % a.heads
			backHead(dq, dkp[h*rows*hd:(h+1)*rows*hd], dvp[h*rows*hd:(h+1)*rows*hd], do, o, lse, q, k, v, a, a.segs[task/a.heads], h, s)
		}
	}))
	kd := a.kvDim()
	for h := 0; h < a.heads; h++ {
		g := a.kvHead(h)
		for t := 0; t < rows; t++ {
			dkr, dvr := dk[t*kd+g*hd:t*kd+(g+1)*hd], dv[t*kd+g*hd:t*kd+(g+1)*hd]
			pk, pv := dkp[(h*rows+t)*hd:], dvp[(h*rows+t)*hd:]
			for c := range dkr {
				dkr[c] += pk[c]
				dvr[c] += pv[c]
			}
		}
	}
}

// backHead handles one (sequence, head) a block of blockK keys at a time,
// against every query row from the block's first key on: it recomputes
// the probabilities P from lse, forms dS = P⊙(dP − rowsum(dO⊙O)) with
// dP = dO·vᵀ, and adds dv += Pᵀ·dO, dk += dSᵀ·q·scale, dq += dS·k·scale,
// each a small matrix product. dkh and dvh are this head's rows×hd
// partials (indexed by row), overwritten.
func backHead(dq, dkh, dvh, do, o, lse, q, k, v []float32, a attnShape, sg segment, h int, s *scratch) {
	hd, qd, kd, L, b := a.hd, a.qDim(), a.kvDim(), sg.n, sg.start
	g := a.kvHead(h)
	scale := a.scale()
	padded := roundUp(L, blockK)
	kt, vt := s.get(0, hd*padded), s.get(1, hd*padded)
	transposeHead(kt, k, b, L, kd, g, hd, padded)
	transposeHead(vt, v, b, L, kd, g, hd, padded)
	qs := s.get(8, L*hd)
	scaledHead(qs, q, b, L, qd, h, hd, scale)
	D, hl := s.get(2, L), s.get(3, L)
	for i := 0; i < L; i++ {
		D[i] = tensor.DotF32(do[(b+i)*qd+h*hd:(b+i)*qd+(h+1)*hd], o[(b+i)*qd+h*hd:])
		hl[i] = lse[(b+i)*a.heads+h]
	}
	P, dS := s.get(4, L*blockK), s.get(5, L*blockK)
	dqh := s.get(6, L*hd)
	clear(dqh)
	dkv := s.get(7, 2*blockK*hd)
	dkb, dvb := dkv[:blockK*hd], dkv[blockK*hd:]
	for j0 := 0; j0 < L; j0 += blockK {
		m := L - j0 // query rows j0..L-1
		nk := min(blockK, m)
		P, dS := P[:m*blockK], dS[:m*blockK]
		clear(P)
		clear(dS)
		gemm(m, blockK, hd, qs[j0*hd:], hd, 1, kt[j0:], padded, P, blockK)
		gemm(m, blockK, hd, do[(b+j0)*qd+h*hd:], qd, 1, vt[j0:], padded, dS, blockK)
		for r := 0; r < m; r++ {
			pr, sr := P[r*blockK:(r+1)*blockK], dS[r*blockK:(r+1)*blockK]
			n := min(r+1, nk) // keys j0..j0+n-1 are at or before row j0+r
			l, d := hl[j0+r], D[j0+r]
			expShift(pr[:n], l)
			for c := range pr[:n] {
				sr[c] = pr[c] * (sr[c] - d)
			}
			clear(pr[n:])
			clear(sr[n:])
		}
		clear(dkv)
		gemm(blockK, hd, m, P, 1, blockK, do[(b+j0)*qd+h*hd:], qd, dvb, hd)
		gemm(blockK, hd, m, dS, 1, blockK, qs[j0*hd:], hd, dkb, hd)
		gemm(m, hd, nk, dS, blockK, 1, k[(b+j0)*kd+g*hd:], kd, dqh[j0*hd:], hd)
		for c := 0; c < nk; c++ {
			dkr, dvr := dkh[(b+j0+c)*hd:(b+j0+c+1)*hd], dvh[(b+j0+c)*hd:(b+j0+c+1)*hd]
			copy(dkr, dkb[c*hd:(c+1)*hd])
			copy(dvr, dvb[c*hd:(c+1)*hd])
		}
	}
	for i := 0; i < L; i++ {
		dqi := dq[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		for c, x := range dqh[i*hd : (i+1)*hd] {
			dqi[c] += scale * x
		}
	}
}
