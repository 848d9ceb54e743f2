//go:build amd64 && !purego

#include "textflag.h"

// The weight loops prefetch 4 KiB ahead of the row they read (about one
// PREFETCHT0 per 64 bytes a loop consumes): on the Zen 1 CPU the hardware
// prefetchers alone left single-token decode at about 70% of the read
// bandwidth, and rows are read in order, so 4 KiB ahead is the next rows.

// Dot-product kernels for AVX2 + FMA + F16C. Integer block dots use the
// sign trick (|x| as unsigned bytes times y carrying x's sign) so that
// VPMADDUBSW can multiply signed int8 pairs; block sums become float32 and
// are scaled and accumulated with FMA in 8 lanes, summed horizontally at the
// end. The accumulation order differs from the reference, so results agree
// with it to float rounding.

// HSUM sums the 8 floats of Y0 into the low lane of X0.
#define HSUM \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1     \
	VADDSS       X1, X0, X0

// func dotF16AVX2(w, a unsafe.Pointer, n int) float32
// n is a positive multiple of 8: 32 per iteration, then 8 at a time.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), SI
	MOVQ   a+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

	CMPQ        CX, $32
	JLT         f16tail

f16loop:
	PREFETCHT0 4096(SI)
	VCVTPH2PS   0(SI), Y4
	VCVTPH2PS   16(SI), Y5
	VCVTPH2PS   32(SI), Y6
	VCVTPH2PS   48(SI), Y7
	VCVTPH2PS   0(DI), Y8
	VCVTPH2PS   16(DI), Y9
	VCVTPH2PS   32(DI), Y10
	VCVTPH2PS   48(DI), Y11
	VFMADD231PS Y8, Y4, Y0
	VFMADD231PS Y9, Y5, Y1
	VFMADD231PS Y10, Y6, Y2
	VFMADD231PS Y11, Y7, Y3
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         f16loop

f16tail:
	TESTQ       CX, CX
	JZ          f16done
	VCVTPH2PS   0(SI), Y4
	VCVTPH2PS   0(DI), Y8
	VFMADD231PS Y8, Y4, Y0
	ADDQ        $16, SI
	ADDQ        $16, DI
	SUBQ        $8, CX
	JMP         f16tail

f16done:

	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ8_0AVX2(w, a unsafe.Pointer, nb int) float32
// nb is the number of 32-element blocks (34-byte weight blocks, Q8_0 activations), > 0.
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	MOVQ        w+0(FP), SI
	MOVQ        a+8(FP), DI
	MOVQ        nb+16(FP), CX
	VPCMPEQW    Y15, Y15, Y15
	VPSRLW      $15, Y15, Y15 // int16 ones for VPMADDWD
	VXORPS      Y0, Y0, Y0
	VXORPS      Y6, Y6, Y6
	CMPQ        CX, $2
	JLT         dotQ8_0AVX2_tail

