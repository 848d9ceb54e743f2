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
		mx := float32(math.Inf(-1))
		for j := 0; j <= i; j++ {
			x := scale * tensor.DotF32(qi, k[(b+j)*kd+g*hd:])
			p[j] = x
			mx = max(mx, x)
		}
		var sum float32
		for j := 0; j <= i; j++ {
			e := float32(math.Exp(float64(p[j] - mx)))
			p[j] = e
			sum += e
		}
		inv := 1 / sum
		o := out[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		for c := 0; c < hd; c++ {
			o[c] = tensor.DotF32(p[:i+1], vt[c*L:]) * inv
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

// backHead handles one (sequence, head): it recomputes the probabilities P
// from lse, forms dS = P⊙(dP − rowsum(dO⊙O)), and takes dq = dS·k·scale,
// dk = dSᵀ·q·scale, dv = Pᵀ·dO as long dot products over transposed
// operands. dkh and dvh are this head's rows×hd partials (indexed by row).
func backHead(dq, dkh, dvh, do, o, lse, q, k, v []float32, a attnShape, sg segment, h int, s *scratch) {
	hd, qd, kd, L, b := a.hd, a.qDim(), a.kvDim(), sg.n, sg.start
	g := a.kvHead(h)
	scale := a.scale()
	kt, qt, dot := s.get(0, hd*L), s.get(1, hd*L), s.get(2, hd*L)
	for j := 0; j < L; j++ {
		kr, qr, dr := k[(b+j)*kd+g*hd:], q[(b+j)*qd+h*hd:], do[(b+j)*qd+h*hd:]
		for c := 0; c < hd; c++ {
			kt[c*L+j] = kr[c]
			qt[c*L+j] = qr[c]
			dot[c*L+j] = dr[c]
		}
	}
	P, S := s.get(3, L*L), s.get(4, L*L)
	for i := 0; i < L; i++ {
		qi := q[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		doi := do[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		D := tensor.DotF32(doi, o[(b+i)*qd+h*hd:])
		l := lse[(b+i)*a.heads+h]
		pr, sr := P[i*L:i*L+i+1], S[i*L:i*L+i+1]
		for j := 0; j <= i; j++ {
			p := float32(math.Exp(float64(scale*tensor.DotF32(qi, k[(b+j)*kd+g*hd:]) - l)))
			pr[j] = p
			sr[j] = p * (tensor.DotF32(doi, v[(b+j)*kd+g*hd:]) - D)
		}
		dqi := dq[(b+i)*qd+h*hd : (b+i)*qd+(h+1)*hd]
		for c := 0; c < hd; c++ {
			dqi[c] += scale * tensor.DotF32(sr, kt[c*L:])
		}
	}
	Pt, St := s.get(5, L*L), s.get(6, L*L)
	for i := 0; i < L; i++ {
		for j := 0; j <= i; j++ {
			Pt[j*L+i] = P[i*L+j]
			St[j*L+i] = S[i*L+j]
		}
	}
	for j := 0; j < L; j++ {
		pc, sc := Pt[j*L+j:(j+1)*L], St[j*L+j:(j+1)*L]
		dkr, dvr := dkh[(b+j)*hd:(b+j+1)*hd], dvh[(b+j)*hd:(b+j+1)*hd]
		for c := 0; c < hd; c++ {
			dvr[c] = tensor.DotF32(pc, dot[c*L+j:])
			dkr[c] = scale * tensor.DotF32(sc, qt[c*L+j:])
		}
	}
}
