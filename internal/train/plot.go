package train

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// WriteLossCSV writes "step,loss" rows (1-based steps).
func WriteLossCSV(w io.Writer, losses []float32) error {
	if _, err := fmt.Fprintln(w, "step,loss"); err != nil {
		return err
	}
	for i, l := range losses {
		if _, err := fmt.Fprintf(w, "%d,%.6g\n", i+1, l); err != nil {
			return err
		}
	}
	return nil
}

// Plot colours.
var (
	plotAxis   = color.RGBA{60, 60, 60, 255}
	plotGrid   = color.RGBA{225, 225, 225, 255}
	plotRaw    = color.RGBA{160, 190, 230, 255}
	plotSmooth = color.RGBA{20, 70, 170, 255}
)

// PlotLoss draws the loss curve as a width×height PNG: per-step loss in
// light blue, an exponential moving average in dark blue, x = step,
// y = loss from 0 to the largest loss, grid lines at each 1/4.
func PlotLoss(w io.Writer, losses []float32, width, height int) error {
	if width < 64 || height < 64 {
		return fmt.Errorf("train: plot of %dx%d is too small", width, height)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = 255 // white background
	}
	const margin = 24
	x0, y0, x1, y1 := margin, height-margin, width-margin, margin
	top := 0.0
	for _, l := range losses {
		if !math.IsNaN(float64(l)) && !math.IsInf(float64(l), 0) {
			top = max(top, float64(l))
		}
	}
	if top == 0 {
		top = 1
	}
	for k := 1; k <= 4; k++ {
		y := y0 + (y1-y0)*k/4
		line(img, x0, y, x1, y, plotGrid)
		x := x0 + (x1-x0)*k/4
		line(img, x, y0, x, y1, plotGrid)
	}
	line(img, x0, y0, x1, y0, plotAxis)
	line(img, x0, y0, x0, y1, plotAxis)
	px := func(i int) int {
		if len(losses) < 2 {
			return x0
		}
		return x0 + (x1-x0)*i/(len(losses)-1)
	}
	py := func(l float64) int {
		return y0 - int(math.Round(float64(y0-y1)*min(1, max(0, l/top))))
	}
	ema, alpha := 0.0, 2/(1+max(2, float64(len(losses))/20))
	for i, l := range losses {
		v := float64(l)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if i == 0 {
			ema = v
		}
		prevEMA := ema
		ema += alpha * (v - ema)
		if i > 0 {
			line(img, px(i-1), py(float64(losses[i-1])), px(i), py(v), plotRaw)
			line(img, px(i-1), py(prevEMA), px(i), py(ema), plotSmooth)
		} else {
			img.Set(px(0), py(v), plotSmooth)
		}
	}
	return png.Encode(w, img)
}

// line draws a segment with Bresenham's algorithm.
func line(img *image.RGBA, xa, ya, xb, yb int, c color.RGBA) {
	dx, dy := abs(xb-xa), -abs(yb-ya)
	sx, sy := 1, 1
	if xa > xb {
		sx = -1
	}
	if ya > yb {
		sy = -1
	}
	e := dx + dy
	for {
		img.SetRGBA(xa, ya, c)
		if xa == xb && ya == yb {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			xa += sx
		}
		if e2 <= dx {
			e += dx
			ya += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
