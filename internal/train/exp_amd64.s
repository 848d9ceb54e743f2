//go:build amd64 && !purego

#include "textflag.h"

// EXPF replaces Y0 by expf of each lane into Y4 (Y1-Y6 scratch, the
// constants in Y8-Y15 and at DX).
#define EXPF \
	VMULPS  Y8, Y0, Y1 \
	VADDPS  Y9, Y1, Y1 \
	VSUBPS  Y9, Y1, Y1 \
	VMULPS  Y10, Y1, Y2 \
	VSUBPS  Y2, Y0, Y3 \
	VMULPS  Y11, Y1, Y2 \
	VSUBPS  Y2, Y3, Y3 \
	VMULPS  Y12, Y3, Y4 \
	VBROADCASTSS 20(DX), Y5 \
	VADDPS  Y4, Y5, Y4 \
	VMULPS  Y4, Y3, Y4 \
	VBROADCASTSS 24(DX), Y5 \
	VADDPS  Y4, Y5, Y4 \
	VMULPS  Y4, Y3, Y4 \
	VBROADCASTSS 28(DX), Y5 \
	VADDPS  Y4, Y5, Y4 \
	VMULPS  Y4, Y3, Y4 \
	VBROADCASTSS 32(DX), Y5 \
	VADDPS  Y4, Y5, Y4 \
	VMULPS  Y4, Y3, Y4 \
	VBROADCASTSS 36(DX), Y5 \
	VADDPS  Y4, Y5, Y4 \
	VMULPS  Y4, Y3, Y4 \
	VADDPS  Y4, Y5, Y4 \
	VCVTTPS2DQ Y1, Y6 \
	VPCMPEQD Y5, Y5, Y5 \
	VPSRLD  $25, Y5, Y5 \
	VPADDD  Y5, Y6, Y6 \
	VPSLLD  $23, Y6, Y6 \
	VMULPS  Y6, Y4, Y4 \
	VCMPPS  $1, Y13, Y0, Y6 \
	VANDNPS Y4, Y6, Y4 \
	VCMPPS  $1, Y0, Y14, Y6 \
	VBLENDVPS Y6, Y15, Y4, Y4

// EXPCONSTS loads the constants EXPF keeps in registers from DX.
#define EXPCONSTS \
	VBROADCASTSS 0(DX), Y8 \
	VBROADCASTSS 4(DX), Y9 \
	VBROADCASTSS 8(DX), Y10 \
	VBROADCASTSS 12(DX), Y11 \
	VBROADCASTSS 16(DX), Y12 \
	VBROADCASTSS 40(DX), Y13 \
	VBROADCASTSS 44(DX), Y14 \
	VBROADCASTSS 48(DX), Y15

// func expShiftAVX2(x *float32, n int, c *[13]float32, shift *[8]float32) float32
// x[i] = expf(x[i] − shift) in place, n a positive multiple of 8; returns
// the sum of the results (8 lanes, then the lanes). The same operations in
// the same order as expf, each rounded (multiplies and adds kept apart: no
// FMA), so every lane is expf's result bit for bit.
TEXT ·expShiftAVX2(SB), NOSPLIT, $0-36
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	MOVQ    c+16(FP), DX
	MOVQ    shift+24(FP), DI
	EXPCONSTS
	VXORPS  Y7, Y7, Y7

shiftloop:
	VMOVUPS (SI), Y0
	VSUBPS  (DI), Y0, Y0
	EXPF
	VMOVUPS Y4, (SI)
	VADDPS  Y4, Y7, Y7
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     shiftloop
	VEXTRACTF128 $1, Y7, X1
	VADDPS       X1, X7, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET
