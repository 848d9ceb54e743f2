package tensor

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzRowFunctions feeds arbitrary bytes (as they would come from a model
// file) and arbitrary element counts and types to the exported row
// functions: they must return an error or a result, never panic.
func FuzzRowFunctions(f *testing.F) {
	f.Add(make([]byte, q8_0Bytes), uint8(Q8_0), uint16(32))
	f.Add(make([]byte, q4KBytes), uint8(Q4_K), uint16(256))
	f.Add([]byte{0x00, 0x7c, 1, 2, 3}, uint8(Q4_0), uint16(32))
	f.Fuzz(func(t *testing.T, data []byte, typ uint8, n uint16) {
		tt := Type(typ)
		dst := make([]float32, n)
		derr := Dequantize(tt, data, dst)
		if derr == nil {
			if rb, _ := tt.RowBytes(int64(n)); int64(len(data)) != rb {
				t.Fatalf("Dequantize(%s) accepted %d bytes for %d elements", tt, len(data), n)
			}
		}
		_, _ = VecDot(tt, int(n), data, data)

		// Whatever the bytes, read as float32s (NaN and inf included),
		// quantizing them must not panic either.
		x := make([]float32, len(data)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		if rb, err := tt.RowBytes(int64(len(x))); err == nil && rb < 1<<20 {
			q := make([]byte, rb)
			if Quantize(tt, x, q) == nil {
				_ = Dequantize(tt, q, make([]float32, len(x)))
			}
			_ = QuantizeActivations(tt, x, q)
		}
		if HasVecDot(tt) && len(x) > 0 {
			rows := 1 + len(data)%3
			if wrb, err := tt.RowBytes(int64(len(x))); err == nil {
				w := make([]byte, int(wrb)*rows)
				copy(w, data)
				_ = MatMul(make([]float32, rows), w, tt, rows, len(x), x, 1)
			}
		}
	})
}
