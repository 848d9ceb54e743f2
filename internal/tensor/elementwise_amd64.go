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
func ropeNormAVX2(x, cs *float32, n, heads, headDim int)

//go:noescape
func ropeNeoxAVX2(x, cs *float32, n, half, heads, headDim int)

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
	ropeNorm = func(x []float32, headDim int, cs []float32) {
		heads := len(x) / headDim
		body := len(cs) &^ 7
		if body > 0 && heads > 0 {
			ropeNormAVX2(&x[0], &cs[0], body, heads, headDim)
		}
		if body < len(cs) {
			for h := 0; h+headDim <= len(x); h += headDim {
				ropeNormGo(x[h+body:h+len(cs)], len(cs)-body, cs[body:])
			}
		}
	}
	ropeNeox = func(x []float32, headDim int, cs []float32) {
		half := len(cs) / 2
		heads := len(x) / headDim
		body := half &^ 7
		if body > 0 && heads > 0 {
			ropeNeoxAVX2(&x[0], &cs[0], body, half, heads, headDim)
		}
		if body < half {
			for h := 0; h+headDim <= len(x); h += headDim {
				ropeNeoxTail(x[h:h+2*half], cs, body)
			}
		}
	}
}
