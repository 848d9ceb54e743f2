package tensor

import (
	"math"
	"testing"
)

// Known-value tests: blocks written byte by byte from the layouts in
// ggml-common.h, and the values they must decode to worked out by hand.

func TestQ8_0KnownBlock(t *testing.T) {
	// d = 0.5 (f16 0x3800), quants -128, -1, 0, 1, 127, then j-16 for j >= 5.
	blk := []byte{0x00, 0x38, 0x80, 0xff, 0x00, 0x01, 0x7f}
	want := []float32{-64, -0.5, 0, 0.5, 63.5}
	for j := 5; j < 32; j++ {
		blk = append(blk, byte(int8(j-16)))
		want = append(want, float32(j-16)*0.5)
	}
	got := make([]float32, 32)
	if err := Dequantize(Q8_0, blk, got); err != nil {
		t.Fatal(err)
	}
	expectFloats(t, "Q8_0", got, want)

	// Dot with a Q8_0 activation of d = 2 (0x4000) and all quants 3: the
	// integer sum is 3*sum(q) = 3*(-128-1+0+1+127+sum_{j=5}^{31}(j-16)) =
	// 3*(-1+54) = 159, times 0.5*2.
	act := []byte{0x00, 0x40}
	for j := 0; j < 32; j++ {
		act = append(act, 3)
	}
	dot, err := VecDot(Q8_0, 32, blk, act)
	if err != nil {
		t.Fatal(err)
	}
	if dot != 159 {
		t.Errorf("Q8_0 dot = %g, want 159", dot)
	}
}

func TestQ4_0KnownBlock(t *testing.T) {
	// d = 2 (0x4000); byte j holds j in the low nibble (element j) and 15-j
	// in the high nibble (element j+16); values are (q-8)*d.
	blk := []byte{0x00, 0x40}
	want := make([]float32, 32)
	for j := 0; j < 16; j++ {
		blk = append(blk, byte(j|(15-j)<<4))
		want[j] = float32(j-8) * 2
		want[j+16] = float32(7-j) * 2
	}
	got := make([]float32, 32)
	if err := Dequantize(Q4_0, blk, got); err != nil {
		t.Fatal(err)
	}
	expectFloats(t, "Q4_0", got, want)

	// Activation: d = 0.25 (0x3400), quants 1 for the first 16 elements and
	// 2 for the rest: sum_j (j-8) + 2*sum_j (7-j) = -8 - 16 = -24, times 2*0.25.
	act := []byte{0x00, 0x34}
	for j := 0; j < 32; j++ {
		q := int8(1)
		if j >= 16 {
			q = 2
		}
		act = append(act, byte(q))
	}
	dot, err := VecDot(Q4_0, 32, blk, act)
	if err != nil {
		t.Fatal(err)
	}
	if dot != -12 {
		t.Errorf("Q4_0 dot = %g, want -12", dot)
	}
}

// knownQ4KBlock is a Q4_K super-block with d = 1, dmin = 0.5, the 6-bit scales
// sc and mins m below (packed by hand: entries 4-7 split into a nibble in
// bytes 8-11 and their top 2 bits in the spare bits of bytes 0-7), and quant
// l%16 for the low nibble of byte l of each 32-byte run and 15-l%16 for the
// high nibble.
var (
	knownQ4KScales = [8]int{1, 2, 3, 4, 17, 33, 5, 63}
	knownQ4KMins   = [8]int{0, 1, 2, 3, 16, 34, 7, 63}
	knownQ4KBlock  = func() []byte {
		b := []byte{
			0x00, 0x3c, 0x00, 0x38, // d = 1, dmin = 0.5
			0x41, 0x82, 0x03, 0xc4, // scales 0-3, top bits of scales 4-7 (1, 2, 0, 3)
			0x40, 0x81, 0x02, 0xc3, // mins 0-3, top bits of mins 4-7 (1, 2, 0, 3)
			0x01, 0x21, 0x75, 0xff, // low nibbles: scale 4-7 (1, 1, 5, 15), min 4-7 (0, 2, 7, 15)
		}
		for r := 0; r < 4; r++ {
			for l := 0; l < 32; l++ {
				b = append(b, byte(l%16|(15-l%16)<<4))
			}
		}
		return b
	}()
)

