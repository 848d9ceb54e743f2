//go:build amd64 && !purego

#include "textflag.h"

// func expAVX2(x *float32, n int, c *[13]float32)
// expf on 8 lanes at a time, in place, n a positive multiple of 8. The same
// operations in the same order as expf, each rounded (multiplies and adds
// kept apart: no FMA), so every lane is expf's result bit for bit.
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVQ         c+16(FP), DX
	VBROADCASTSS 0(DX), Y8   // log2e
	VBROADCASTSS 4(DX), Y9   // magic
	VBROADCASTSS 8(DX), Y10  // ln2hi
	VBROADCASTSS 12(DX), Y11 // ln2lo
	VBROADCASTSS 16(DX), Y12 // 1/720
	VBROADCASTSS 40(DX), Y13 // -87
	VBROADCASTSS 44(DX), Y14 // 88
	VBROADCASTSS 48(DX), Y15 // +Inf

exploop:
	VMOVUPS (SI), Y0
	VMULPS  Y8, Y0, Y1
	VADDPS  Y9, Y1, Y1
	VSUBPS  Y9, Y1, Y1 // n
	VMULPS  Y10, Y1, Y2
	VSUBPS  Y2, Y0, Y3
	VMULPS  Y11, Y1, Y2
	VSUBPS  Y2, Y3, Y3 // r
	VMULPS  Y12, Y3, Y4
	VBROADCASTSS 20(DX), Y5
	VADDPS  Y4, Y5, Y4
	VMULPS  Y4, Y3, Y4
	VBROADCASTSS 24(DX), Y5
	VADDPS  Y4, Y5, Y4
	VMULPS  Y4, Y3, Y4
	VBROADCASTSS 28(DX), Y5
	VADDPS  Y4, Y5, Y4
	VMULPS  Y4, Y3, Y4
	VBROADCASTSS 32(DX), Y5
	VADDPS  Y4, Y5, Y4
	VMULPS  Y4, Y3, Y4
	VBROADCASTSS 36(DX), Y5
	VADDPS  Y4, Y5, Y4
	VMULPS  Y4, Y3, Y4
	VADDPS  Y4, Y5, Y4 // p
	VCVTTPS2DQ Y1, Y6
	VPCMPEQD Y7, Y7, Y7
	VPSRLD  $25, Y7, Y7 // 127
	VPADDD  Y7, Y6, Y6
	VPSLLD  $23, Y6, Y6
	VMULPS  Y6, Y4, Y4
	VCMPPS  $1, Y13, Y0, Y6 // x < -87
	VANDNPS Y4, Y6, Y4
	VCMPPS  $1, Y0, Y14, Y6 // 88 < x
	VBLENDVPS Y6, Y15, Y4, Y4
	VMOVUPS Y4, (SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     exploop
	VZEROUPPER
	RET
