//go:build amd64 && !purego

package tensor

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAVX2DotMatchesReference compares every assembly kernel with the Go
// reference it replaces on random rows of many lengths (odd block counts,
// and for F32/F16 lengths that are not a multiple of the 32-element body).
func TestAVX2DotMatchesReference(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks AVX2+FMA+F16C; the reference kernels are in use")
	}
	cases := []struct {
		typ      Type
		asm, ref vecDotFunc
		unit     int // elements per block
	}{
		{F32, dotF32F32AVX2, dotF32F32, 1},
		{F16, dotF16F16AVX2, dotF16F16, 1},
		{Q8_0, dotQ8_0Q8_0AVX2, dotQ8_0Q8_0, qk32},
		{Q4_0, dotQ4_0Q8_0AVX2, dotQ4_0Q8_0, qk32},
		{Q4_K, dotQ4KQ8KAVX2, dotQ4KQ8K, QK_K},
		{Q6_K, dotQ6KQ8KAVX2, dotQ6KQ8K, QK_K},
		{Q4_1, blockDot(dotQ4_1AVX2, qk32), dotQ4_1Q8_1, qk32},
		{Q5_0, blockDot(dotQ5_0AVX2, qk32), dotQ5_0Q8_0, qk32},
		{Q5_1, blockDot(dotQ5_1AVX2, qk32), dotQ5_1Q8_1, qk32},
		{Q5_K, blockDot(dotQ5KAVX2, QK_K), dotQ5KQ8K, QK_K},
		{BF16, dotBF16BF16AVX2, dotBF16BF16, 1},
	}

	r := rand.New(rand.NewPCG(11, 13))
	for _, c := range cases {
		var lengths []int
		if c.unit == 1 {
			lengths = []int{1, 7, 31, 32, 33, 63, 64, 95, 257, 1000, 4096, 4103}
		} else {
			for _, nb := range []int{1, 2, 3, 5, 8, 17, 64, 65} {
				lengths = append(lengths, nb*c.unit)
			}
		}
		if got := kernels[c.typ].vecDot; got == nil {
			t.Fatalf("%s: no kernel", c.typ)
		}
		for _, n := range lengths {
			for trial := 0; trial < 4; trial++ {
				w := randomWeights(r, c.typ, n)
				at := kernels[c.typ].vecDotType
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				arb, _ := at.RowBytes(int64(n))
				a := make([]byte, arb)
				if err := QuantizeActivations(at, x, a); err != nil {
					t.Fatal(err)
				}
				// The tolerance scales with the sum of |products|, the size
				// that reordered float sums are rounded against.
				wf, af := make([]float32, n), make([]float32, n)
				if err := Dequantize(c.typ, w, wf); err != nil {
					t.Fatal(err)
				}
				if err := Dequantize(at, a, af); err != nil {
					t.Fatal(err)
				}
				var mag float64
				for i := range wf {
					mag += math.Abs(float64(wf[i]) * float64(af[i]))
				}
				got, want := c.asm(n, w, a), c.ref(n, w, a)
				if tol := 2e-6*mag + 1e-30; math.Abs(float64(got)-float64(want)) > tol {
					t.Errorf("%s n=%d trial %d: asm %g, reference %g (tolerance %g)", c.typ, n, trial, got, want, tol)
				}
			}
		}
	}
}

// TestF16C checks the F16C slice conversions bit for bit against the Go
// ones: every binary16 pattern, and float32 values around every f16
// rounding boundary plus specials, with lengths that leave tails.
func TestF16C(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks F16C")
	}
	src := make([]uint16, 1<<16+5)
	for i := range src {
		src[i] = uint16(i)
	}
	got, want := make([]float32, len(src)), make([]float32, len(src))
	f16ToF32AVX(got, src)
	f16ToF32Go(want, src)
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("f16 %#04x: F16C %#08x, Go %#08x", src[i], math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	var fs []float32
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		b := math.Float32bits(f)
		// the value, its neighbours and the midpoints to the next f16
		fs = append(fs, f, math.Float32frombits(b+1), math.Float32frombits(b-1), math.Float32frombits(b+0x1000))
	}
	for i := 0; i < 1<<16; i++ {
		fs = append(fs, math.Float32frombits(r.Uint32()))
	}
	fs = append(fs, float32(math.Inf(1)), float32(math.Inf(-1)), 65519.99, 65520, 1e-8, -1e-8, 0, float32(math.Copysign(0, -1)))
	h1, h2 := make([]uint16, len(fs)), make([]uint16, len(fs))
	f32ToF16AVX(h1, fs)
	f32ToF16Go(h2, fs)
	for i := range h1 {
		if h1[i] != h2[i] {
			t.Fatalf("f32 %#08x: F16C %#04x, Go %#04x", math.Float32bits(fs[i]), h1[i], h2[i])
		}
	}
}

// TestQuantizeQ8_0AVX2 checks the assembly activation quantizer bit for
// bit against the Go one: random blocks at several scales, all-zero
// blocks, and blocks with NaN, ±Inf, subnormals and values at the f16 and
// rounding boundaries.
func TestQuantizeQ8_0AVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks AVX2+FMA+F16C")
	}
	r := rand.New(rand.NewPCG(5, 17))
	const nb = 200
	x := make([]float32, nb*qk32)
	for b := 0; b < nb; b++ {
		blk := x[b*qk32 : (b+1)*qk32]
		scale := math.Pow(10, float64(r.IntN(24)-12))
		for i := range blk {
			blk[i] = float32(r.NormFloat64() * scale)
		}
		switch b % 8 {
		case 1:
			clear(blk)
		case 2:
			blk[r.IntN(qk32)] = float32(math.NaN())
		case 3:
			blk[r.IntN(qk32)] = float32(math.Inf(1 - 2*r.IntN(2)))
		case 4:
			for i := range blk {
				blk[i] = math.Float32frombits(r.Uint32() & 0x807fffff) // subnormals
			}
		case 5:
			for i := range blk {
				blk[i] = float32(r.IntN(255)-127) + 0.5 // ties at amax 127
			}
			blk[0] = 127
		case 6:
			blk[3] = 65520 * 127 // d overflows f16
		}
	}
	got, want := make([]byte, nb*q8_0Bytes), make([]byte, nb*q8_0Bytes)
	quantizeQ8_0ActivationsAVX2(x, got)
	quantizeQ8_0Activations(x, want)
	for b := 0; b < nb; b++ {
		g, w := got[b*q8_0Bytes:(b+1)*q8_0Bytes], want[b*q8_0Bytes:(b+1)*q8_0Bytes]
		for i := range g {
			if g[i] != w[i] {
				t.Fatalf("block %d byte %d: AVX2 %#x, Go %#x\nAVX2 % x\nGo   % x", b, i, g[i], w[i], g, w)
			}
		}
	}
}

// TestQuantizeQ8KAVX2 checks the assembly Q8_K quantizer bit for bit
// against the Go one: random super-blocks at several scales, all-zero
// ones, ties for the largest magnitude with both signs, NaN and ±Inf.
func TestQuantizeQ8KAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks AVX2+FMA+F16C")
	}
	r := rand.New(rand.NewPCG(6, 19))
	const nb = 120
	x := make([]float32, nb*QK_K)
	for b := 0; b < nb; b++ {
		blk := x[b*QK_K : (b+1)*QK_K]
		scale := math.Pow(10, float64(r.IntN(24)-12))
		for i := range blk {
			blk[i] = float32(r.NormFloat64() * scale)
		}
		switch b % 8 {
		case 1:
			clear(blk)
		case 2:
			blk[r.IntN(QK_K)] = float32(math.NaN())
		case 3:
			blk[r.IntN(QK_K)] = float32(math.Inf(1 - 2*r.IntN(2)))
		case 4: // equal magnitudes, opposite signs: the first one wins
			i, j := r.IntN(QK_K/2), QK_K/2+r.IntN(QK_K/2)
			blk[i], blk[j] = -1000*float32(scale), 1000*float32(scale)
		case 5:
			for i := range blk {
				blk[i] = float32(r.IntN(255)-127) + 0.5
			}
			blk[7] = -127
		}
	}
	got, want := make([]byte, nb*q8KBytes), make([]byte, nb*q8KBytes)
	for i := range got {
		got[i], want[i] = 0xee, 0xee // an all-zero block must be cleared
	}
	quantizeQ8KAVX2Row(x, got)
	quantizeQ8K(x, want)
	for b := 0; b < nb; b++ {
		g, w := got[b*q8KBytes:(b+1)*q8KBytes], want[b*q8KBytes:(b+1)*q8KBytes]
		for i := range g {
			if g[i] != w[i] {
				t.Fatalf("block %d byte %d: AVX2 %#x, Go %#x", b, i, g[i], w[i])
			}
		}
	}
}