func TestQ4_KKnownBlock(t *testing.T) {
	if len(knownQ4KBlock) != q4KBytes {
		t.Fatalf("block is %d bytes", len(knownQ4KBlock))
	}
	// Run r holds sub-block 2r in its low nibbles, 2r+1 in its high ones;
	// value = d*scale*q - dmin*min.
	want := make([]float32, QK_K)
	for r := 0; r < 4; r++ {
		for l := 0; l < 32; l++ {
			want[64*r+l] = float32(knownQ4KScales[2*r]*(l%16)) - 0.5*float32(knownQ4KMins[2*r])
			want[64*r+32+l] = float32(knownQ4KScales[2*r+1]*(15-l%16)) - 0.5*float32(knownQ4KMins[2*r+1])
		}
	}
	got := make([]float32, QK_K)
	if err := Dequantize(Q4_K, knownQ4KBlock, got); err != nil {
		t.Fatal(err)
	}
	expectFloats(t, "Q4_K", got, want)

	// Q8_K activation: d = 0.25 (f32), quants 2 everywhere, bsums 32.
	act := make([]byte, q8KBytes)
	putF32(act, 0, 0.25)
	for j := 0; j < QK_K; j++ {
		act[q8KQs+j] = 2
	}
	for j := 0; j < 16; j++ {
		act[q8KBsums+2*j] = 32
	}
	var wantDot float64
	for _, v := range want {
		wantDot += float64(v) * 0.5
	}
	dot, err := VecDot(Q4_K, QK_K, knownQ4KBlock, act)
	if err != nil {
		t.Fatal(err)
	}
	if dot != float32(wantDot) {
		t.Errorf("Q4_K dot = %g, want %g", dot, wantDot)
	}
}

func TestQuantizeActivationsKnown(t *testing.T) {
	// One Q8_0 block with amax 127: both quantizers get d = 1 and scale 1, so
	// only the rounding of the .5 values differs (even vs away from zero).
	x := make([]float32, 32)
	x[0], x[1], x[2], x[3] = 127, 2.5, -2.5, 3.5
	ref := make([]byte, q8_0Bytes)
	act := make([]byte, q8_0Bytes)
	if err := Quantize(Q8_0, x, ref); err != nil {
		t.Fatal(err)
	}
	if err := QuantizeActivations(Q8_0, x, act); err != nil {
		t.Fatal(err)
	}
	wantRef := []int8{127, 3, -3, 4}
	wantAct := []int8{127, 2, -2, 4}
	for j := 0; j < 4; j++ {
		if int8(ref[2+j]) != wantRef[j] || int8(act[2+j]) != wantAct[j] {
			t.Errorf("element %d: Quantize %d (want %d), QuantizeActivations %d (want %d)",
				j, int8(ref[2+j]), wantRef[j], int8(act[2+j]), wantAct[j])
		}
	}
	if f16At(ref, 0) != 1 || f16At(act, 0) != 1 {
		t.Errorf("d = %g / %g, want 1", f16At(ref, 0), f16At(act, 0))
	}

	// Q8_1 stores s = d*sum(q) as f16: 127+2-2+4 = 131.
	act1 := make([]byte, q8_1Bytes)
	if err := QuantizeActivations(Q8_1, x, act1); err != nil {
		t.Fatal(err)
	}
	if f16At(act1, 2) != 131 {
		t.Errorf("Q8_1 s = %g, want 131", f16At(act1, 2))
	}

	// Q8_K: the largest magnitude is -2 at element 1, so iscale = 63.5 and
	// d = 1/63.5; 1 -> 63.5 -> 64 (half to even), 0.5 -> 31.75 -> 32.
	xk := make([]float32, QK_K)
	xk[0], xk[1], xk[2], xk[17] = 1, -2, 0.5, -1
	k := make([]byte, q8KBytes)
	if err := QuantizeActivations(Q8_K, xk, k); err != nil {
		t.Fatal(err)
	}
	if d := f32At(k, 0); d != float32(1)/63.5 {
		t.Errorf("Q8_K d = %g, want 1/63.5", d)
	}
	wantQ := map[int]int8{0: 64, 1: -127, 2: 32, 17: -64}
	for j := 0; j < QK_K; j++ {
		if got := int8(k[q8KQs+j]); got != wantQ[j] {
			t.Errorf("Q8_K q[%d] = %d, want %d", j, got, wantQ[j])
		}
	}
	if b0, b1 := int16(k[q8KBsums])|int16(k[q8KBsums+1])<<8, int16(k[q8KBsums+2])|int16(k[q8KBsums+3])<<8; b0 != -31 || b1 != -64 {
		t.Errorf("Q8_K bsums = %d, %d, want -31, -64", b0, b1)
	}
}

func expectFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}
