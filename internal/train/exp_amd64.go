//go:build amd64 && !purego

package train

import (
	"math"

	"golang.org/x/sys/cpu"
)

// expConsts are expf's constants as the kernel loads them: log2e, magic,
// ln2hi, ln2lo, 1/720, 1/120, 1/24, 1/6, 1/2, 1, −87, 88, +Inf.
var expConsts = [13]float32{expLog2e, expMagic, expLn2hi, expLn2lo, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, -87, 88, float32(math.Inf(1))}

func init() {
	if cpu.X86.HasAVX2 {
		expShift = expShiftSliceAVX2
	}
}

//go:noescape
func expShiftAVX2(x *float32, n int, c *[13]float32, shift *[8]float32) float32

func expShiftSliceAVX2(x []float32, shift float32) float32 {
	body := len(x) &^ 7
	var sum float32
	if body > 0 {
		sh := [8]float32{shift, shift, shift, shift, shift, shift, shift, shift}
		sum = expShiftAVX2(&x[0], body, &expConsts, &sh)
	}
	return sum + expShiftGo(x[body:], shift)
}
