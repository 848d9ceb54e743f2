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

func attendHead(out, lse, q, k, v []float32, a attnShape, sg segment, h int, s *scratch) {
	hd, qd, kd, L, b := a.hd, a.qDim(), a.kvDim(), sg.n, sg.start
	g := a.kvHead(h)
	scale := a.scale()
	vt := s.get(0, hd*L)
	for j := 0; j < L; j++ {
		row := v[(b+j)*kd+g*hd:]
		for c := 0; c < hd; c++ {
			vt[c*L+j] = row[c]
		}
	}
	p := s.get(1, L)
	for i := 0; i < L; i++ {
		qi := q[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		pr := p[:i+1]
		tensor.DotsF32(pr, qi, k[b*kd+g*hd:], kd)
		mx := float32(math.Inf(-1))
		for j, x := range pr {
			x *= scale
			pr[j] = x
			mx = max(mx, x)
		}
		for j := range pr {
			pr[j] -= mx
		}
		expSlice(pr)
		var sum float32
		for _, e := range pr {
			sum += e
		}
		inv := 1 / sum
		o := out[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		tensor.DotsF32(o, pr, vt, L)
		for c := range o {
			o[c] *= inv
		}
		lse[(b+i)*a.heads+h] = mx + float32(math.Log(float64(sum)))
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

// backHead handles one (sequence, head). It recomputes the probabilities
// from lse column by column (one key against all later queries), forms
// dS = P⊙(dP − rowsum(dO⊙O)), and takes dv = Pᵀ·dO, dk = dSᵀ·q·scale and
// dq = dS·k·scale as long dot products over transposed operands. dkh and
// dvh are this head's rows×hd partials (indexed by row).
func backHead(dq, dkh, dvh, do, o, lse, q, k, v []float32, a attnShape, sg segment, h int, s *scratch) {
	hd, qd, kd, L, b := a.hd, a.qDim(), a.kvDim(), sg.n, sg.start
	g := a.kvHead(h)
	scale := a.scale()
	kt, qt, dot := s.get(0, hd*L), s.get(1, hd*L), s.get(2, hd*L)
	D := s.get(3, L)
	for j := 0; j < L; j++ {
		kr, qr, dr := k[(b+j)*kd+g*hd:], q[(b+j)*qd+h*hd:], do[(b+j)*qd+h*hd:]
		for c := 0; c < hd; c++ {
			kt[c*L+j] = kr[c]
			qt[c*L+j] = qr[c]
			dot[c*L+j] = dr[c]
		}
		D[j] = tensor.DotF32(do[(b+j)*qd+h*hd:(b+j)*qd+(h+1)*hd], o[(b+j)*qd+h*hd:])
	}
	Pt, St := s.get(4, L*L), s.get(5, L*L)
	for j := 0; j < L; j++ {
		kj, vj := k[(b+j)*kd+g*hd:(b+j)*kd+(g+1)*hd], v[(b+j)*kd+g*hd:(b+j)*kd+(g+1)*hd]
		pc, sc := Pt[j*L:(j+1)*L], St[j*L:(j+1)*L]
		tensor.DotsF32(pc[j:], kj, q[(b+j)*qd+h*hd:], qd)
		for i := j; i < L; i++ {
			pc[i] = float32(scale*pc[i]) - lse[(b+i)*a.heads+h] // unfused, as expf
		}
		expSlice(pc[j:])
		tensor.DotsF32(sc[j:], vj, do[(b+j)*qd+h*hd:], qd)
		for i := j; i < L; i++ {
			sc[i] = pc[i] * (sc[i] - D[i])
		}
		dkr, dvr := dkh[(b+j)*hd:(b+j+1)*hd], dvh[(b+j)*hd:(b+j+1)*hd]
		tensor.DotsF32(dvr, pc[j:], dot[j:], L)
		tensor.DotsF32(dkr, sc[j:], qt[j:], L)
		for c := range dkr {
			dkr[c] *= scale
		}
	}
	// Rows of dS for dq: the lower triangle of St transposed, in tiles.
	S := Pt // P is no longer needed
	const tb = 32
	for j0 := 0; j0 < L; j0 += tb {
		for i0 := j0; i0 < L; i0 += tb {
			for j := j0; j < min(j0+tb, L); j++ {
				for i := max(i0, j); i < min(i0+tb, L); i++ {
					S[i*L+j] = St[j*L+i]
				}
			}
		}
	}
	for i := 0; i < L; i++ {
		sr := S[i*L : i*L+i+1]
		dqi := dq[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		for c := 0; c < hd; c++ {
			dqi[c] += scale * tensor.DotF32(sr, kt[c*L:])
		}
	}
}