dotQ8_0AVX2_loop2:
	PREFETCHT0 4096(SI)
	VMOVDQU      2(SI), Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, X4
	VPBROADCASTW 0(DI), X5
	VCVTPH2PS    X5, X5
	VMULSS       X5, X4, X4
	VBROADCASTSS X4, Y4
	VFMADD231PS  Y4, Y3, Y0
	VMOVDQU      36(SI), Y1
	VMOVDQU      36(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 34(SI), X4
	VCVTPH2PS    X4, X4
	VPBROADCASTW 34(DI), X5
	VCVTPH2PS    X5, X5
	VMULSS       X5, X4, X4
	VBROADCASTSS X4, Y4
	VFMADD231PS  Y4, Y3, Y6
	ADDQ        $68, SI
	ADDQ        $68, DI
	SUBQ        $2, CX
	CMPQ        CX, $2
	JGE         dotQ8_0AVX2_loop2

dotQ8_0AVX2_tail:
	TESTQ       CX, CX
	JZ          dotQ8_0AVX2_done
	VMOVDQU      2(SI), Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, X4
	VPBROADCASTW 0(DI), X5
	VCVTPH2PS    X5, X5
	VMULSS       X5, X4, X4
	VBROADCASTSS X4, Y4
	VFMADD231PS  Y4, Y3, Y0

dotQ8_0AVX2_done:
	VADDPS      Y6, Y0, Y0
	HSUM
	VMOVSS      X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ4_0AVX2(w, a unsafe.Pointer, nb int) float32
// nb is the number of 32-element blocks (18-byte weight blocks, Q8_0 activations), > 0.
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ        w+0(FP), SI
	MOVQ        a+8(FP), DI
	MOVQ        nb+16(FP), CX
	VPCMPEQW    Y15, Y15, Y15
	VPSRLW      $15, Y15, Y15 // int16 ones for VPMADDWD
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0x08080808, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	VXORPS      Y0, Y0, Y0
	VXORPS      Y6, Y6, Y6
	CMPQ        CX, $2
	JLT         dotQ4_0AVX2_tail

dotQ4_0AVX2_loop2:
	PREFETCHT0 4096(SI)
	VMOVDQU      2(SI), X1
	VPSRLW       $4, X1, X2
	VINSERTI128  $1, X2, Y1, Y1
	VPAND        Y14, Y1, Y1
	VPSUBB       Y13, Y1, Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, Y4
	VPBROADCASTW 0(DI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y5, Y4, Y4
	VFMADD231PS  Y4, Y3, Y0
	VMOVDQU      20(SI), X1
	VPSRLW       $4, X1, X2
	VINSERTI128  $1, X2, Y1, Y1
	VPAND        Y14, Y1, Y1
	VPSUBB       Y13, Y1, Y1
	VMOVDQU      36(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 18(SI), X4
	VCVTPH2PS    X4, Y4
	VPBROADCASTW 34(DI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y5, Y4, Y4
	VFMADD231PS  Y4, Y3, Y6
	ADDQ        $36, SI
	ADDQ        $68, DI
	SUBQ        $2, CX
	CMPQ        CX, $2
	JGE         dotQ4_0AVX2_loop2

dotQ4_0AVX2_tail:
	TESTQ       CX, CX
	JZ          dotQ4_0AVX2_done
	VMOVDQU      2(SI), X1
	VPSRLW       $4, X1, X2
	VINSERTI128  $1, X2, Y1, Y1
	VPAND        Y14, Y1, Y1
	VPSUBB       Y13, Y1, Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, Y4
	VPBROADCASTW 0(DI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y5, Y4, Y4
	VFMADD231PS  Y4, Y3, Y0

dotQ4_0AVX2_done:
	VADDPS      Y6, Y0, Y0
	HSUM
	VMOVSS      X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ4KAVX2(w, a unsafe.Pointer, nb int) float32
// nb is the number of 256-element super-blocks (Q4_K weights, Q8_K
// activations), > 0. Per super-block the 6-bit scales and mins are unpacked
// with integer ops into 8 bytes each; the quants times scales are summed in
// int32 lanes, the mins through Q8_K's 16 bsums. The int16 pair sums of two
// sub-blocks are folded (VPUNPCK[LH]QDQ + VPADDW: 4 lanes of each per
// 128 bits, |sum| <= 4*15*128) before one VPMADDWD applies both scales:
// 3 multiplies per 64 products instead of 4, which is what bounds this
// loop on CPUs with one vector integer multiplier (Zen 1).
TEXT ·dotQ4KAVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         nb+16(FP), CX
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU      q4kMinDup<>(SB), X14
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1

q4kloop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	// scales: bytes 0-3 low 6 bits of a0; bytes 4-7 low nibbles of a2 with
	// a0's top bits above. mins: the same from a1 and a2's high nibbles.
	MOVL  4(SI), AX
	MOVL  8(SI), BX
	MOVL  12(SI), DX
	MOVL  AX, R8
	ANDL  $0x3f3f3f3f, R8
	MOVL  DX, R9
	ANDL  $0x0f0f0f0f, R9
	SHRL  $6, AX
	ANDL  $0x03030303, AX
	SHLL  $4, AX
	ORL   AX, R9
	MOVL  BX, R10
	ANDL  $0x3f3f3f3f, R10
	SHRL  $4, DX
	ANDL  $0x0f0f0f0f, DX
	SHRL  $6, BX
	ANDL  $0x03030303, BX
	SHLL  $4, BX
	ORL   BX, DX
	SHLQ  $32, R9
	ORQ   R9, R8
	SHLQ  $32, DX
	ORQ   DX, R10

	VMOVQ        R8, X2
	VPBROADCASTQ X2, Y2
	VMOVQ        R10, X3
	VPSHUFB      X14, X3, X3
	VPMOVZXBW    X3, Y3
	VPMADDWD     260(DI), Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VBROADCASTSS 0(DI), Y4
	VPBROADCASTW 2(SI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y4, Y5, Y5
	VFMADD231PS  Y5, Y3, Y1
	VPBROADCASTW 0(SI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y4, Y5, Y4
	VPXOR       Y6, Y6, Y6
	VMOVDQU     16(SI), Y7
	VPSRLW      $4, Y7, Y8
	VPAND       Y15, Y7, Y7
	VPAND       Y15, Y8, Y8
	VPMADDUBSW  4(DI), Y7, Y7
	VPMADDUBSW  36(DI), Y8, Y8
	VPUNPCKLQDQ Y8, Y7, Y9
	VPUNPCKHQDQ Y8, Y7, Y10
	VPADDW      Y10, Y9, Y9
	VPSHUFB     q4kPairMask<>+0(SB), Y2, Y10
	VPMADDWD    Y10, Y9, Y9
	VPADDD      Y9, Y6, Y6
	VMOVDQU     48(SI), Y7
	VPSRLW      $4, Y7, Y8
	VPAND       Y15, Y7, Y7
	VPAND       Y15, Y8, Y8
	VPMADDUBSW  68(DI), Y7, Y7
	VPMADDUBSW  100(DI), Y8, Y8
	VPUNPCKLQDQ Y8, Y7, Y9
	VPUNPCKHQDQ Y8, Y7, Y10
	VPADDW      Y10, Y9, Y9
	VPSHUFB     q4kPairMask<>+32(SB), Y2, Y10
	VPMADDWD    Y10, Y9, Y9
	VPADDD      Y9, Y6, Y6
	VMOVDQU     80(SI), Y7
	VPSRLW      $4, Y7, Y8
	VPAND       Y15, Y7, Y7
	VPAND       Y15, Y8, Y8
	VPMADDUBSW  132(DI), Y7, Y7
	VPMADDUBSW  164(DI), Y8, Y8
	VPUNPCKLQDQ Y8, Y7, Y9
	VPUNPCKHQDQ Y8, Y7, Y10
	VPADDW      Y10, Y9, Y9
	VPSHUFB     q4kPairMask<>+64(SB), Y2, Y10
	VPMADDWD    Y10, Y9, Y9
	VPADDD      Y9, Y6, Y6
	VMOVDQU     112(SI), Y7
	VPSRLW      $4, Y7, Y8
	VPAND       Y15, Y7, Y7
	VPAND       Y15, Y8, Y8
	VPMADDUBSW  196(DI), Y7, Y7
	VPMADDUBSW  228(DI), Y8, Y8
	VPUNPCKLQDQ Y8, Y7, Y9
	VPUNPCKHQDQ Y8, Y7, Y10
	VPADDW      Y10, Y9, Y9
	VPSHUFB     q4kPairMask<>+96(SB), Y2, Y10
	VPMADDWD    Y10, Y9, Y9
	VPADDD      Y9, Y6, Y6
	VCVTDQ2PS    Y6, Y6
	VFMADD231PS  Y4, Y6, Y0
	ADDQ         $144, SI
	ADDQ         $292, DI
	DECQ         CX
	JNZ          q4kloop

	VSUBPS Y1, Y0, Y0
	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ6KAVX2(w, a unsafe.Pointer, nb int) float32
// nb is the number of 256-element super-blocks (Q6_K weights, Q8_K
// activations), > 0. The 6-bit quants are used unsigned (0..63); their
// offset of 32 is removed once per super-block as 32*sum(scale*bsum). As in
// dotQ4KAVX2, the pair sums of four 16-element groups are folded into 4
// lanes each (|sum| <= 4*63*128 < 32768) before one VPMADDWD scales them.
TEXT ·dotQ6KAVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         nb+16(FP), CX
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x30303030, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU      q6kQuadMask<>(SB), X13
	VXORPS       Y0, Y0, Y0

q6kloop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	VPMOVSXBW    192(SI), Y3
	VPMADDWD     260(DI), Y3, Y3
	VPSLLD       $5, Y3, Y3
	VPXOR        Y6, Y6, Y6
	VMOVDQU      0(SI), Y7
	VMOVDQU      32(SI), Y8
	VMOVDQU      128(SI), Y10
	VPAND        Y15, Y7, Y11
	VPSLLW       $4, Y10, Y12
	VPAND        Y14, Y12, Y12
	VPOR         Y12, Y11, Y11
	VPMADDUBSW   4(DI), Y11, Y11
	VPAND        Y15, Y8, Y1
	VPSLLW       $2, Y10, Y12
	VPAND        Y14, Y12, Y12
	VPOR         Y12, Y1, Y1
	VPMADDUBSW   36(DI), Y1, Y1
	VPUNPCKLQDQ  Y1, Y11, Y12
	VPUNPCKHQDQ  Y1, Y11, Y11
	VPADDW       Y12, Y11, Y11
	VMOVD        192(SI), X9
	VPSHUFB      X13, X9, X9
	VPMOVSXBW    X9, Y9
	VPMADDWD     Y9, Y11, Y11
	VPADDD       Y11, Y6, Y6
	VPSRLW       $4, Y7, Y11
	VPAND        Y15, Y11, Y11
	VPAND        Y14, Y10, Y12
	VPOR         Y12, Y11, Y11
	VPMADDUBSW   68(DI), Y11, Y11
	VPSRLW       $4, Y8, Y1
	VPAND        Y15, Y1, Y1
	VPSRLW       $2, Y10, Y12
	VPAND        Y14, Y12, Y12
	VPOR         Y12, Y1, Y1
	VPMADDUBSW   100(DI), Y1, Y1
	VPUNPCKLQDQ  Y1, Y11, Y12
	VPUNPCKHQDQ  Y1, Y11, Y11
	VPADDW       Y12, Y11, Y11
	VMOVD        196(SI), X9
	VPSHUFB      X13, X9, X9
	VPMOVSXBW    X9, Y9
	VPMADDWD     Y9, Y11, Y11
	VPADDD       Y11, Y6, Y6
	VMOVDQU      64(SI), Y7
	VMOVDQU      96(SI), Y8
	VMOVDQU      160(SI), Y10
	VPAND        Y15, Y7, Y11
	VPSLLW       $4, Y10, Y12
	VPAND        Y14, Y12, Y12
	VPOR         Y12, Y11, Y11
	VPMADDUBSW   132(DI), Y11, Y11
	VPAND        Y15, Y8, Y1
	VPSLLW       $2, Y10, Y12
	VPAND        Y14, Y12, Y12
	VPOR         Y12, Y1, Y1
	VPMADDUBSW   164(DI), Y1, Y1
	VPUNPCKLQDQ  Y1, Y11, Y12
	VPUNPCKHQDQ  Y1, Y11, Y11
	VPADDW       Y12, Y11, Y11
	VMOVD        200(SI), X9
	VPSHUFB      X13, X9, X9
	VPMOVSXBW    X9, Y9
	VPMADDWD     Y9, Y11, Y11
	VPADDD       Y11, Y6, Y6
	VPSRLW       $4, Y7, Y11
	VPAND        Y15, Y11, Y11
	VPAND        Y14, Y10, Y12
	VPOR         Y12, Y11, Y11
	VPMADDUBSW   196(DI), Y11, Y11
	VPSRLW       $4, Y8, Y1
	VPAND        Y15, Y1, Y1
	VPSRLW       $2, Y10, Y12
	VPAND        Y14, Y12, Y12
	VPOR         Y12, Y1, Y1
	VPMADDUBSW   228(DI), Y1, Y1
	VPUNPCKLQDQ  Y1, Y11, Y12
	VPUNPCKHQDQ  Y1, Y11, Y11
	VPADDW       Y12, Y11, Y11
	VMOVD        204(SI), X9
	VPSHUFB      X13, X9, X9
	VPMOVSXBW    X9, Y9
	VPMADDWD     Y9, Y11, Y11
	VPADDD       Y11, Y6, Y6
	VPSUBD       Y3, Y6, Y6
	VCVTDQ2PS    Y6, Y6
	VPBROADCASTW 208(SI), X5
	VCVTPH2PS    X5, Y5
	VBROADCASTSS 0(DI), Y4
	VMULPS       Y4, Y5, Y5
	VFMADD231PS  Y5, Y6, Y0
	ADDQ         $210, SI
	ADDQ         $292, DI
	DECQ         CX
	JNZ          q6kloop

	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// Q4KSCALES unpacks the 12 scale bytes of the Q4_K super-block at SI:
// R8 gets the 8 6-bit scales, R10 the 8 6-bit mins (one per byte).
#define Q4KSCALES \
	MOVL  4(SI), AX            \
	MOVL  8(SI), BX            \
	MOVL  12(SI), DX           \
	MOVL  AX, R8               \
	ANDL  $0x3f3f3f3f, R8      \
	MOVL  DX, R9               \
	ANDL  $0x0f0f0f0f, R9      \
	SHRL  $6, AX               \
	ANDL  $0x03030303, AX      \
	SHLL  $4, AX               \
	ORL   AX, R9               \
	MOVL  BX, R10              \
	ANDL  $0x3f3f3f3f, R10     \
	SHRL  $4, DX               \
	ANDL  $0x0f0f0f0f, DX      \
	SHRL  $6, BX               \
	ANDL  $0x03030303, BX      \
	SHLL  $4, BX               \
	ORL   BX, DX               \
	SHLQ  $32, R9              \
	ORQ   R9, R8               \
	SHLQ  $32, DX              \
	ORQ   DX, R10

// Q4_1/Q5_1 against Q8_1 and Q5_0 against Q8_0, one 32-element block per
// iteration. The quants are unsigned (Q4_1, Q5_1: 0..15 or 0..31, the
// min m added as m*s with Q8_1's s = d*sum(a)) or signed after the 5th
// bit is applied (Q5_0: q-16 = low nibble | 0xF0 when the bit is clear).
// The 5th bits are spread to bytes by BITS32: the u32 is broadcast, byte
// i takes byte i/8, and is compared, with all bits but i%8 set, against
// all ones.

// NIBBLES32 loads the 16 nibble bytes at off(SI) as 32 bytes, low nibbles
// (elements 0-15) then high nibbles (16-31), into Y1.
#define NIBBLES32(off) \
	VMOVDQU     off(SI), X1     \
	VPSRLW      $4, X1, X2      \
	VINSERTI128 $1, X2, Y1, Y1  \
	VPAND       Y14, Y1, Y1

// BITS32 sets byte i of Y3 to 0xFF when bit i of the u32 at off(SI) is set.
#define BITS32(off) \
	VPBROADCASTD off(SI), Y3   \
	VPSHUFB      Y12, Y3, Y3   \
	VPOR         Y11, Y3, Y3   \
	VPCMPEQB     Y10, Y3, Y3

// MINDOT adds to Y0 float(isum in Y1)*dw*da and to X8 the block's m*s:
// Y1 holds int16 pair sums.
#define MINDOT \
	VPMADDWD     Y15, Y1, Y1   \
	VCVTDQ2PS    Y1, Y1        \
	VMOVD        0(SI), X4     \
	VCVTPH2PS    X4, X4        \
	VMOVD        0(DI), X5     \
	VCVTPH2PS    X5, X5        \
	VMULPS       X5, X4, X4    \
	VADDPS       X4, X8, X8    \
	VBROADCASTSS X4, Y4        \
	VFMADD231PS  Y4, Y1, Y0

#define BITCONSTS \
	VPCMPEQB     Y10, Y10, Y10                \
	VMOVDQU      bits32Shuf<>(SB), Y12        \
	VMOVDQU      bits32Mask<>(SB), Y11

// func dotQ4_1AVX2(w, a unsafe.Pointer, nb int) float32
// nb 32-element blocks (20-byte weight blocks, Q8_1 activations), > 0.
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         nb+16(FP), CX
	VPCMPEQW     Y15, Y15, Y15
	VPSRLW       $15, Y15, Y15
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VXORPS       Y0, Y0, Y0
	VXORPS       X8, X8, X8

q41loop:
	PREFETCHT0 4096(SI)
	NIBBLES32(4)
	VPMADDUBSW   4(DI), Y1, Y1
	MINDOT
	ADDQ         $20, SI
	ADDQ         $36, DI
	DECQ         CX
	JNZ          q41loop

	HSUM
	VMOVSHDUP    X8, X8
	VADDSS       X8, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ5_1AVX2(w, a unsafe.Pointer, nb int) float32
// nb 32-element blocks (24-byte weight blocks, Q8_1 activations), > 0.
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         nb+16(FP), CX
	VPCMPEQW     Y15, Y15, Y15
	VPSRLW       $15, Y15, Y15
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0x10101010, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	BITCONSTS
	VXORPS       Y0, Y0, Y0
	VXORPS       X8, X8, X8

q51loop:
	PREFETCHT0 4096(SI)
	NIBBLES32(8)
	BITS32(4)
	VPAND        Y13, Y3, Y3
	VPOR         Y3, Y1, Y1
	VPMADDUBSW   4(DI), Y1, Y1
	MINDOT
	ADDQ         $24, SI
	ADDQ         $36, DI
	DECQ         CX
	JNZ          q51loop

	HSUM
	VMOVSHDUP    X8, X8
	VADDSS       X8, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ5_0AVX2(w, a unsafe.Pointer, nb int) float32
// nb 32-element blocks (22-byte weight blocks, Q8_0 activations), > 0.
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         nb+16(FP), CX
	VPCMPEQW     Y15, Y15, Y15
	VPSRLW       $15, Y15, Y15
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0xf0f0f0f0, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	BITCONSTS
	VXORPS       Y0, Y0, Y0

q50loop:
	PREFETCHT0 4096(SI)
	NIBBLES32(6)
	BITS32(2)
	VPANDN       Y13, Y3, Y3
	VPOR         Y3, Y1, Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, Y4
	VPBROADCASTW 0(DI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y5, Y4, Y4
	VFMADD231PS  Y4, Y3, Y0
	ADDQ         $22, SI
	ADDQ         $34, DI
	DECQ         CX
	JNZ          q50loop

	HSUM
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// Q5KGROUP multiplies group r of a Q5_K super-block: 32 quant bytes at
// 48+32r(SI) (low nibbles elements 64r.., high 64r+32..), their 5th bits
// bits 2r and 2r+1 of the 32 qh bytes in Y5, moved to bit 4 by the
// shifts SLO and SHI (VPSLLW or VPSRLW by NLO and NHI).
#define Q5KGROUP(r, SLO, NLO, SHI, NHI) \
	VMOVDQU     (48+32*r)(SI), Y7                   \
	VPSRLW      $4, Y7, Y8                          \
	VPAND       Y15, Y7, Y7                         \
	VPAND       Y15, Y8, Y8                         \
	SLO         $NLO, Y5, Y9                        \
	VPAND       Y13, Y9, Y9                         \
	VPOR        Y9, Y7, Y7                          \
	SHI         $NHI, Y5, Y9                        \
	VPAND       Y13, Y9, Y9                         \
	VPOR        Y9, Y8, Y8                          \
	VPMADDUBSW  (4+64*r)(DI), Y7, Y7                \
	VPMADDUBSW  (36+64*r)(DI), Y8, Y8               \
	VPUNPCKLQDQ Y8, Y7, Y9                          \
	VPUNPCKHQDQ Y8, Y7, Y10                         \
	VPADDW      Y10, Y9, Y9                         \
	VPSHUFB     q4kPairMask<>+(32*r)(SB), Y2, Y10   \
	VPMADDWD    Y10, Y9, Y9                         \
	VPADDD      Y9, Y6, Y6

// func dotQ5KAVX2(w, a unsafe.Pointer, nb int) float32
// nb 256-element super-blocks (Q5_K weights, Q8_K activations), > 0: the
// Q4_K kernel with each quant's 5th bit from qh (folded sums |s| <= 4*31*128).
TEXT ·dotQ5KAVX2(SB), NOSPLIT, $0-28
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         nb+16(FP), CX
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x10101010, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	VMOVDQU      q4kMinDup<>(SB), X14
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1

q5kloop:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	Q4KSCALES
	VMOVQ        R8, X2
	VPBROADCASTQ X2, Y2
	VMOVQ        R10, X3
	VPSHUFB      X14, X3, X3
	VPMOVZXBW    X3, Y3
	VPMADDWD     260(DI), Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VBROADCASTSS 0(DI), Y4
	VPBROADCASTW 2(SI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y4, Y5, Y5
	VFMADD231PS  Y5, Y3, Y1
	VPBROADCASTW 0(SI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y4, Y5, Y4
	VMOVDQU      16(SI), Y5
	VPXOR        Y6, Y6, Y6
	Q5KGROUP(0, VPSLLW, 4, VPSLLW, 3)
	Q5KGROUP(1, VPSLLW, 2, VPSLLW, 1)
	Q5KGROUP(2, VPSLLW, 0, VPSRLW, 1)
	Q5KGROUP(3, VPSRLW, 2, VPSRLW, 3)
	VCVTDQ2PS    Y6, Y6
	VFMADD231PS  Y4, Y6, Y0
	ADDQ         $176, SI
	ADDQ         $292, DI
	DECQ         CX
	JNZ          q5kloop

	VSUBPS Y1, Y0, Y0
	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotBF16AVX2(w, a unsafe.Pointer, n int) float32
// n is a positive multiple of 16. bf16 is the top half of a float32, so
// interleaving each row's 16-bit values with zeros widens them exactly
// (in an order that is the same for both rows).
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	MOVQ   w+0(FP), SI
	MOVQ   a+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VPXOR  Y15, Y15, Y15

bf16loop:
	PREFETCHT0 4096(SI)
	VMOVDQU     0(SI), Y4
	VMOVDQU     0(DI), Y5
	VPUNPCKLWD  Y4, Y15, Y6
	VPUNPCKHWD  Y4, Y15, Y7
	VPUNPCKLWD  Y5, Y15, Y8
	VPUNPCKHWD  Y5, Y15, Y9
	VFMADD231PS Y8, Y6, Y0
	VFMADD231PS Y9, Y7, Y1
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $16, CX
	JNZ         bf16loop

	VADDPS Y1, Y0, Y0
	HSUM
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// The *RowsVNNI kernels compute nrows dot products of consecutive weight
// rows (rowB bytes apart) with one activation row, storing one float32 per
// row at dst. They need AVX512-VNNI with AVX512VL: VPDPWSSD applies each
// sub-block's scale (spread over the 16-bit lanes) to the VPMADDUBSW pair
// sums and accumulates in one instruction, in place of VPMADDWD and
// VPADDD, into four (Q4_K) or two (Q6_K) accumulators so that its latency
// does not chain. The integer sums are those of the reference. Measured
// on Zen 4 (thread CPU time, 64 L2-resident rows of 4096): 1.09x (Q4_K) and
// 1.07x (Q6_K) the AVX2 kernels called row by row; broadcasting the
// scales from a stack table with EVEX embedded broadcast, unpacking the
// Q4_K scales with vector shuffles, GF2P8AFFINEQB for the Q6_K bit moves
// and software prefetch were each slower.

// Q4KGROUP multiplies the 64 elements of group r (32 quant bytes at
// 16+32r(SI): sub-block 2r in the low nibbles, 2r+1 in the high ones).
// Y2 holds the 8 scale bytes in every qword; the q4kScaleMask shuffles
// spread scale j over the 16-bit lanes.
#define Q4KGROUP(qoff, aoff, r, ACC0, ACC1) \
	VMOVDQU       qoff(SI), Y7          \
	VPSRLW        $4, Y7, Y8            \
	VPAND         Y15, Y7, Y7           \
	VPAND         Y15, Y8, Y8           \
	VPMADDUBSW    aoff(DI), Y7, Y7      \
	VPMADDUBSW    (aoff+32)(DI), Y8, Y8 \
	VPSHUFB       q4kScaleMask<>+(64*r)(SB), Y2, Y12 \
	VPSHUFB       q4kScaleMask<>+(64*r+32)(SB), Y2, Y13 \
	VPDPWSSD      Y12, Y7, ACC0      \
	VPDPWSSD      Y13, Y8, ACC1

// func dotQ4KRowsVNNI(w unsafe.Pointer, rowB int, a unsafe.Pointer, nb int, dst *float32, nrows int)
// nb super-blocks per row (> 0), nrows > 0.
TEXT ·dotQ4KRowsVNNI(SB), NOSPLIT, $0-48
	MOVQ         w+0(FP), R11
	MOVQ         dst+32(FP), R12
	MOVQ         nrows+40(FP), R13
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU      q4kMinDup<>(SB), X14

q4kvrow:
	MOVQ   R11, SI
	MOVQ   a+16(FP), DI
	MOVQ   nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q4kvblock:
	Q4KSCALES
	VMOVQ        R8, X2
	VPBROADCASTQ X2, Y2
	// mins times the bsums, scaled by dmin*d_a, into Y1
	VMOVQ        R10, X3
	VPSHUFB      X14, X3, X3
	VPMOVZXBW    X3, Y3
	VPMADDWD     260(DI), Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VBROADCASTSS 0(DI), Y4
	VPBROADCASTW 2(SI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y4, Y5, Y5
	VFMADD231PS  Y5, Y3, Y1
	VPBROADCASTW 0(SI), X5
	VCVTPH2PS    X5, Y5
	VMULPS       Y4, Y5, Y4
	VPXOR        Y6, Y6, Y6
	VPXOR        Y9, Y9, Y9
	VPXOR        Y10, Y10, Y10
	VPXOR        Y11, Y11, Y11
	Q4KGROUP(16, 4, 0, Y6, Y9)
	Q4KGROUP(48, 68, 1, Y10, Y11)
	Q4KGROUP(80, 132, 2, Y6, Y9)
	Q4KGROUP(112, 196, 3, Y10, Y11)
	VPADDD       Y9, Y6, Y6
	VPADDD       Y11, Y10, Y10
	VPADDD       Y10, Y6, Y6
	VCVTDQ2PS    Y6, Y6
	VFMADD231PS  Y4, Y6, Y0
	ADDQ         $144, SI
	ADDQ         $292, DI
	DECQ         CX
	JNZ          q4kvblock

	VSUBPS Y1, Y0, Y0
	HSUM
	VMOVSS X0, 0(R12)
	ADDQ   $4, R12
	ADDQ   rowB+8(FP), R11
	DECQ   R13
	JNZ    q4kvrow
	VZEROUPPER
	RET

// Q6KGROUP multiplies one 32-element group of a Q6_K half: Y11 holds its
// 6-bit quants (unsigned), aoff its activations, soff the stack slot with
// its two scales as int16.
#define Q6KGROUP(aoff, soff, ACC) \
	VPMADDUBSW   aoff(DI), Y11, Y11 \
	VPBROADCASTD soff(SP), Y12      \
	VPSHUFB      Y13, Y12, Y12      \
	VPDPWSSD     Y12, Y11, ACC

// Q6KHALF multiplies the 128 elements of half h: ql at qoff(SI) (64
// bytes), qh at hoff(SI) (32 bytes).
#define Q6KHALF(qoff, hoff, aoff, soff) \
	VMOVDQU    qoff(SI), Y8             \
	VMOVDQU    (qoff+32)(SI), Y9        \
	VMOVDQU    hoff(SI), Y10            \
	VPAND      Y15, Y8, Y11             \
	VPSLLW     $4, Y10, Y12             \
	VPAND      Y14, Y12, Y12            \
	VPOR       Y12, Y11, Y11            \
	Q6KGROUP(aoff, soff, Y6)            \
	VPAND      Y15, Y9, Y11             \
	VPSLLW     $2, Y10, Y12             \
	VPAND      Y14, Y12, Y12            \
	VPOR       Y12, Y11, Y11            \
	Q6KGROUP((aoff+32), (soff+4), Y7)   \
	VPSRLW     $4, Y8, Y11              \
	VPAND      Y15, Y11, Y11            \
	VPAND      Y14, Y10, Y12            \
	VPOR       Y12, Y11, Y11            \
	Q6KGROUP((aoff+64), (soff+8), Y6)   \
	VPSRLW     $4, Y9, Y11              \
	VPAND      Y15, Y11, Y11            \
	VPSRLW     $2, Y10, Y12             \
	VPAND      Y14, Y12, Y12            \
	VPOR       Y12, Y11, Y11            \
	Q6KGROUP((aoff+96), (soff+12), Y7)

// func dotQ6KRowsVNNI(w unsafe.Pointer, rowB int, a unsafe.Pointer, nb int, dst *float32, nrows int)
// nb super-blocks per row (> 0), nrows > 0. The quants are used unsigned
// (0..63); their offset of 32 is removed once per super-block as
// 32*sum(scale*bsum).
TEXT ·dotQ6KRowsVNNI(SB), NOSPLIT, $32-48
	MOVQ         w+0(FP), R11
	MOVQ         dst+32(FP), R12
	MOVQ         nrows+40(FP), R13
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x30303030, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU      q6kLanePair<>(SB), Y13

q6kvrow:
	MOVQ   R11, SI
	MOVQ   a+16(FP), DI
	MOVQ   nb+24(FP), CX
	VXORPS Y0, Y0, Y0

q6kvblock:
	// the 16 scales as int16 at 0(SP); Y3 = 32*sum(scale*bsum) in 8 lanes
	VPMOVSXBW 192(SI), Y2
	VMOVDQU   Y2, 0(SP)
	VPMADDWD  260(DI), Y2, Y3
	VPSLLD    $5, Y3, Y3
	VPXOR     Y6, Y6, Y6
	VPXOR     Y7, Y7, Y7
	Q6KHALF(0, 128, 4, 0)
	Q6KHALF(64, 160, 132, 16)
	VPADDD       Y7, Y6, Y6
	VPSUBD       Y3, Y6, Y6
	VCVTDQ2PS    Y6, Y6
	VPBROADCASTW 208(SI), X5
	VCVTPH2PS    X5, Y5
	VMULSS       0(DI), X5, X5
	VBROADCASTSS X5, Y5
	VFMADD231PS  Y5, Y6, Y0
	ADDQ         $210, SI
	ADDQ         $292, DI
	DECQ         CX
	JNZ          q6kvblock

	HSUM
	VMOVSS X0, 0(R12)
	ADDQ   $4, R12
	ADDQ   rowB+8(FP), R11
	DECQ   R13
	JNZ    q6kvrow
	VZEROUPPER
	RET

// func f16ToF32F16C(dst *float32, src *uint16, n int)
// n is a positive multiple of 8.
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

h2sloop:
	VCVTPH2PS 0(SI), Y0
	VMOVUPS   Y0, 0(DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       h2sloop
	VZEROUPPER
	RET

// func f32ToF16F16C(dst *uint16, src *float32, n int)
// n is a positive multiple of 8.
TEXT ·f32ToF16F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

s2hloop:
	VMOVUPS   0(SI), Y0
	VCVTPS2PH $0, Y0, 0(DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JNZ       s2hloop
	VZEROUPPER
	RET

DATA q4kScaleMask<>+0(SB)/8, $0x8000800080008000
DATA q4kScaleMask<>+8(SB)/8, $0x8000800080008000
DATA q4kScaleMask<>+16(SB)/8, $0x8000800080008000
DATA q4kScaleMask<>+24(SB)/8, $0x8000800080008000
DATA q4kScaleMask<>+32(SB)/8, $0x8001800180018001
DATA q4kScaleMask<>+40(SB)/8, $0x8001800180018001
DATA q4kScaleMask<>+48(SB)/8, $0x8001800180018001
DATA q4kScaleMask<>+56(SB)/8, $0x8001800180018001
DATA q4kScaleMask<>+64(SB)/8, $0x8002800280028002
DATA q4kScaleMask<>+72(SB)/8, $0x8002800280028002
DATA q4kScaleMask<>+80(SB)/8, $0x8002800280028002
DATA q4kScaleMask<>+88(SB)/8, $0x8002800280028002
DATA q4kScaleMask<>+96(SB)/8, $0x8003800380038003
DATA q4kScaleMask<>+104(SB)/8, $0x8003800380038003
DATA q4kScaleMask<>+112(SB)/8, $0x8003800380038003
DATA q4kScaleMask<>+120(SB)/8, $0x8003800380038003
DATA q4kScaleMask<>+128(SB)/8, $0x8004800480048004
DATA q4kScaleMask<>+136(SB)/8, $0x8004800480048004
DATA q4kScaleMask<>+144(SB)/8, $0x8004800480048004
DATA q4kScaleMask<>+152(SB)/8, $0x8004800480048004
DATA q4kScaleMask<>+160(SB)/8, $0x8005800580058005
DATA q4kScaleMask<>+168(SB)/8, $0x8005800580058005
DATA q4kScaleMask<>+176(SB)/8, $0x8005800580058005
DATA q4kScaleMask<>+184(SB)/8, $0x8005800580058005
DATA q4kScaleMask<>+192(SB)/8, $0x8006800680068006
DATA q4kScaleMask<>+200(SB)/8, $0x8006800680068006
DATA q4kScaleMask<>+208(SB)/8, $0x8006800680068006
DATA q4kScaleMask<>+216(SB)/8, $0x8006800680068006
DATA q4kScaleMask<>+224(SB)/8, $0x8007800780078007
DATA q4kScaleMask<>+232(SB)/8, $0x8007800780078007
DATA q4kScaleMask<>+240(SB)/8, $0x8007800780078007
DATA q4kScaleMask<>+248(SB)/8, $0x8007800780078007
GLOBL q4kScaleMask<>(SB), RODATA|NOPTR, $256

DATA q4kMinDup<>+0(SB)/8, $0x0303020201010000
DATA q4kMinDup<>+8(SB)/8, $0x0707060605050404
GLOBL q4kMinDup<>(SB), RODATA|NOPTR, $16

// q4kPairMask+32k spreads scales 2k and 2k+1 (bytes of every qword) as
// int16 over 4 lanes each, in both 128-bit halves.
DATA q4kPairMask<>+0(SB)/8, $0x8000800080008000
DATA q4kPairMask<>+8(SB)/8, $0x8001800180018001
DATA q4kPairMask<>+16(SB)/8, $0x8000800080008000
DATA q4kPairMask<>+24(SB)/8, $0x8001800180018001
DATA q4kPairMask<>+32(SB)/8, $0x8002800280028002
DATA q4kPairMask<>+40(SB)/8, $0x8003800380038003
DATA q4kPairMask<>+48(SB)/8, $0x8002800280028002
DATA q4kPairMask<>+56(SB)/8, $0x8003800380038003
DATA q4kPairMask<>+64(SB)/8, $0x8004800480048004
DATA q4kPairMask<>+72(SB)/8, $0x8005800580058005
DATA q4kPairMask<>+80(SB)/8, $0x8004800480048004
DATA q4kPairMask<>+88(SB)/8, $0x8005800580058005
DATA q4kPairMask<>+96(SB)/8, $0x8006800680068006
DATA q4kPairMask<>+104(SB)/8, $0x8007800780078007
DATA q4kPairMask<>+112(SB)/8, $0x8006800680068006
DATA q4kPairMask<>+120(SB)/8, $0x8007800780078007
GLOBL q4kPairMask<>(SB), RODATA|NOPTR, $128

// q6kQuadMask orders 4 scale bytes s0 s1 s2 s3 as s0 x4, s2 x4, s1 x4, s3 x4.
DATA q6kQuadMask<>+0(SB)/8, $0x0202020200000000
DATA q6kQuadMask<>+8(SB)/8, $0x0303030301010101
GLOBL q6kQuadMask<>(SB), RODATA|NOPTR, $16

// VPSHUFB pattern that spreads the first int16 of each 128-bit lane's low
// dword over the low lane and the second over the high lane.
DATA q6kLanePair<>+0(SB)/8, $0x0100010001000100
DATA q6kLanePair<>+8(SB)/8, $0x0100010001000100
DATA q6kLanePair<>+16(SB)/8, $0x0302030203020302
DATA q6kLanePair<>+24(SB)/8, $0x0302030203020302
GLOBL q6kLanePair<>(SB), RODATA|NOPTR, $32

// BITS32 constants: byte i takes byte i/8 of the broadcast u32 and is ORed
// with all bits but bit i%8 set.
DATA bits32Shuf<>+0(SB)/8, $0x0000000000000000
DATA bits32Shuf<>+8(SB)/8, $0x0101010101010101
DATA bits32Shuf<>+16(SB)/8, $0x0202020202020202
DATA bits32Shuf<>+24(SB)/8, $0x0303030303030303
GLOBL bits32Shuf<>(SB), RODATA|NOPTR, $32

DATA bits32Mask<>+0(SB)/8, $0x7fbfdfeff7fbfdfe
DATA bits32Mask<>+8(SB)/8, $0x7fbfdfeff7fbfdfe
DATA bits32Mask<>+16(SB)/8, $0x7fbfdfeff7fbfdfe
DATA bits32Mask<>+24(SB)/8, $0x7fbfdfeff7fbfdfe
GLOBL bits32Mask<>(SB), RODATA|NOPTR, $32

// func dotsF32AVX2(a, b unsafe.Pointer, n, stride, rows int, out unsafe.Pointer)
// out[j] = a · (b + j·stride floats) over n floats for j < rows (DotF32 is
// rows = 1): 32 per iteration into four accumulators, then 8 at a time,
// the same instructions for every row so a row's result does not depend
// on how many rows a call has. n is a positive multiple of 8.
TEXT ·dotsF32AVX2(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), R8
	MOVQ b+8(FP), R9
	MOVQ n+16(FP), R10
	MOVQ stride+24(FP), R11
	SHLQ $2, R11
	MOVQ rows+32(FP), R12
	MOVQ out+40(FP), R13

dotsrow:
	MOVQ   R8, SI
	MOVQ   R9, DI
	MOVQ   R10, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JLT    dotstail

dotsloop:
	VMOVUPS     0(SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS 0(DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         dotsloop

dotstail:
	TESTQ       CX, CX
	JZ          dotsdone
	VMOVUPS     0(SI), Y4
	VFMADD231PS 0(DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dotstail

dotsdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM
	VMOVSS X0, (R13)
	ADDQ   $4, R13
	ADDQ   R11, R9
	DECQ   R12
	JNZ    dotsrow
	VZEROUPPER
	RET
