package report

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/eval/gen"
)

// The Kamradt NIAH colormap every later tool copies: red at 0, yellow at
// 0.5, green at 1, linear in RGB between.
var (
	colorLow  = color.RGBA{0xF0, 0x49, 0x6E, 0xFF}
	colorMid  = color.RGBA{0xEB, 0xB8, 0x39, 0xFF}
	colorHigh = color.RGBA{0x0C, 0xD7, 0x9F, 0xFF}
	// colorMissing fills cells the run has no score for.
	colorMissing = color.RGBA{0xDD, 0xDD, 0xDD, 0xFF}
)

// ScoreColor maps a score in 0..1 (clamped; NaN is missing) to the colormap.
func ScoreColor(v float64) color.RGBA {
	if math.IsNaN(v) {
		return colorMissing
	}
	v = math.Min(math.Max(v, 0), 1)
	a, b, t := colorLow, colorMid, 2*v
	if v > 0.5 {
		a, b, t = colorMid, colorHigh, 2*v-1
	}
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xFF}
}

// Hex writes a colour as #rrggbb.
func Hex(c color.RGBA) string {
	const digits = "0123456789abcdef"
	b := []byte{'#', 0, 0, 0, 0, 0, 0}
	for i, v := range []uint8{c.R, c.G, c.B} {
		b[1+2*i], b[2+2*i] = digits[v>>4], digits[v&15]
	}
	return string(b)
}

// Grid is a depth × length table of scores for a heatmap.
type Grid struct {
	Depths  []int // rows, top to bottom
	Lengths []int // columns, left to right
	Score   [][]float64
}

// NIAHGrid arranges a niah suite's {"depth=<p>": {length: score}} as a
// grid, depths ascending from the top as in Kamradt's plots.
func NIAHGrid(tasks map[string]map[string]float64) Grid {
	var g Grid
	ls := map[int]bool{}
	for cell, byLen := range tasks {
		d, err := strconv.Atoi(strings.TrimPrefix(cell, "depth="))
		if err != nil || !strings.HasPrefix(cell, "depth=") {
			continue
		}
		g.Depths = append(g.Depths, d)
		for k := range byLen {
			if n, err := gen.ParseLength(k); err == nil {
				ls[n] = true
			}
		}
	}
	sort.Ints(g.Depths)
	for n := range ls {
		g.Lengths = append(g.Lengths, n)
	}
	sort.Ints(g.Lengths)
	g.Score = make([][]float64, len(g.Depths))
	for i, d := range g.Depths {
		g.Score[i] = make([]float64, len(g.Lengths))
		for j, l := range g.Lengths {
			v, ok := tasks["depth="+strconv.Itoa(d)][gen.FormatLength(l)]
			if !ok {
				v = math.NaN()
			}
			g.Score[i][j] = v
		}
	}
	return g
}

// Heatmap geometry, in pixels.
const (
	CellW, CellH = 48, 28
	marginLeft   = 40 // depth labels
	marginBottom = 24 // length labels
	marginTop    = 8
	marginRight  = 8
	glyphScale   = 2
)

// CellOrigin is the top-left pixel of the cell at (row, col).
func CellOrigin(row, col int) (x, y int) {
	return marginLeft + col*CellW, marginTop + row*CellH
}

// HeatmapImage draws g: one colored cell per score with a white grid
// line, depths labelled on the left (percent), lengths below ("4k").
func HeatmapImage(g Grid) *image.RGBA {
	w := marginLeft + CellW*len(g.Lengths) + marginRight
	h := marginTop + CellH*len(g.Depths) + marginBottom
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fillRect(img, 0, 0, w, h, color.RGBA{0xFF, 0xFF, 0xFF, 0xFF})
	ink := color.RGBA{0x33, 0x33, 0x33, 0xFF}
	for i, d := range g.Depths {
		for j := range g.Lengths {
			x, y := CellOrigin(i, j)
			fillRect(img, x, y, x+CellW-1, y+CellH-1, ScoreColor(g.Score[i][j]))
		}
		label := strconv.Itoa(d)
		_, y := CellOrigin(i, 0)
		drawText(img, marginLeft-4-textWidth(label), y+(CellH-5*glyphScale)/2, label, ink)
	}
	for j, l := range g.Lengths {
		label := gen.FormatLength(l)
		x, _ := CellOrigin(0, j)
		drawText(img, x+(CellW-textWidth(label))/2, marginTop+CellH*len(g.Depths)+6, label, ink)
	}
	return img
}

// WriteHeatmapPNG encodes HeatmapImage(g) as PNG.
func WriteHeatmapPNG(w io.Writer, g Grid) error {
	return png.Encode(w, HeatmapImage(g))
}

func fillRect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// glyphs is a 3×5 pixel font for axis labels: one string per row, '#' set.
var glyphs = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", "###", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", "..#", "..#", "..#"},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	'k': {"#..", "#.#", "##.", "#.#", "#.#"},
	'm': {"...", "###", "###", "#.#", "#.#"},
}

func textWidth(s string) int { return len(s) * 4 * glyphScale }

func drawText(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range s {
		g, ok := glyphs[r]
		if ok {
			for gy, row := range g {
				for gx, p := range row {
					if p == '#' {
						fillRect(img, x+gx*glyphScale, y+gy*glyphScale, x+(gx+1)*glyphScale, y+(gy+1)*glyphScale, c)
					}
				}
			}
		}
		x += 4 * glyphScale
	}
}
