//go:build amd64 && !purego

#include "textflag.h"

// Elementwise kernels (AVX2 + FMA), 8 float32 at a time; n is a positive
// multiple of 8 and the Go wrappers finish the tails.

// EXPCONSTS loads the constants of EXP into Y8-Y15.
#define EXPCONSTS \
	VBROADCASTSS expLo<>(SB), Y8     \
	VBROADCASTSS expHi<>(SB), Y9     \
	VBROADCASTSS expLog2e<>(SB), Y10 \
	VBROADCASTSS expC1<>(SB), Y11    \
	VBROADCASTSS expC2<>(SB), Y12    \
	VBROADCASTSS expP0<>(SB), Y13    \
	VBROADCASTSS expOne<>(SB), Y14

// EXP sets Y0 = exp(Y0), using Y1-Y3 and Y15 (Cephes' expf: x = n*ln2 + r
// with |r| <= ln2/2, e^r = 1 + r + r^2*P(r), 2^n added to the exponent).
// The polynomial's coefficients are read as whole 32-byte vectors: an
// embedded broadcast ({1to8}) is EVEX, which AVX2-only CPUs lack.
// The argument is clamped to [-87.3, 88.376] so that 2^n stays a normal
// number, and the result is zeroed below -87.3 (exp(-inf) = 0, as a
// masked softmax needs); a NaN passes through (it is the second operand
// of the clamps and not less than anything).
#define EXP \
	VCMPPS          $5, Y8, Y0, Y15                \
	VMAXPS          Y0, Y8, Y0                     \
	VMINPS          Y0, Y9, Y0                     \
	VMULPS          Y10, Y0, Y1                    \
	VROUNDPS        $0, Y1, Y1                     \
	VFNMADD231PS    Y11, Y1, Y0                    \
	VFNMADD231PS    Y12, Y1, Y0                    \
	VMULPS          Y0, Y0, Y2                     \
	VMOVAPS         Y13, Y3                        \
	VFMADD213PS     expP1<>(SB), Y0, Y3            \
	VFMADD213PS     expP2<>(SB), Y0, Y3            \
	VFMADD213PS     expP3<>(SB), Y0, Y3            \
	VFMADD213PS     expP4<>(SB), Y0, Y3            \
	VFMADD213PS     expP5<>(SB), Y0, Y3            \
	VFMADD213PS     Y0, Y2, Y3                     \
	VADDPS          Y14, Y3, Y0                    \
	VCVTPS2DQ       Y1, Y1                         \
	VPSLLD          $23, Y1, Y1                    \
	VPADDD          Y1, Y0, Y0                     \
	VANDPS          Y15, Y0, Y0

// func sumSquaresAVX2(x *float32, n int) float64
// The squares are rounded to float32, then summed in float64.
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1

sqloop:
	VMOVUPS      0(SI), Y4
	VMULPS       Y4, Y4, Y4
	VCVTPS2PD    X4, Y5
	VEXTRACTF128 $1, Y4, X6
	VCVTPS2PD    X6, Y6
	VADDPD       Y5, Y0, Y0
	VADDPD       Y6, Y1, Y1
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          sqloop

	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	VMOVSD       X0, ret+16(FP)
	VZEROUPPER
	RET

// func scaleMulAVX2(dst, x, w *float32, s float32, n int)
// dst = x*s*w, rounded after each product.
TEXT ·scaleMulAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         w+16(FP), DX
	VBROADCASTSS s+24(FP), Y2
	MOVQ         n+32(FP), CX

smloop:
	VMULPS  0(SI), Y2, Y0
	VMULPS  0(DX), Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     smloop
	VZEROUPPER
	RET

// func scaleAVX2(x *float32, s float32, n int)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	MOVQ         x+0(FP), SI
	VBROADCASTSS s+8(FP), Y2
	MOVQ         n+16(FP), CX

scloop:
	VMULPS  0(SI), Y2, Y0
	VMOVUPS Y0, 0(SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     scloop
	VZEROUPPER
	RET

// func swiGLUAVX2(dst, gate, u *float32, n int)
// dst = gate/(1+exp(-gate))*u.
TEXT ·swiGLUAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	EXPCONSTS
	VXORPS Y7, Y7, Y7

sgloop:
	VMOVUPS 0(SI), Y6
	VSUBPS  Y6, Y7, Y0
	EXP
	VADDPS  Y14, Y0, Y0
	VDIVPS  Y0, Y6, Y0
	VMULPS  0(DX), Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     sgloop
	VZEROUPPER
	RET

// func expSumAVX2(x *float32, m float32, n int) float64
// x = exp(x-m) in place; returns the sum of the results in float64.
TEXT ·expSumAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	VBROADCASTSS m+8(FP), Y7
	MOVQ         n+16(FP), CX
	EXPCONSTS
	VXORPD       Y4, Y4, Y4
	VXORPD       Y5, Y5, Y5

esloop:
	VMOVUPS      0(SI), Y0
	VSUBPS       Y7, Y0, Y0
	EXP
	VMOVUPS      Y0, 0(SI)
	VCVTPS2PD    X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD    X2, Y2
	VADDPD       Y1, Y4, Y4
	VADDPD       Y2, Y5, Y5
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          esloop

	VADDPD       Y5, Y4, Y4
	VEXTRACTF128 $1, Y4, X1
	VADDPD       X1, X4, X4
	VPERMILPD    $1, X4, X1
	VADDSD       X1, X4, X4
	VMOVSD       X4, ret+24(FP)
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) float32
// The largest of x (NaNs are skipped, as by a > comparison).
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS 0(SI), Y0
	VMOVAPS      Y0, Y1

mxloop:
	VMAXPS  0(SI), Y0, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     mxloop

	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

// func ropeNormAVX2(x, cs *float32, n, heads, headDim int)
// In each of heads heads (headDim floats apart) the pairs (x[2i],
// x[2i+1]) for 2i < n (a multiple of 8) rotated by (cs[2i], cs[2i+1]) =
// (cos, sin): x*[c c] -+ swap(x)*[s s] with VADDSUBPS.
TEXT ·ropeNormAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), R8
	MOVQ heads+24(FP), R9
	MOVQ headDim+32(FP), R10
	SHLQ $2, R10

rnhead:
	MOVQ R8, SI
	MOVQ cs+8(FP), DX
	MOVQ n+16(FP), CX

rnloop:
	VMOVUPS   0(SI), Y0
	VMOVUPS   0(DX), Y1
	VMOVSLDUP Y1, Y2
	VMOVSHDUP Y1, Y3
	VPERMILPS $0xb1, Y0, Y4
	VMULPS    Y2, Y0, Y0
	VMULPS    Y3, Y4, Y4
	VADDSUBPS Y4, Y0, Y0
	VMOVUPS   Y0, 0(SI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	SUBQ      $8, CX
	JNZ       rnloop
	ADDQ      R10, R8
	DECQ      R9
	JNZ       rnhead
	VZEROUPPER
	RET

// func ropeNeoxAVX2(x, cs *float32, n, half, heads, headDim int)
// In each of heads heads (headDim floats apart) the pairs (x[i],
// x[i+half]) for i < n (a multiple of 8) rotated by (cs[2i], cs[2i+1]) =
// (cos, sin), split into cos and sin vectors by VSHUFPS and VPERMPD.
TEXT ·ropeNeoxAVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), R8
	MOVQ half+24(FP), R11
	SHLQ $2, R11
	MOVQ heads+32(FP), R9
	MOVQ headDim+40(FP), R10
	SHLQ $2, R10

rxhead:
	MOVQ R8, SI
	LEAQ (R8)(R11*1), DI
	MOVQ cs+8(FP), DX
	MOVQ n+16(FP), CX

