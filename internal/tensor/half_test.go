package tensor

import (
	"math"
	"testing"
)

// f16Value is an independent decoding of a binary16 pattern in float64, from
// the IEEE 754 definition.
func f16Value(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 0x1f:
		if mant == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1024+mant, exp-25)
}

func TestF16ToF32AllPatterns(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := F16ToF32(h)
		want := f16Value(h)
		if math.IsNaN(want) {
			// Quiet NaN with the payload shifted up, as VCVTPH2PS.
			wantBits := uint32(h&0x8000)<<16 | 0x7fc00000 | uint32(h&0x3ff)<<13
			if math.Float32bits(got) != wantBits {
				t.Errorf("F16ToF32(%#04x) = %#08x, want %#08x", h, math.Float32bits(got), wantBits)
			}
		} else if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Errorf("F16ToF32(%#04x) = %g, want %g", h, got, want)
		}
		if f16Table[h] != got && !math.IsNaN(want) {
			t.Errorf("f16Table[%#04x] = %g, want %g", h, f16Table[h], got)
		}
		back := F32ToF16(got)
		wantBack := h
		if math.IsNaN(want) {
			wantBack |= 0x200 // the round trip through float32 makes it quiet
		}
		if back != wantBack {
			t.Errorf("F32ToF16(F16ToF32(%#04x)) = %#04x, want %#04x", h, back, wantBack)
		}
	}
}

// TestF32ToF16Rounding checks every rounding boundary: for each pair of
// adjacent f16 values, their exact midpoint (representable in float32) must
// round to the even one, and the float32 values just around it to the
// nearer one.
func TestF32ToF16Rounding(t *testing.T) {
	for h := uint16(0); h < 0x7c00; h++ {
		lo := f16Value(h)
		var hi float64
		if h == 0x7bff {
			hi = 65536 // the next step above the largest finite value is inf
		} else {
			hi = f16Value(h + 1)
		}
		mid := float32((lo + hi) / 2)
		if float64(mid) != (lo+hi)/2 {
			t.Fatalf("midpoint of %#04x not exact in float32", h)
		}
		even := h
		if h&1 == 1 {
			even = h + 1
		}
		below := math.Nextafter32(mid, 0)
		above := math.Nextafter32(mid, math.MaxFloat32)
		for _, sign := range []float32{1, -1} {
			s := uint16(0)
			if sign < 0 {
				s = 0x8000
			}
			if got := F32ToF16(sign * mid); got != s|even {
				t.Errorf("F32ToF16(%g) = %#04x, want %#04x (tie to even)", sign*mid, got, s|even)
			}
			if got := F32ToF16(sign * below); got != s|h {
				t.Errorf("F32ToF16(%g) = %#04x, want %#04x", sign*below, got, s|h)
			}
			if got := F32ToF16(sign * above); got != s|(h+1) {
				t.Errorf("F32ToF16(%g) = %#04x, want %#04x", sign*above, got, s|(h+1))
			}
		}
	}
}

// TestF32ToF16Hardware pins values whose results were recorded from the F16C
// instruction itself (_cvtss_sh(x, 0) on an x86-64 CPU).
func TestF32ToF16Hardware(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x7f800001, 0x7e00}, // signalling NaN: quieted, payload truncated
		{0x7fffffff, 0x7fff},
		{0xffc00000, 0xfe00},
		{0x7fa00000, 0x7f00},
		{0x7f802000, 0x7e01},
		{0x00000001, 0x0000}, // float32 subnormal
		{0x33000000, 0x0000}, // 2^-25: half the smallest subnormal, ties to 0
		{0x33000001, 0x0001},
		{0x477ff000, 0x7c00}, // 65520 rounds to inf
		{0x477fefff, 0x7bff},
		{0x7f800000, 0x7c00},
		{0xff800000, 0xfc00},
		{0x501502f9, 0x7c00}, // 1e10
		{0x80000000, 0x8000},
		{0x3f800000, 0x3c00}, // 1
		{0x38800000, 0x0400}, // 2^-14, smallest normal
		{0x387fc000, 0x03ff}, // largest subnormal
	}
	for _, c := range cases {
		if got := F32ToF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("F32ToF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

func TestBF16(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even below
		{0x3f818000, 0x3f82}, // tie, odd below: up
		{0x3f808001, 0x3f81},
		{0x3f807fff, 0x3f80},
		{0x7f7fffff, 0x7f80}, // FLT_MAX rounds to inf
		{0x7f800000, 0x7f80},
		{0x7f800001, 0x7fc0}, // NaN made quiet
		{0xff800001, 0xffc0},
		{0x7fc00000, 0x7fc0},
		{0x00008000, 0x0000}, // subnormal tie to even, not flushed
		{0x00018000, 0x0002},
		{0x80010000, 0x8001},
	}
	for _, c := range cases {
		if got := F32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x) = %#08x", h, math.Float32bits(f))
		}
		want := h
		if f != f {
			want |= 0x40
		}
		if got := F32ToBF16(f); got != want {
			t.Errorf("F32ToBF16(BF16ToF32(%#04x)) = %#04x, want %#04x", h, got, want)
		}
	}
}

func TestHalfSlices(t *testing.T) {
	src := []float32{1, -2.5, 65520, 1e-5, float32(math.Inf(-1))}
	h := make([]uint16, len(src))
	if err := F32ToF16Slice(h, src); err != nil {
		t.Fatal(err)
	}
	wantH := []uint16{0x3c00, 0xc100, 0x7c00, 0x00a8, 0xfc00}
	back := make([]float32, len(src))
	if err := F16ToF32Slice(back, h); err != nil {
		t.Fatal(err)
	}
	for i := range src {
		if h[i] != wantH[i] {
			t.Errorf("F32ToF16Slice[%d] = %#04x, want %#04x", i, h[i], wantH[i])
		}
		if back[i] != F16ToF32(h[i]) {
			t.Errorf("F16ToF32Slice[%d] = %g", i, back[i])
		}
	}
	b := make([]uint16, len(src))
	if err := F32ToBF16Slice(b, src); err != nil {
		t.Fatal(err)
	}
	wantB := []uint16{0x3f80, 0xc020, 0x4780, 0x3728, 0xff80}
	if err := BF16ToF32Slice(back, b); err != nil {
		t.Fatal(err)
	}
	for i := range src {
		if b[i] != wantB[i] {
			t.Errorf("F32ToBF16Slice[%d] = %#04x, want %#04x", i, b[i], wantB[i])
		}
		if back[i] != BF16ToF32(b[i]) {
			t.Errorf("BF16ToF32Slice[%d] = %g", i, back[i])
		}
	}
	short := make([]uint16, 2)
	if F32ToF16Slice(short, src) == nil || F32ToBF16Slice(short, src) == nil {
		t.Error("F32To*Slice accepted a short dst")
	}
	if F16ToF32Slice(back[:1], h) == nil || BF16ToF32Slice(back[:1], b) == nil {
		t.Error("*ToF32Slice accepted a short dst")
	}
}
