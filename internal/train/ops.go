package train

import (
	"math"

	"github.com/longctx/longctx/internal/parallel"
)

// rmsNorm writes x·w/rms(x) per row of width into y and 1/rms per row into
// inv. The sum of squares is accumulated in float64, as ggml does.
func rmsNorm(y, inv, x, w []float32, width int, eps float32) {
	rows := len(x) / width
	parallel.Run(rows, 0, parallel.Func(func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := x[r*width : (r+1)*width]
			var sum float64
			for _, v := range row {
				sum += float64(v) * float64(v)
			}
			s := 1 / float32(math.Sqrt(float64(float32(sum/float64(width))+eps)))
			inv[r] = s
			out := y[r*width : (r+1)*width]
			for i, v := range row {
				out[i] = v * s * w[i]
			}
		}
	}))
}

// rmsNormBack adds to dx the gradient through y = x·w·inv and to dw the
// weight's. dw is summed over rows serially, in order, for reproducibility.
func rmsNormBack(dx, dw, dy, x, inv, w []float32, width int) {
	rows := len(x) / width
	parallel.Run(rows, 0, parallel.Func(func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, dyr, dxr := x[r*width:(r+1)*width], dy[r*width:(r+1)*width], dx[r*width:(r+1)*width]
			s := inv[r]
			var dot float64
			for i, v := range xr {
				dot += float64(dyr[i]) * float64(w[i]) * float64(v)
			}
			c := float32(dot) * s * s * s / float32(width)
			for i, v := range xr {
				dxr[i] += s*dyr[i]*w[i] - v*c
			}
		}
	}))
	for r := 0; r < rows; r++ {
		xr, dyr := x[r*width:(r+1)*width], dy[r*width:(r+1)*width]
		s := inv[r]
		for i, v := range xr {
			dw[i] += dyr[i] * v * s
		}
	}
}

// swiglu writes silu(gate)·up into act.
func swiglu(act, gate, up []float32) {
	parallel.Run(len(act), 4096, parallel.Func(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g := gate[i]
			act[i] = g / (1 + expf(-g)) * up[i]
		}
	}))
}

// swigluBack writes the gradients of act = silu(gate)·up into dgate and dup.
func swigluBack(dgate, dup, dact, gate, up []float32) {
	parallel.Run(len(dact), 4096, parallel.Func(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g := gate[i]
			sig := 1 / (1 + expf(-g))
			silu := g * sig
			dup[i] = dact[i] * silu
			dgate[i] = dact[i] * up[i] * sig * (1 + g*(1-sig))
		}
	}))
}

// crossEntropy turns logits (rows of vocab) into probabilities in place
// and returns the weighted sum of the targets' negative log-likelihoods.
func crossEntropy(logits []float32, targets []int32, weights []float32, vocab int) float64 {
	var loss float64
	for r, t := range targets {
		row := logits[r*vocab : (r+1)*vocab]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		loss += float64(weights[r]) * (math.Log(sum) - float64(row[t]-mx))
		for i, v := range row {
			row[i] = float32(math.Exp(float64(v-mx)) / sum)
		}
	}
	return loss
}