rxloop:
	VMOVUPS 0(SI), Y0
	VMOVUPS 0(DI), Y1
	VMOVUPS 0(DX), Y8
	VMOVUPS 32(DX), Y9
	VSHUFPS $0x88, Y9, Y8, Y2
	VSHUFPS $0xdd, Y9, Y8, Y3
	VPERMPD $0xd8, Y2, Y2
	VPERMPD $0xd8, Y3, Y3
	VMULPS  Y2, Y0, Y4
	VMULPS  Y3, Y1, Y5
	VSUBPS  Y5, Y4, Y4
	VMULPS  Y3, Y0, Y6
	VMULPS  Y2, Y1, Y7
	VADDPS  Y7, Y6, Y6
	VMOVUPS Y4, 0(SI)
	VMOVUPS Y6, 0(DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $64, DX
	SUBQ    $8, CX
	JNZ     rxloop
	ADDQ    R10, R8
	DECQ    R9
	JNZ     rxhead
	VZEROUPPER
	RET

DATA expLo<>+0(SB)/4, $-87.3
GLOBL expLo<>(SB), RODATA|NOPTR, $4
DATA expHi<>+0(SB)/4, $88.3762626647949
GLOBL expHi<>(SB), RODATA|NOPTR, $4
DATA expLog2e<>+0(SB)/4, $1.44269504088896341
GLOBL expLog2e<>(SB), RODATA|NOPTR, $4
DATA expC1<>+0(SB)/4, $0.693359375
GLOBL expC1<>(SB), RODATA|NOPTR, $4
DATA expC2<>+0(SB)/4, $-2.12194440e-4
GLOBL expC2<>(SB), RODATA|NOPTR, $4
DATA expP0<>+0(SB)/4, $1.9875691500e-4
GLOBL expP0<>(SB), RODATA|NOPTR, $4
DATA expP1<>+0(SB)/4, $1.3981999507e-3
DATA expP1<>+4(SB)/4, $1.3981999507e-3
DATA expP1<>+8(SB)/4, $1.3981999507e-3
DATA expP1<>+12(SB)/4, $1.3981999507e-3
DATA expP1<>+16(SB)/4, $1.3981999507e-3
DATA expP1<>+20(SB)/4, $1.3981999507e-3
DATA expP1<>+24(SB)/4, $1.3981999507e-3
DATA expP1<>+28(SB)/4, $1.3981999507e-3
GLOBL expP1<>(SB), RODATA|NOPTR, $32
DATA expP2<>+0(SB)/4, $8.3334519073e-3
DATA expP2<>+4(SB)/4, $8.3334519073e-3
DATA expP2<>+8(SB)/4, $8.3334519073e-3
DATA expP2<>+12(SB)/4, $8.3334519073e-3
DATA expP2<>+16(SB)/4, $8.3334519073e-3
DATA expP2<>+20(SB)/4, $8.3334519073e-3
DATA expP2<>+24(SB)/4, $8.3334519073e-3
DATA expP2<>+28(SB)/4, $8.3334519073e-3
GLOBL expP2<>(SB), RODATA|NOPTR, $32
DATA expP3<>+0(SB)/4, $4.1665795894e-2
DATA expP3<>+4(SB)/4, $4.1665795894e-2
DATA expP3<>+8(SB)/4, $4.1665795894e-2
DATA expP3<>+12(SB)/4, $4.1665795894e-2
DATA expP3<>+16(SB)/4, $4.1665795894e-2
DATA expP3<>+20(SB)/4, $4.1665795894e-2
DATA expP3<>+24(SB)/4, $4.1665795894e-2
DATA expP3<>+28(SB)/4, $4.1665795894e-2
GLOBL expP3<>(SB), RODATA|NOPTR, $32
DATA expP4<>+0(SB)/4, $1.6666665459e-1
DATA expP4<>+4(SB)/4, $1.6666665459e-1
DATA expP4<>+8(SB)/4, $1.6666665459e-1
DATA expP4<>+12(SB)/4, $1.6666665459e-1
DATA expP4<>+16(SB)/4, $1.6666665459e-1
DATA expP4<>+20(SB)/4, $1.6666665459e-1
DATA expP4<>+24(SB)/4, $1.6666665459e-1
DATA expP4<>+28(SB)/4, $1.6666665459e-1
GLOBL expP4<>(SB), RODATA|NOPTR, $32
DATA expP5<>+0(SB)/4, $5.0000001201e-1
DATA expP5<>+4(SB)/4, $5.0000001201e-1
DATA expP5<>+8(SB)/4, $5.0000001201e-1
DATA expP5<>+12(SB)/4, $5.0000001201e-1
DATA expP5<>+16(SB)/4, $5.0000001201e-1
DATA expP5<>+20(SB)/4, $5.0000001201e-1
DATA expP5<>+24(SB)/4, $5.0000001201e-1
DATA expP5<>+28(SB)/4, $5.0000001201e-1
GLOBL expP5<>(SB), RODATA|NOPTR, $32
DATA expOne<>+0(SB)/4, $1.0
GLOBL expOne<>(SB), RODATA|NOPTR, $4
