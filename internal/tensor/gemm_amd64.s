//go:build amd64 && !purego

#include "textflag.h"

// Register-blocked prefill micro-kernels for AVX512-VNNI on 256-bit
// vectors (AVX512VL): 8 weight rows × 8 tokens per call.
//
// Activations are packed by packActs: per sub-block, S/4 vectors whose 32-bit
// lane t holds 4 consecutive quants of token t offset by 128 (so they are
// unsigned bytes for VPDPBUSD), then the 8 tokens' scales (da) and scaled
// sums (sa = da*sum of the sub-block's quants). Each weight row is read in
// place, 4 signed bytes at a time broadcast to every lane, so one VPDPBUSD
// forms 4 products for 8 tokens. Per row and sub-block the side table holds
// the weight scale dw, the min scale mw and corr = 128*sum(quants), which
// removes the activation offset exactly in int32. Then
//	acc += dw * da * float(isum - corr) - mw * sa
// The integer sums are those of the reference dot products; only the float
// accumulation order differs.
//
// Registers: Y0-Y7 accumulators (one per row), Y8-Y15 per-row integer sums,
// Y16-Y23 activation quants, Y24 da, Y25 sa. R8-R13, AX, BX point at the 8
// rows' quants, DX is the stride between sub-blocks of a row, SI the side
// table (96 bytes per sub-block: dw[8] mw[8] corr[8]), DI the activations,
// R15 out, the accumulators (added to, so K can be split into panels).

// One row's sub-block of 32 (S32) or 16 (S16) quants, with or without the
// min term.
#define DOT32(P, Z) \
	VPXOR          Z, Z, Z \
	VPDPBUSD.BCST  0(P), Y16, Z \
	VPDPBUSD.BCST  4(P), Y17, Z \
	VPDPBUSD.BCST  8(P), Y18, Z \
	VPDPBUSD.BCST  12(P), Y19, Z \
	VPDPBUSD.BCST  16(P), Y20, Z \
	VPDPBUSD.BCST  20(P), Y21, Z \
	VPDPBUSD.BCST  24(P), Y22, Z \
	VPDPBUSD.BCST  28(P), Y23, Z

#define DOT16(P, Z) \
	VPXOR          Z, Z, Z \
	VPDPBUSD.BCST  0(P), Y16, Z \
	VPDPBUSD.BCST  4(P), Y17, Z \
	VPDPBUSD.BCST  8(P), Y18, Z \
	VPDPBUSD.BCST  12(P), Y19, Z

#define SCALE(R, Z, ACC) \
	VPSUBD.BCST      (64+4*R)(SI), Z, Z \
	VCVTDQ2PS        Z, Z \
	VMULPS           Y24, Z, Z \
	VFMADD231PS.BCST (4*R)(SI), Z, ACC

#define MINS(R, ACC) \
	VFNMADD231PS.BCST (32+4*R)(SI), Y25, ACC

#define LOADACC \
	MOVQ    out+48(FP), R15 \
	VMOVUPS 0(R15), Y0      \
	VMOVUPS 32(R15), Y1     \
	VMOVUPS 64(R15), Y2     \
	VMOVUPS 96(R15), Y3     \
	VMOVUPS 128(R15), Y4    \
	VMOVUPS 160(R15), Y5    \
	VMOVUPS 192(R15), Y6    \
	VMOVUPS 224(R15), Y7

#define LOADROWS \
	MOVQ w+0(FP), R8         \
	MOVQ rowStride+8(FP), CX \
	LEAQ (R8)(CX*1), R9      \
	LEAQ (R9)(CX*1), R10     \
	LEAQ (R10)(CX*1), R11    \
	LEAQ (R11)(CX*1), R12    \
	LEAQ (R12)(CX*1), R13    \
	LEAQ (R13)(CX*1), AX     \
	LEAQ (AX)(CX*1), BX      \
	MOVQ subStride+16(FP), DX \
	MOVQ side+24(FP), SI     \
	MOVQ act+32(FP), DI      \
	MOVQ nsub+40(FP), CX

#define NEXTSUB \
	ADDQ DX, R8  \
	ADDQ DX, R9  \
	ADDQ DX, R10 \
	ADDQ DX, R11 \
	ADDQ DX, R12 \
	ADDQ DX, R13 \
	ADDQ DX, AX  \
	ADDQ DX, BX  \
	ADDQ $96, SI

#define STOREACC \
	VMOVUPS Y0, 0(R15)     \
	VMOVUPS Y1, 32(R15)    \
	VMOVUPS Y2, 64(R15)    \
	VMOVUPS Y3, 96(R15)    \
	VMOVUPS Y4, 128(R15)   \
	VMOVUPS Y5, 160(R15)   \
	VMOVUPS Y6, 192(R15)   \
	VMOVUPS Y7, 224(R15)   \
	VZEROUPPER

