//go:build amd64 && !purego

#include "textflag.h"
#include "transpose_amd64.h"

// Register-blocked prefill micro-kernels for AVX512-VNNI on 512-bit
// vectors: 8 weight rows × 16 tokens per call, one token per 32-bit lane of
// a 512-bit vector (Zen 4 runs them as two 256-bit halves, but each
// broadcast weight load then serves 16 tokens).
//
// Activations are packed by packActs: per sub-block, S/4 vectors whose 32-bit
// lane t holds 4 consecutive quants of token t offset by 128 (so they are
// unsigned bytes for VPDPBUSD), then the 16 tokens' scales (da) and scaled
// sums (sa = da*sum of the sub-block's quants). Each weight row is read in
// place, 4 signed bytes at a time broadcast to every lane, so one VPDPBUSD
// forms 4 products for 16 tokens. Per row and sub-block the side table holds
// the weight scale dw, the min scale mw and corr = 128*sum(quants), which
// removes the activation offset exactly in int32 (the side table holds
// -corr, which starts each integer sum). Then
//	acc += dw * da * float(isum - corr) - mw * sa
// The integer sums are those of the reference dot products; only the float
// accumulation order differs.
//
// Registers: Z0-Z7 accumulators (one per row), Z8-Z15 per-row integer sums,
// Z16-Z23 activation quants, Z24 da, Z25 sa. R8-R13, AX, BX point at the 8
// rows' quants, DX is the stride between sub-blocks of a row, SI the side
// table (96 bytes per sub-block: dw[8] mw[8] -corr[8]), DI the activations,
// R15 out, the accumulators (added to, so K can be split into panels).

// One row's sub-block of 32 (S32) or 16 (S16) quants, with or without the
// min term.
#define DOT32(P, Z, R) \
	VPBROADCASTD   (64+4*R)(SI), Z \
	VPDPBUSD.BCST  0(P), Z16, Z \
	VPDPBUSD.BCST  4(P), Z17, Z \
	VPDPBUSD.BCST  8(P), Z18, Z \
	VPDPBUSD.BCST  12(P), Z19, Z \
	VPDPBUSD.BCST  16(P), Z20, Z \
	VPDPBUSD.BCST  20(P), Z21, Z \
	VPDPBUSD.BCST  24(P), Z22, Z \
	VPDPBUSD.BCST  28(P), Z23, Z

#define DOT16(P, Z, R) \
	VPBROADCASTD   (64+4*R)(SI), Z \
	VPDPBUSD.BCST  0(P), Z16, Z \
	VPDPBUSD.BCST  4(P), Z17, Z \
	VPDPBUSD.BCST  8(P), Z18, Z \
	VPDPBUSD.BCST  12(P), Z19, Z

#define SCALE(R, Z, ACC) \
	VCVTDQ2PS        Z, Z \
	VMULPS           Z24, Z, Z \
	VFMADD231PS.BCST (4*R)(SI), Z, ACC

#define MINS(R, ACC) \
	VFNMADD231PS.BCST (32+4*R)(SI), Z25, ACC

#define LOADACC \
	MOVQ    out+48(FP), R15 \
	VMOVUPS 0(R15), Z0      \
	VMOVUPS 64(R15), Z1     \
	VMOVUPS 128(R15), Z2     \
	VMOVUPS 192(R15), Z3     \
	VMOVUPS 256(R15), Z4    \
	VMOVUPS 320(R15), Z5    \
	VMOVUPS 384(R15), Z6    \
	VMOVUPS 448(R15), Z7

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
	VMOVUPS Z0, 0(R15)     \
	VMOVUPS Z1, 64(R15)    \
	VMOVUPS Z2, 128(R15)    \
	VMOVUPS Z3, 192(R15)    \
	VMOVUPS Z4, 256(R15)   \
	VMOVUPS Z5, 320(R15)   \
	VMOVUPS Z6, 384(R15)   \
	VMOVUPS Z7, 448(R15)   \
	VZEROUPPER

