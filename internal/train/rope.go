package train

import (
	"math"
	"sync"
)

// rope holds cos/sin of the rotation angles per position, computed exactly
// as internal/model (and ggml) do — the angle of pair i is pos·base^(-2i/d)
// with the ratio stepped in float32 — so exported models match bit for bit.
type rope struct {
	dims       int
	thetaScale float32
	mu         sync.Mutex
	cs         []float32 // [pos][dims/2](cos, sin)
}

func newRope(dims int, base float32) *rope {
	return &rope{dims: dims, thetaScale: float32(math.Pow(float64(base), -2.0/float64(dims)))}
}

// table returns cos/sin for positions 0..n-1.
func (r *rope) table(n int) []float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for have := len(r.cs) / r.dims; have < n; have++ {
		theta := float32(have)
		for i := 0; i < r.dims/2; i++ {
			r.cs = append(r.cs, float32(math.Cos(float64(theta))), float32(math.Sin(float64(theta))))
			theta *= r.thetaScale
		}
	}
	return r.cs[:n*r.dims]
}

// ropeRows rotates each row of x (rows of nHeads heads of width dims) by its
// position's angles; inverse rotates the other way (the backward pass, since
// a rotation's transpose is its inverse).
func ropeRows(x []float32, rows, nHeads, dims int, cs []float32, inverse bool) {
	w := nHeads * dims
	for t := 0; t < rows; t++ {
		c := cs[t*dims : (t+1)*dims]
		for h := 0; h < nHeads; h++ {
			v := x[t*w+h*dims : t*w+(h+1)*dims]
			for i := 0; i < dims/2; i++ {
				co, si := c[2*i], c[2*i+1]
				if inverse {
					si = -si
				}
				x0, x1 := v[2*i], v[2*i+1]
				v[2*i] = x0*co - x1*si
				v[2*i+1] = x0*si + x1*co
			}
		}
	}
}