// func gemm8x8S32(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// 32-quant sub-blocks without a min term (Q8_0, Q4_0). nsub > 0.
TEXT ·gemm8x8S32(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

s32loop:
	VMOVDQU32 0(DI), Y16
	VMOVDQU32 32(DI), Y17
	VMOVDQU32 64(DI), Y18
	VMOVDQU32 96(DI), Y19
	VMOVDQU32 128(DI), Y20
	VMOVDQU32 160(DI), Y21
	VMOVDQU32 192(DI), Y22
	VMOVDQU32 224(DI), Y23
	VMOVUPS   256(DI), Y24
	DOT32(R8, Y8)
	DOT32(R9, Y9)
	DOT32(R10, Y10)
	DOT32(R11, Y11)
	DOT32(R12, Y12)
	DOT32(R13, Y13)
	DOT32(AX, Y14)
	DOT32(BX, Y15)
	SCALE(0, Y8, Y0)
	SCALE(1, Y9, Y1)
	SCALE(2, Y10, Y2)
	SCALE(3, Y11, Y3)
	SCALE(4, Y12, Y4)
	SCALE(5, Y13, Y5)
	SCALE(6, Y14, Y6)
	SCALE(7, Y15, Y7)
	NEXTSUB
	ADDQ $320, DI
	DECQ CX
	JNZ  s32loop

	STOREACC
	RET

// func gemm8x8S32Min(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// 32-quant sub-blocks with a min term (Q4_K). nsub > 0.
TEXT ·gemm8x8S32Min(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

s32mloop:
	VMOVDQU32 0(DI), Y16
	VMOVDQU32 32(DI), Y17
	VMOVDQU32 64(DI), Y18
	VMOVDQU32 96(DI), Y19
	VMOVDQU32 128(DI), Y20
	VMOVDQU32 160(DI), Y21
	VMOVDQU32 192(DI), Y22
	VMOVDQU32 224(DI), Y23
	VMOVUPS   256(DI), Y24
	VMOVUPS   288(DI), Y25
	DOT32(R8, Y8)
	DOT32(R9, Y9)
	DOT32(R10, Y10)
	DOT32(R11, Y11)
	DOT32(R12, Y12)
	DOT32(R13, Y13)
	DOT32(AX, Y14)
	DOT32(BX, Y15)
	SCALE(0, Y8, Y0)
	SCALE(1, Y9, Y1)
	SCALE(2, Y10, Y2)
	SCALE(3, Y11, Y3)
	SCALE(4, Y12, Y4)
	SCALE(5, Y13, Y5)
	SCALE(6, Y14, Y6)
	SCALE(7, Y15, Y7)
	MINS(0, Y0)
	MINS(1, Y1)
	MINS(2, Y2)
	MINS(3, Y3)
	MINS(4, Y4)
	MINS(5, Y5)
	MINS(6, Y6)
	MINS(7, Y7)
	NEXTSUB
	ADDQ $320, DI
	DECQ CX
	JNZ  s32mloop

	STOREACC
	RET

// func gemm8x8S16(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// 16-quant sub-blocks without a min term (Q6_K). nsub > 0.
TEXT ·gemm8x8S16(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

s16loop:
	VMOVDQU32 0(DI), Y16
	VMOVDQU32 32(DI), Y17
	VMOVDQU32 64(DI), Y18
	VMOVDQU32 96(DI), Y19
	VMOVUPS   128(DI), Y24
	DOT16(R8, Y8)
	DOT16(R9, Y9)
	DOT16(R10, Y10)
	DOT16(R11, Y11)
	DOT16(R12, Y12)
	DOT16(R13, Y13)
	DOT16(AX, Y14)
	DOT16(BX, Y15)
	SCALE(0, Y8, Y0)
	SCALE(1, Y9, Y1)
	SCALE(2, Y10, Y2)
	SCALE(3, Y11, Y3)
	SCALE(4, Y12, Y4)
	SCALE(5, Y13, Y5)
	SCALE(6, Y14, Y6)
	SCALE(7, Y15, Y7)
	NEXTSUB
	ADDQ $192, DI
	DECQ CX
	JNZ  s16loop

	STOREACC
	RET

// func q8_0RowSide(side *uint32, w *byte, nb int)
// The tile kernels' side entries of one Q8_0 row: for each of nb blocks,
// dw (the f16 scale as float32) at side[24*b], mw = 0 at side[24*b+8] and
// corr = 128*sum(quants) at side[24*b+16]. The sum is taken over q+128 as
// unsigned bytes (VPSADBW) and corrected by 32*128. nb > 0.
TEXT ·q8_0RowSide(SB), NOSPLIT, $0-24
	MOVQ         side+0(FP), DI
	MOVQ         w+8(FP), SI
	MOVQ         nb+16(FP), CX
	MOVL         $0x80808080, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VPXOR        Y14, Y14, Y14

q8sideloop:
	MOVWLZX      0(SI), AX
	VMOVD        AX, X0
	VCVTPH2PS    X0, X0
	VMOVSS       X0, 0(DI)
	MOVL         $0, 32(DI)
	VPXOR        2(SI), Y15, Y1
	VPSADBW      Y14, Y1, Y1
	VEXTRACTI128 $1, Y1, X2
	VPADDQ       X2, X1, X1
	VPSHUFD      $0x4e, X1, X2
	VPADDQ       X2, X1, X1
	VMOVQ        X1, AX
	SUBL         $4096, AX
	SHLL         $7, AX
	MOVL         AX, 64(DI)
	ADDQ         $34, SI
	ADDQ         $96, DI
	DECQ         CX
	JNZ          q8sideloop
	VZEROUPPER
	RET