// func gemm8x16S32(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// 32-quant sub-blocks without a min term (Q8_0). nsub > 0.
TEXT ·gemm8x16S32(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

s32loop:
	VMOVDQU32 0(DI), Z16
	VMOVDQU32 64(DI), Z17
	VMOVDQU32 128(DI), Z18
	VMOVDQU32 192(DI), Z19
	VMOVDQU32 256(DI), Z20
	VMOVDQU32 320(DI), Z21
	VMOVDQU32 384(DI), Z22
	VMOVDQU32 448(DI), Z23
	VMOVUPS   512(DI), Z24
	DOT32(R8, Z8, 0)
	DOT32(R9, Z9, 1)
	DOT32(R10, Z10, 2)
	DOT32(R11, Z11, 3)
	DOT32(R12, Z12, 4)
	DOT32(R13, Z13, 5)
	DOT32(AX, Z14, 6)
	DOT32(BX, Z15, 7)
	SCALE(0, Z8, Z0)
	SCALE(1, Z9, Z1)
	SCALE(2, Z10, Z2)
	SCALE(3, Z11, Z3)
	SCALE(4, Z12, Z4)
	SCALE(5, Z13, Z5)
	SCALE(6, Z14, Z6)
	SCALE(7, Z15, Z7)
	NEXTSUB
	ADDQ $640, DI
	DECQ CX
	JNZ  s32loop

	STOREACC
	RET

// func gemm8x16S32Min(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// 32-quant sub-blocks with a min term (Q4_K). nsub > 0.
TEXT ·gemm8x16S32Min(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

s32mloop:
	VMOVDQU32 0(DI), Z16
	VMOVDQU32 64(DI), Z17
	VMOVDQU32 128(DI), Z18
	VMOVDQU32 192(DI), Z19
	VMOVDQU32 256(DI), Z20
	VMOVDQU32 320(DI), Z21
	VMOVDQU32 384(DI), Z22
	VMOVDQU32 448(DI), Z23
	VMOVUPS   512(DI), Z24
	VMOVUPS   576(DI), Z25
	DOT32(R8, Z8, 0)
	DOT32(R9, Z9, 1)
	DOT32(R10, Z10, 2)
	DOT32(R11, Z11, 3)
	DOT32(R12, Z12, 4)
	DOT32(R13, Z13, 5)
	DOT32(AX, Z14, 6)
	DOT32(BX, Z15, 7)
	SCALE(0, Z8, Z0)
	SCALE(1, Z9, Z1)
	SCALE(2, Z10, Z2)
	SCALE(3, Z11, Z3)
	SCALE(4, Z12, Z4)
	SCALE(5, Z13, Z5)
	SCALE(6, Z14, Z6)
	SCALE(7, Z15, Z7)
	MINS(0, Z0)
	MINS(1, Z1)
	MINS(2, Z2)
	MINS(3, Z3)
	MINS(4, Z4)
	MINS(5, Z5)
	MINS(6, Z6)
	MINS(7, Z7)
	NEXTSUB
	ADDQ $640, DI
	DECQ CX
	JNZ  s32mloop

	STOREACC
	RET

// func gemm8x16S16(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// 16-quant sub-blocks without a min term (Q6_K). nsub > 0.
TEXT ·gemm8x16S16(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

s16loop:
	VMOVDQU32 0(DI), Z16
	VMOVDQU32 64(DI), Z17
	VMOVDQU32 128(DI), Z18
	VMOVDQU32 192(DI), Z19
	VMOVUPS   256(DI), Z24
	DOT16(R8, Z8, 0)
	DOT16(R9, Z9, 1)
	DOT16(R10, Z10, 2)
	DOT16(R11, Z11, 3)
	DOT16(R12, Z12, 4)
	DOT16(R13, Z13, 5)
	DOT16(AX, Z14, 6)
	DOT16(BX, Z15, 7)
	SCALE(0, Z8, Z0)
	SCALE(1, Z9, Z1)
	SCALE(2, Z10, Z2)
	SCALE(3, Z11, Z3)
	SCALE(4, Z12, Z4)
	SCALE(5, Z13, Z5)
	SCALE(6, Z14, Z6)
	SCALE(7, Z15, Z7)
	NEXTSUB
	ADDQ $384, DI
	DECQ CX
	JNZ  s16loop

	STOREACC
	RET

// func gemm8x16F32(w unsafe.Pointer, rowStride, subStride int, side *uint32, act unsafe.Pointer, nsub int, out *float32)
// Float32 weights (F32 in place, F16 widened by the prep) times float32
// activations packed as 16 token lanes per element: per element one vector
// load and 8 FMAs, each with a weight broadcast from memory. The side
// table is not read. nsub counts 16-element sub-blocks, > 0.
TEXT ·gemm8x16F32(SB), NOSPLIT, $0-56
	LOADROWS
	LOADACC

f32tileloop:
	VMOVUPS (0)(DI), Z16
	VFMADD231PS.BCST 0(R8), Z16, Z0
	VFMADD231PS.BCST 0(R9), Z16, Z1
	VFMADD231PS.BCST 0(R10), Z16, Z2
	VFMADD231PS.BCST 0(R11), Z16, Z3
	VFMADD231PS.BCST 0(R12), Z16, Z4
	VFMADD231PS.BCST 0(R13), Z16, Z5
	VFMADD231PS.BCST 0(AX), Z16, Z6
	VFMADD231PS.BCST 0(BX), Z16, Z7
	VMOVUPS (64)(DI), Z17
	VFMADD231PS.BCST 4(R8), Z17, Z0
	VFMADD231PS.BCST 4(R9), Z17, Z1
	VFMADD231PS.BCST 4(R10), Z17, Z2
	VFMADD231PS.BCST 4(R11), Z17, Z3
	VFMADD231PS.BCST 4(R12), Z17, Z4
	VFMADD231PS.BCST 4(R13), Z17, Z5
	VFMADD231PS.BCST 4(AX), Z17, Z6
	VFMADD231PS.BCST 4(BX), Z17, Z7
	VMOVUPS (128)(DI), Z16
	VFMADD231PS.BCST 8(R8), Z16, Z0
	VFMADD231PS.BCST 8(R9), Z16, Z1
	VFMADD231PS.BCST 8(R10), Z16, Z2
	VFMADD231PS.BCST 8(R11), Z16, Z3
	VFMADD231PS.BCST 8(R12), Z16, Z4
	VFMADD231PS.BCST 8(R13), Z16, Z5
	VFMADD231PS.BCST 8(AX), Z16, Z6
	VFMADD231PS.BCST 8(BX), Z16, Z7
	VMOVUPS (192)(DI), Z17
	VFMADD231PS.BCST 12(R8), Z17, Z0
	VFMADD231PS.BCST 12(R9), Z17, Z1
	VFMADD231PS.BCST 12(R10), Z17, Z2
	VFMADD231PS.BCST 12(R11), Z17, Z3
	VFMADD231PS.BCST 12(R12), Z17, Z4
	VFMADD231PS.BCST 12(R13), Z17, Z5
	VFMADD231PS.BCST 12(AX), Z17, Z6
	VFMADD231PS.BCST 12(BX), Z17, Z7
	VMOVUPS (256)(DI), Z16
	VFMADD231PS.BCST 16(R8), Z16, Z0
	VFMADD231PS.BCST 16(R9), Z16, Z1
	VFMADD231PS.BCST 16(R10), Z16, Z2
	VFMADD231PS.BCST 16(R11), Z16, Z3
	VFMADD231PS.BCST 16(R12), Z16, Z4
	VFMADD231PS.BCST 16(R13), Z16, Z5
	VFMADD231PS.BCST 16(AX), Z16, Z6
	VFMADD231PS.BCST 16(BX), Z16, Z7
	VMOVUPS (320)(DI), Z17
	VFMADD231PS.BCST 20(R8), Z17, Z0
	VFMADD231PS.BCST 20(R9), Z17, Z1
	VFMADD231PS.BCST 20(R10), Z17, Z2
	VFMADD231PS.BCST 20(R11), Z17, Z3
	VFMADD231PS.BCST 20(R12), Z17, Z4
	VFMADD231PS.BCST 20(R13), Z17, Z5
	VFMADD231PS.BCST 20(AX), Z17, Z6
	VFMADD231PS.BCST 20(BX), Z17, Z7
	VMOVUPS (384)(DI), Z16
	VFMADD231PS.BCST 24(R8), Z16, Z0
	VFMADD231PS.BCST 24(R9), Z16, Z1
	VFMADD231PS.BCST 24(R10), Z16, Z2
	VFMADD231PS.BCST 24(R11), Z16, Z3
	VFMADD231PS.BCST 24(R12), Z16, Z4
	VFMADD231PS.BCST 24(R13), Z16, Z5
	VFMADD231PS.BCST 24(AX), Z16, Z6
	VFMADD231PS.BCST 24(BX), Z16, Z7
	VMOVUPS (448)(DI), Z17
	VFMADD231PS.BCST 28(R8), Z17, Z0
	VFMADD231PS.BCST 28(R9), Z17, Z1
	VFMADD231PS.BCST 28(R10), Z17, Z2
	VFMADD231PS.BCST 28(R11), Z17, Z3
	VFMADD231PS.BCST 28(R12), Z17, Z4
	VFMADD231PS.BCST 28(R13), Z17, Z5
	VFMADD231PS.BCST 28(AX), Z17, Z6
	VFMADD231PS.BCST 28(BX), Z17, Z7
	VMOVUPS (512)(DI), Z16
	VFMADD231PS.BCST 32(R8), Z16, Z0
	VFMADD231PS.BCST 32(R9), Z16, Z1
	VFMADD231PS.BCST 32(R10), Z16, Z2
	VFMADD231PS.BCST 32(R11), Z16, Z3
	VFMADD231PS.BCST 32(R12), Z16, Z4
	VFMADD231PS.BCST 32(R13), Z16, Z5
	VFMADD231PS.BCST 32(AX), Z16, Z6
	VFMADD231PS.BCST 32(BX), Z16, Z7
	VMOVUPS (576)(DI), Z17
	VFMADD231PS.BCST 36(R8), Z17, Z0
	VFMADD231PS.BCST 36(R9), Z17, Z1
	VFMADD231PS.BCST 36(R10), Z17, Z2
	VFMADD231PS.BCST 36(R11), Z17, Z3
	VFMADD231PS.BCST 36(R12), Z17, Z4
	VFMADD231PS.BCST 36(R13), Z17, Z5
	VFMADD231PS.BCST 36(AX), Z17, Z6
	VFMADD231PS.BCST 36(BX), Z17, Z7
	VMOVUPS (640)(DI), Z16
	VFMADD231PS.BCST 40(R8), Z16, Z0
	VFMADD231PS.BCST 40(R9), Z16, Z1
	VFMADD231PS.BCST 40(R10), Z16, Z2
	VFMADD231PS.BCST 40(R11), Z16, Z3
	VFMADD231PS.BCST 40(R12), Z16, Z4
	VFMADD231PS.BCST 40(R13), Z16, Z5
	VFMADD231PS.BCST 40(AX), Z16, Z6
	VFMADD231PS.BCST 40(BX), Z16, Z7
	VMOVUPS (704)(DI), Z17
	VFMADD231PS.BCST 44(R8), Z17, Z0
	VFMADD231PS.BCST 44(R9), Z17, Z1
	VFMADD231PS.BCST 44(R10), Z17, Z2
	VFMADD231PS.BCST 44(R11), Z17, Z3
	VFMADD231PS.BCST 44(R12), Z17, Z4
	VFMADD231PS.BCST 44(R13), Z17, Z5
	VFMADD231PS.BCST 44(AX), Z17, Z6
	VFMADD231PS.BCST 44(BX), Z17, Z7
	VMOVUPS (768)(DI), Z16
	VFMADD231PS.BCST 48(R8), Z16, Z0
	VFMADD231PS.BCST 48(R9), Z16, Z1
	VFMADD231PS.BCST 48(R10), Z16, Z2
	VFMADD231PS.BCST 48(R11), Z16, Z3
	VFMADD231PS.BCST 48(R12), Z16, Z4
	VFMADD231PS.BCST 48(R13), Z16, Z5
	VFMADD231PS.BCST 48(AX), Z16, Z6
	VFMADD231PS.BCST 48(BX), Z16, Z7
	VMOVUPS (832)(DI), Z17
	VFMADD231PS.BCST 52(R8), Z17, Z0
	VFMADD231PS.BCST 52(R9), Z17, Z1
	VFMADD231PS.BCST 52(R10), Z17, Z2
	VFMADD231PS.BCST 52(R11), Z17, Z3
	VFMADD231PS.BCST 52(R12), Z17, Z4
	VFMADD231PS.BCST 52(R13), Z17, Z5
	VFMADD231PS.BCST 52(AX), Z17, Z6
	VFMADD231PS.BCST 52(BX), Z17, Z7
	VMOVUPS (896)(DI), Z16
	VFMADD231PS.BCST 56(R8), Z16, Z0
	VFMADD231PS.BCST 56(R9), Z16, Z1
	VFMADD231PS.BCST 56(R10), Z16, Z2
	VFMADD231PS.BCST 56(R11), Z16, Z3
	VFMADD231PS.BCST 56(R12), Z16, Z4
	VFMADD231PS.BCST 56(R13), Z16, Z5
	VFMADD231PS.BCST 56(AX), Z16, Z6
	VFMADD231PS.BCST 56(BX), Z16, Z7
	VMOVUPS (960)(DI), Z17
	VFMADD231PS.BCST 60(R8), Z17, Z0
	VFMADD231PS.BCST 60(R9), Z17, Z1
	VFMADD231PS.BCST 60(R10), Z17, Z2
	VFMADD231PS.BCST 60(R11), Z17, Z3
	VFMADD231PS.BCST 60(R12), Z17, Z4
	VFMADD231PS.BCST 60(R13), Z17, Z5
	VFMADD231PS.BCST 60(AX), Z17, Z6
	VFMADD231PS.BCST 60(BX), Z17, Z7
	NEXTSUB
	ADDQ $1024, DI
	DECQ CX
	JNZ  f32tileloop

	STOREACC
	RET

// func q8_0RowSide(side *uint32, w *byte, nb int)
// The tile kernels' side entries of one Q8_0 row: for each of nb blocks,
// dw (the f16 scale as float32) at side[24*b], mw = 0 at side[24*b+8] and
// -corr = -128*sum(quants) at side[24*b+16]. The sum is taken over q+128 as
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
	NEGL         AX
	MOVL         AX, 64(DI)
	ADDQ         $34, SI
	ADDQ         $96, DI
	DECQ         CX
	JNZ          q8sideloop
	VZEROUPPER
	RET

// func q4KRowUnpack(quants *byte, side *uint32, w *byte, nb int)
// One Q4_K row's nibbles to bytes (sub-block 2r of each run of 32 bytes
// from the low nibbles, 2r+1 from the high ones) and each 32-element
// sub-block's -corr = -128*sum(quants) at side[24*s+16]. nb > 0.
TEXT ·q4KRowUnpack(SB), NOSPLIT, $0-32
	MOVQ         quants+0(FP), R8
	MOVQ         side+8(FP), DI
	MOVQ         w+16(FP), SI
	MOVQ         nb+24(FP), CX
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VPXOR        Y14, Y14, Y14

q4kunpack:
	MOVQ $0, DX

q4kunpackrun:
	VMOVDQU      16(SI)(DX*1), Y0
	VPAND        Y15, Y0, Y1
	VPSRLW       $4, Y0, Y2
	VPAND        Y15, Y2, Y2
	VMOVDQU      Y1, 0(R8)
	VMOVDQU      Y2, 32(R8)
	VPSADBW      Y14, Y1, Y1
	VPSADBW      Y14, Y2, Y2
	VEXTRACTI128 $1, Y1, X3
	VEXTRACTI128 $1, Y2, X4
	VPADDQ       X3, X1, X1
	VPADDQ       X4, X2, X2
	VPSHUFD      $0x4e, X1, X3
	VPSHUFD      $0x4e, X2, X4
	VPADDQ       X3, X1, X1
	VPADDQ       X4, X2, X2
	VMOVD        X1, AX
	SHLL         $7, AX
	NEGL         AX
	MOVL         AX, 64(DI)
	VMOVD        X2, AX
	SHLL         $7, AX
	NEGL         AX
	MOVL         AX, 160(DI)
	ADDQ         $64, R8
	ADDQ         $192, DI
	ADDQ         $32, DX
	CMPQ         DX, $128
	JLT          q4kunpackrun
	ADDQ         $144, SI
	DECQ         CX
	JNZ          q4kunpack
	VZEROUPPER
	RET

// Q6STORE writes the 32 quants of Q (0..63) at R8+OFF as q-32 and the -corr
// of their two 16-element sub-blocks (the sub-block of element OFF is
// OFF/16 after DI's), from VPSADBW sums of the unsigned quants.
#define Q6STORE(Q, OFF) \
	VPSADBW      Y14, Q, Y10      \
	VPSUBB       Y12, Q, Q        \
	VMOVDQU      Q, OFF(R8)       \
	VEXTRACTI128 $1, Y10, X11     \
	VPSHUFD      $0x4e, X10, X9   \
	VPADDQ       X9, X10, X10     \
	VPSHUFD      $0x4e, X11, X9   \
	VPADDQ       X9, X11, X11     \
	VMOVD        X10, AX          \
	SUBL         $512, AX         \
	SHLL         $7, AX           \
	NEGL         AX               \
	MOVL         AX, (64+6*OFF)(DI) \
	VMOVD        X11, AX          \
	SUBL         $512, AX         \
	SHLL         $7, AX           \
	NEGL         AX               \
	MOVL         AX, (64+6*OFF+96)(DI)

// func q6KRowUnpack(quants *byte, side *uint32, w *byte, nb int)
// One Q6_K row's 6-bit quants to signed bytes q-32 in element order and
// each 16-element sub-block's -corr = -128*sum(q-32) at side[24*s+16]. nb > 0.
TEXT ·q6KRowUnpack(SB), NOSPLIT, $0-32
	MOVQ         quants+0(FP), R8
	MOVQ         side+8(FP), DI
	MOVQ         w+16(FP), SI
	MOVQ         nb+24(FP), CX
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x03030303, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	MOVL         $0x20202020, AX
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12
	VPXOR        Y14, Y14, Y14

q6kunpack:
	MOVQ SI, R9 // ql
	LEAQ 128(SI), R10 // qh
	MOVQ $2, DX

q6khalf:
	VMOVDQU 0(R9), Y4  // ql[0:32]
	VMOVDQU 32(R9), Y5 // ql[32:64]
	VMOVDQU 0(R10), Y6 // qh[0:32]
	// q1 = ql&15 | (qh&3)<<4
	VPAND   Y15, Y4, Y0
	VPAND   Y13, Y6, Y7
	VPSLLW  $4, Y7, Y7
	VPOR    Y7, Y0, Y0
	// q2 = ql[32:]&15 | ((qh>>2)&3)<<4
	VPAND   Y15, Y5, Y1
	VPSRLW  $2, Y6, Y9
	VPAND   Y13, Y9, Y9
	VPSLLW  $4, Y9, Y9
	VPOR    Y9, Y1, Y1
	// q3 = ql>>4 | ((qh>>4)&3)<<4
	VPSRLW  $4, Y4, Y2
	VPAND   Y15, Y2, Y2
	VPSRLW  $4, Y6, Y9
	VPAND   Y13, Y9, Y9
	VPSLLW  $4, Y9, Y9
	VPOR    Y9, Y2, Y2
	// q4 = ql[32:]>>4 | ((qh>>6)&3)<<4
	VPSRLW  $4, Y5, Y3
	VPAND   Y15, Y3, Y3
	VPSRLW  $6, Y6, Y9
	VPAND   Y13, Y9, Y9
	VPSLLW  $4, Y9, Y9
	VPOR    Y9, Y3, Y3

	Q6STORE(Y0, 0)
	Q6STORE(Y1, 32)
	Q6STORE(Y2, 64)
	Q6STORE(Y3, 96)
	ADDQ    $128, R8
	ADDQ    $768, DI // 8 sub-blocks of 96 bytes
	ADDQ    $64, R9
	ADDQ    $32, R10
	DECQ    DX
	JNZ     q6khalf
	ADDQ    $210, SI
	DECQ    CX
	JNZ     q6kunpack
	VZEROUPPER
	RET

// STORECOL stores column C at DI and moves DI to the next token; after the
// last token it jumps to DONE.
#define STORECOL(C, DONE) \
	VMOVUPS C, 0(DI) \
	ADDQ    DX, DI   \
	DECQ    CX       \
	JZ      DONE

// func storeTileT(dst *float32, rowStride int, out *float32, nt int)
// Writes a tile's outputs (out: 8 rows of 16 token lanes) to dst
// transposed: the 8 rows' values of token t, for t < nt, as 8 consecutive
// floats at dst + t*rowStride bytes, one 32-byte store per token.
// 0 < nt <= 16.
TEXT ·storeTileT(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ rowStride+8(FP), DX
	MOVQ out+16(FP), SI
	MOVQ nt+24(FP), CX
	MOVQ CX, R8
	CMPQ CX, $8
	JLE  tilelow
	MOVQ $8, CX

tilelow:
	SUBQ    CX, R8 // tokens left for the high half
	VMOVUPS 0(SI), Y0
	VMOVUPS 64(SI), Y1
	VMOVUPS 128(SI), Y2
	VMOVUPS 192(SI), Y3
	VMOVUPS 256(SI), Y4
	VMOVUPS 320(SI), Y5
	VMOVUPS 384(SI), Y6
	VMOVUPS 448(SI), Y7
	TRANSPOSE8
	STORECOL(Y8, tilehigh)
	STORECOL(Y9, tilehigh)
	STORECOL(Y10, tilehigh)
	STORECOL(Y11, tilehigh)
	STORECOL(Y12, tilehigh)
	STORECOL(Y13, tilehigh)
	STORECOL(Y14, tilehigh)
	STORECOL(Y15, tilehigh)

tilehigh:
	MOVQ    R8, CX
	TESTQ   CX, CX
	JZ      tiledone
	VMOVUPS 32(SI), Y0
	VMOVUPS 96(SI), Y1
	VMOVUPS 160(SI), Y2
	VMOVUPS 224(SI), Y3
	VMOVUPS 288(SI), Y4
	VMOVUPS 352(SI), Y5
	VMOVUPS 416(SI), Y6
	VMOVUPS 480(SI), Y7
	TRANSPOSE8
	STORECOL(Y8, tiledone)
	STORECOL(Y9, tiledone)
	STORECOL(Y10, tiledone)
	STORECOL(Y11, tiledone)
	STORECOL(Y12, tiledone)
	STORECOL(Y13, tiledone)
	STORECOL(Y14, tiledone)
	STORECOL(Y15, tiledone)

tiledone:
	VZEROUPPER
	RET
