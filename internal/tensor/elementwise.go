package tensor

import (
	"fmt"
	"math"
)

// Elementwise kernels of the forward pass. Each has a plain-Go version
// (the reference, and what runs without assembly) and may be replaced by
// an architecture file through the variables below.
var (
	// sumSquares returns the sum over x of float64(float32(v*v)).
	sumSquares = sumSquaresGo
	// scaleMul sets dst[i] = x[i]*s*w[i] (two float32 roundings).
	scaleMul = scaleMulGo
	// swiGLU sets dst[i] = silu(g[i])*u[i].
	swiGLU = swiGLUGo
	// maxOf returns the largest of x (len(x) > 0; with a NaN in x the
	// result is unspecified).
	maxOf = maxOfGo
	// expSum sets x[i] = exp(x[i]-m) and returns their sum in float64.
	expSum = expSumGo
	// scale sets x[i] *= s.
	scale = scaleGo
	// ropeNorm rotates, in each of the len(x)/headDim heads, the pairs
	// (x[2i], x[2i+1]) by cs[2i], cs[2i+1] for 2i < len(cs).
	ropeNorm = ropeNormGo
	// ropeNeox rotates, in each head, the pairs (x[i], x[i+len(cs)/2]) by
	// cs[2i], cs[2i+1].
	ropeNeox = ropeNeoxGo
)

// RMSNorm normalises each len(weight)-wide row of x into dst (which may be
// x) and multiplies it by weight, as ggml does: each square is rounded to
// float32 and the squares summed in float64, then x*s*weight with
// s = 1/sqrt(mean+eps), rounded after each product. The rounding feeds
// the 8-bit quantization of the next matrix multiply's activations, so it
// is ggml's.
func RMSNorm(dst, x, weight []float32, eps float32) error {
	width := len(weight)
	if width == 0 || len(x)%width != 0 || len(dst) != len(x) {
		return fmt.Errorf("RMSNorm: %d values, %d outputs, rows of %d", len(x), len(dst), width)
	}
	for off := 0; off < len(x); off += width {
		row := x[off : off+width]
		mean := float32(sumSquares(row) / float64(width))
		s := 1 / float32(math.Sqrt(float64(mean+eps)))
		scaleMul(dst[off:off+width], row, weight, s)
	}
	return nil
}

// SwiGLU sets dst[i] = silu(gate[i]) * up[i], with silu(g) = g/(1+exp(-g))
// in float32 (dst may be gate or up). The assembly exp is within 2 ulp
// of the correctly rounded one.
func SwiGLU(dst, gate, up []float32) error {
	if len(gate) != len(up) || len(dst) != len(gate) {
		return fmt.Errorf("SwiGLU: %d outputs, %d gates, %d ups", len(dst), len(gate), len(up))
	}
	swiGLU(dst, gate, up)
	return nil
}

// Softmax replaces x by its softmax: exp(x[i]-max) summed in float64, then
// each scaled by 1/sum in float32; -Inf gives 0. An empty x is left
// alone; a NaN in x gives NaNs.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	sum := expSum(x, maxOf(x))
	scale(x, float32(1/sum))
}

// Rope rotates the first dims elements of each of the nHeads heads of
// width headDim in x by the angles whose (cos, sin) pairs are in cs
// (dims/2 pairs): pairs of adjacent elements, or with neox (GPT-NeoX
// style) element i with element i+dims/2. Each output is x0*c - x1*s or
// x0*s + x1*c rounded after each product and after the sum, as ggml's
// scalar code.
func Rope(x []float32, nHeads, headDim, dims int, neox bool, cs []float32) error {
	if nHeads < 0 || dims < 0 || dims%2 != 0 || dims > headDim || len(x) != nHeads*headDim || len(cs) < dims {
		return fmt.Errorf("Rope: %d values for %d heads of %d, rotating %d with %d cos/sin values", len(x), nHeads, headDim, dims, len(cs))
	}
	if dims == 0 {
		return nil
	}
	if neox {
		ropeNeox(x, headDim, cs[:dims])
	} else {
		ropeNorm(x, headDim, cs[:dims])
	}
	return nil
}

func sumSquaresGo(x []float32) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(float32(v * v))
	}
	return sum
}

func scaleMulGo(dst, x, w []float32, s float32) {
	w = w[:len(x)]
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = float32(v*s) * w[i]
	}
}

func swiGLUGo(dst, g, u []float32) {
	u = u[:len(g)]
	dst = dst[:len(g)]
	for i, v := range g {
		dst[i] = v / (1 + float32(math.Exp(float64(-v)))) * u[i]
	}
}

func maxOfGo(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

func expSumGo(x []float32, m float32) float64 {
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += float64(e)
	}
	return sum
}

func scaleGo(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

func ropeNormGo(x []float32, headDim int, cs []float32) {
	for h := 0; h+headDim <= len(x); h += headDim {
		v := x[h : h+len(cs)]
		for i := 0; i+1 < len(v); i += 2 {
			c, s := cs[i], cs[i+1]
			x0, x1 := v[i], v[i+1]
			v[i] = float32(x0*c) - float32(x1*s)
			v[i+1] = float32(x0*s) + float32(x1*c)
		}
	}
}

func ropeNeoxGo(x []float32, headDim int, cs []float32) {
	for h := 0; h+headDim <= len(x); h += headDim {
		ropeNeoxTail(x[h:h+len(cs)], cs, 0)
	}
}

// ropeNeoxTail rotates the pairs (v[i], v[i+len(cs)/2]) of one head for
// i >= from.
func ropeNeoxTail(v, cs []float32, from int) {
	half := len(cs) / 2
	for i := from; i < half; i++ {
		c, s := cs[2*i], cs[2*i+1]
		x0, x1 := v[i], v[i+half]
		v[i] = float32(x0*c) - float32(x1*s)
		v[i+half] = float32(x0*s) + float32(x1*c)
	}
}
