//go:build amd64 && !purego

package tensor

//go:noescape
func sumSquaresAVX2(x *float32, n int) float64

//go:noescape
func scaleMulAVX2(dst, x, w *float32, s float32, n int)

//go:noescape
func scaleAVX2(x *float32, s float32, n int)

//go:noescape
func swiGLUAVX2(dst, gate, u *float32, n int)

//go:noescape
func expSumAVX2(x *float32, m float32, n int) float64

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func ropeNormAVX2(x, cs *float32, n int)

//go:noescape
func ropeNeoxAVX2(x0, x1, c, s *float32, n int)

func init() {
	if !hasAVX2 {
		return
	}
	sumSquares = func(x []float32) float64 {
		body := len(x) &^ 7
		var s float64
		if body > 0 {
			s = sumSquaresAVX2(&x[0], body)
		}
		return s + sumSquaresGo(x[body:])
	}
	scaleMul = func(dst, x, w []float32, s float32) {
		body := len(x) &^ 7
		if body > 0 {
			_, _ = dst[body-1], w[body-1]
			scaleMulAVX2(&dst[0], &x[0], &w[0], s, body)
		}
		scaleMulGo(dst[body:], x[body:], w[body:], s)
	}
	scale = func(x []float32, s float32) {
		body := len(x) &^ 7
		if body > 0 {
			scaleAVX2(&x[0], s, body)
		}
		scaleGo(x[body:], s)
	}
	swiGLU = func(dst, g, u []float32) {
		body := len(g) &^ 7
		if body > 0 {
			_, _ = dst[body-1], u[body-1]
			swiGLUAVX2(&dst[0], &g[0], &u[0], body)
		}
		swiGLUGo(dst[body:], g[body:], u[body:])
	}
	maxOf = func(x []float32) float32 {
		body := len(x) &^ 7
		if body == 0 {
			return maxOfGo(x)
		}
		m := maxAVX2(&x[0], body)
		for _, v := range x[body:] {
			m = max(m, v)
		}
		return m
	}
	expSum = func(x []float32, m float32) float64 {
		body := len(x) &^ 7
		var s float64
		if body > 0 {
			s = expSumAVX2(&x[0], m, body)
		}
		return s + expSumGo(x[body:], m)
	}
	ropeNorm = func(x, cs []float32) {
		body := len(x) &^ 7
		if body > 0 {
			_ = cs[body-1]
			ropeNormAVX2(&x[0], &cs[0], body)
		}
		ropeNormGo(x[body:], cs[body:])
	}
	ropeNeox = func(x, c, s []float32) {
		half := len(c)
		body := half &^ 7
		if body > 0 {
			_, _ = x[2*half-1], s[body-1]
			ropeNeoxAVX2(&x[0], &x[half], &c[0], &s[0], body)
		}
		for i := body; i < half; i++ {
			x0, x1 := x[i], x[half+i]
			x[i] = float32(x0*c[i]) - float32(x1*s[i])
			x[half+i] = float32(x0*s[i]) + float32(x1*c[i])
		}
	}
}