// TestDotRowsMatchesReference compares every vecDotRows kernel with the Go
// reference dot product, row by row: random rows of several block counts,
// several row counts, and rows packed tightly or with a gap between them.
// Q8_0's must also give the bits its vecDot gives (decode and batches take
// one or the other), with quants of -128 too.
func TestDotRowsMatchesReference(t *testing.T) {
	refs := map[Type]vecDotFunc{Q4_K: dotQ4KQ8K, Q6_K: dotQ6KQ8K, Q8_0: dotQ8_0Q8_0}
	r := rand.New(rand.NewPCG(12, 14))
	tested := 0
	for typ, ref := range refs {
		rows := kernels[typ].vecDotRows
		if rows == nil {
			continue
		}
		tested++
		at := kernels[typ].vecDotType
		nbs := []int{1, 2, 3, 8, 17}
		if typ == Q8_0 {
			nbs = append(nbs, 513) // past q8_0RowsAVX2's stack buffer
		}
		for _, nb := range nbs {
			n := nb * typ.BlockSize()
			rb, _ := typ.RowBytes(int64(n))
			for _, nrows := range []int{1, 2, 3, 4, 7, 9, 12} {
				for _, gap := range []int{0, 5} {
					rowB := int(rb) + gap
					w := make([]byte, nrows*rowB)
					for i := 0; i < nrows; i++ {
						copy(w[i*rowB:], randomWeights(r, typ, n))
						if typ == Q8_0 && i%2 == 1 {
							w[i*rowB+2+r.IntN(32)] = 0x80 // -128, which ggml's quantizer never writes
						}
					}
					x := make([]float32, n)
					for i := range x {
						x[i] = float32(r.NormFloat64())
					}
					arb, _ := at.RowBytes(int64(n))
					a := make([]byte, arb)
					if err := QuantizeActivations(at, x, a); err != nil {
						t.Fatal(err)
					}
					got := make([]float32, nrows)
					rows(n, w, rowB, a, got)
					for i := range got {
						wi := w[i*rowB : i*rowB+int(rb)]
						want := ref(n, wi, a)
						tol := 2e-6*dotMagnitude(t, typ, wi, at, a, n) + 1e-30
						if typ == Q8_0 {
							if one := kernels[typ].vecDot(n, wi, a); math.Float32bits(got[i]) != math.Float32bits(one) {
								t.Fatalf("Q8_0 nb=%d nrows=%d gap=%d row %d: %g, vecDot %g", nb, nrows, gap, i, got[i], one)
							}
						}
						if math.Abs(float64(got[i])-float64(want)) > tol {
							if t.Failed() {
								t.Fatalf("%s: stopping at the second mismatch", typ)
							}
							t.Errorf("%s nb=%d nrows=%d gap=%d row %d: %g, reference %g (tolerance %g)", typ, nb, nrows, gap, i, got[i], want, tol)
						}
					}
				}
			}
		}
	}
	if hasVNNI && tested == 0 {
		t.Fatal("no vecDotRows kernel on a CPU with AVX512-VNNI")
	}
}

// TestKQuantDotExtremes feeds the K-quant kernels the largest quants,
// scales and activations (-128 and 127): their int16 sums are folded four
// products to a lane before the scales are applied, and must not wrap.
func TestKQuantDotExtremes(t *testing.T) {
	if !hasAVX2 {
		t.Skip("CPU lacks AVX2+FMA+F16C; the reference kernels are in use")
	}
	const nb = 3
	one := []byte{0x00, 0x3c} // f16 1.0
	for _, c := range []struct {
		typ      Type
		asm, ref vecDotFunc
		block    func() []byte
	}{
		{Q4_K, dotQ4KQ8KAVX2, dotQ4KQ8K, func() []byte {
			b := append(slices.Clone(one), one...)                  // d, dmin
			return append(b, bytes.Repeat([]byte{0xff}, 12+128)...) // scales and mins 63, quants 15
		}},
		{Q5_K, blockDot(dotQ5KAVX2, QK_K), dotQ5KQ8K, func() []byte {
			b := append(slices.Clone(one), one...)
			return append(b, bytes.Repeat([]byte{0xff}, 12+32+128)...) // quants 31
		}},
		{Q6_K, dotQ6KQ8KAVX2, dotQ6KQ8K, func() []byte {
			b := bytes.Repeat([]byte{0xff}, 128+64) // quants 63
			b = append(b, bytes.Repeat([]byte{0x7f}, 16)...)
			return append(b, one...)
		}},
	} {
		for _, v := range []int8{-128, 127} {
			var w, a []byte
			for range nb {
				w = append(w, c.block()...)
				a = binary.LittleEndian.AppendUint32(a, math.Float32bits(1))
				for range QK_K {
					a = append(a, byte(v))
				}
				for range QK_K / 16 {
					a = binary.LittleEndian.AppendUint16(a, uint16(int16(v)*16))
				}
			}
			got, want := c.asm(nb*QK_K, w, a), c.ref(nb*QK_K, w, a)
			if got != want {
				t.Errorf("%s, activations %d: asm %g, reference %g", c.typ, v, got, want)
			}
		}
	}
}
