//go:build amd64 && !purego

#include "textflag.h"

// Mat-vec kernels for weights packed 8 rows at a time (see packed.go for
// the layouts). Each 32-bit lane belongs to one of the 8 rows, so one
// VPDPBUSD multiplies 4 quants of each of 8 rows with the same 4 activation
// quants, broadcast from memory, and the per-row block scales are applied
// once per sub-block to all 8 rows at a time.

// Q4X8CHUNK multiplies chunk c of group g: 8 rows x 4 quant bytes, their
// low nibbles with activations 64g+4c..+3 and their high nibbles (kept in
// place, so 16 times their value) with 64g+32+4c..+3.
#define Q4X8CHUNK(g, c, LO, HI) \
	VMOVDQU       (160+256*g+32*c)(SI), Y10      \
	VPAND         Y15, Y10, Y12                  \
	VPANDN        Y10, Y15, Y13                  \
	VPDPBUSD.BCST (4+64*g+4*c)(DI), Y12, LO      \
	VPDPBUSD.BCST (4+64*g+32+4*c)(DI), Y13, HI

// Q4X8GROUP multiplies the 64 elements of group g (sub-blocks 2g and
// 2g+1) and adds scale times sum to Y2 (low nibbles) and Y3 (high).
#define Q4X8GROUP(g) \
	VPXOR     Y6, Y6, Y6            \
	VPXOR     Y7, Y7, Y7            \
	VPXOR     Y8, Y8, Y8            \
	VPXOR     Y9, Y9, Y9            \
	Q4X8CHUNK(g, 0, Y6, Y8)         \
	Q4X8CHUNK(g, 1, Y7, Y9)         \
	Q4X8CHUNK(g, 2, Y6, Y8)         \
	Q4X8CHUNK(g, 3, Y7, Y9)         \
	Q4X8CHUNK(g, 4, Y6, Y8)         \
	Q4X8CHUNK(g, 5, Y7, Y9)         \
	Q4X8CHUNK(g, 6, Y6, Y8)         \
	Q4X8CHUNK(g, 7, Y7, Y9)         \
	VPADDD    Y7, Y6, Y6            \
	VPADDD    Y9, Y8, Y8            \
	VPMOVZXBD (32+16*g)(SI), Y10    \
	VPMOVZXBD (40+16*g)(SI), Y11    \
	VPMULLD   Y10, Y6, Y6           \
	VPMULLD   Y11, Y8, Y8           \
	VPADDD    Y6, Y2, Y2            \
	VPADDD    Y8, Y3, Y3

// Q4X8MINS adds pair p of the mins times the activation's bsums to Y4:
// Y5 holds the 8 sums of 32 activation quants as int16 (pairs 0,1 in
// dwords 0,1 of the low lane, pairs 2,3 in those of the high lane).
#define Q4X8MINS(p, IDX) \
	VPERMD    Y5, IDX, Y11            \
	VPMOVZXBW (96+16*p)(SI), Y12      \
	VPDPWSSD  Y11, Y12, Y4

// func dotQ4KX8(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int)
// ngroups groups of 8 rows, groupB bytes apart, each nb super-blocks of
// 1184 bytes (> 0); 8 results per group at dst.
TEXT ·dotQ4KX8(SB), NOSPLIT, $0-48
	MOVQ         w+0(FP), R11
	MOVQ         dst+32(FP), R12
	MOVQ         ngroups+40(FP), R13
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x00010001, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	VMOVDQU32    q4x8PairIdx<>+0(SB), Y16
	VMOVDQU32    q4x8PairIdx<>+32(SB), Y17
	VMOVDQU32    q4x8PairIdx<>+64(SB), Y18
	VMOVDQU32    q4x8PairIdx<>+96(SB), Y19

q4x8group:
	MOVQ   R11, SI
	MOVQ   a+16(FP), DI
	MOVQ   nb+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q4x8block:
	VPXOR     Y2, Y2, Y2
	VPXOR     Y3, Y3, Y3
	VPXOR     Y4, Y4, Y4
	VPMADDWD  260(DI), Y14, Y5
	VPACKSSDW Y5, Y5, Y5
	Q4X8MINS(0, Y16)
	Q4X8MINS(1, Y17)
	Q4X8MINS(2, Y18)
	Q4X8MINS(3, Y19)
	Q4X8GROUP(0)
	Q4X8GROUP(1)
	Q4X8GROUP(2)
	Q4X8GROUP(3)
	// Y2 + Y3/16 is sum(scale*sum(q*a)); scaled by 16 here and at the end.
	VPSLLD           $4, Y2, Y2
	VPADDD           Y3, Y2, Y2
	VCVTDQ2PS        Y2, Y2
	VCVTPH2PS        0(SI), Y10
	VMULPS.BCST      0(DI), Y10, Y10
	VFMADD231PS      Y10, Y2, Y0
	VCVTDQ2PS        Y4, Y4
	VCVTPH2PS        16(SI), Y11
	VMULPS.BCST      0(DI), Y11, Y11
	VFMADD231PS      Y11, Y4, Y1
	ADDQ             $1184, SI
	ADDQ             $292, DI
	DECQ             CX
	JNZ              q4x8block

	VMULPS.BCST  q4x8Sixteenth<>(SB), Y0, Y0
	VSUBPS       Y1, Y0, Y0
	VMOVUPS      Y0, 0(R12)
	ADDQ         $32, R12
	ADDQ         groupB+8(FP), R11
	DECQ         R13
	JNZ          q4x8group
	VZEROUPPER
	RET

// Q6X8CHUNK multiplies chunk c of half h: 8 rows x 4 elements of each of
// the half's four 32-element quarters, the 6-bit quants rebuilt from the
// low or high nibbles of QL0 (quarters 0, 2) or QL1 (1, 3) and two bits of
// QH, each quarter into its own accumulator.
#define Q6X8CHUNK(h, c) \
	VMOVDQU       (144+96*(8*h+c))(SI), Y8          \
	VMOVDQU       (144+96*(8*h+c)+32)(SI), Y9       \
	VMOVDQU       (144+96*(8*h+c)+64)(SI), Y10      \
	VPAND         Y15, Y8, Y11                      \
	VPSLLW        $4, Y10, Y12                      \
	VPAND         Y14, Y12, Y12                     \
	VPOR          Y12, Y11, Y11                     \
	VPDPBUSD.BCST (4+128*h+4*c)(DI), Y11, Y2        \
	VPAND         Y15, Y9, Y11                      \
	VPSLLW        $2, Y10, Y12                      \
	VPAND         Y14, Y12, Y12                     \
	VPOR          Y12, Y11, Y11                     \
	VPDPBUSD.BCST (4+128*h+32+4*c)(DI), Y11, Y3     \
	VPSRLW        $4, Y8, Y11                       \
	VPAND         Y15, Y11, Y11                     \
	VPAND         Y14, Y10, Y12                     \
	VPOR          Y12, Y11, Y11                     \
	VPDPBUSD.BCST (4+128*h+64+4*c)(DI), Y11, Y4     \
	VPSRLW        $4, Y9, Y11                       \
	VPAND         Y15, Y11, Y11                     \
	VPSRLW        $2, Y10, Y12                      \
	VPAND         Y14, Y12, Y12                     \
	VPOR          Y12, Y11, Y11                     \
	VPDPBUSD.BCST (4+128*h+96+4*c)(DI), Y11, Y5

// Q6X8SCALE removes the offset of 32 from quarter ACC's sub-block s
// (minus 32*bsum, from the table at 0(SP)) and adds its scale times its sum
// to Y1.
#define Q6X8SCALE(s, ACC) \
	VPSUBD.BCST (4*s)(SP), ACC, ACC    \
	VPMOVSXBD   (16+8*s)(SI), Y12      \
	VPMULLD     Y12, ACC, ACC          \
	VPADDD      ACC, Y1, Y1

// Q6X8QUARTERS multiplies chunks 4ch..4ch+3 of half h: sub-blocks
// 8h+2k+ch of the quarters k.
#define Q6X8QUARTERS(h, ch) \
	VPXOR     Y2, Y2, Y2        \
	VPXOR     Y3, Y3, Y3        \
	VPXOR     Y4, Y4, Y4        \
	VPXOR     Y5, Y5, Y5        \
	Q6X8CHUNK(h, (4*ch))        \
	Q6X8CHUNK(h, (4*ch+1))      \
	Q6X8CHUNK(h, (4*ch+2))      \
	Q6X8CHUNK(h, (4*ch+3))      \
	Q6X8SCALE((8*h+ch), Y2)     \
	Q6X8SCALE((8*h+2+ch), Y3)   \
	Q6X8SCALE((8*h+4+ch), Y4)   \
	Q6X8SCALE((8*h+6+ch), Y5)

// func dotQ6KX8(w unsafe.Pointer, groupB int, a unsafe.Pointer, nb int, dst *float32, ngroups int)
// ngroups groups of 8 rows, groupB bytes apart, each nb super-blocks of
// 1680 bytes (> 0); 8 results per group at dst.
TEXT ·dotQ6KX8(SB), NOSPLIT, $64-48
	MOVQ         w+0(FP), R11
	MOVQ         dst+32(FP), R12
	MOVQ         ngroups+40(FP), R13
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $0x30303030, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14

q6x8group:
	MOVQ   R11, SI
	MOVQ   a+16(FP), DI
	MOVQ   nb+24(FP), CX
	VXORPS Y0, Y0, Y0

q6x8block:
	// 32*bsum as int32 at 0(SP), one per sub-block
	VPMOVSXWD 260(DI), Y2
	VPMOVSXWD 276(DI), Y3
	VPSLLD    $5, Y2, Y2
	VPSLLD    $5, Y3, Y3
	VMOVDQU   Y2, 0(SP)
	VMOVDQU   Y3, 32(SP)
	VPXOR     Y1, Y1, Y1
	Q6X8QUARTERS(0, 0)
	Q6X8QUARTERS(0, 1)
	Q6X8QUARTERS(1, 0)
	Q6X8QUARTERS(1, 1)
	VCVTDQ2PS   Y1, Y1
	VCVTPH2PS   0(SI), Y10
	VMULPS.BCST 0(DI), Y10, Y10
	VFMADD231PS Y10, Y1, Y0
	ADDQ        $1680, SI
	ADDQ        $292, DI
	DECQ        CX
	JNZ         q6x8block

	VMOVUPS Y0, 0(R12)
	ADDQ    $32, R12
	ADDQ    groupB+8(FP), R11
	DECQ    R13
	JNZ     q6x8group
	VZEROUPPER
	RET

// func dotQ8_0X8(w unsafe.Pointer, groupB int, a unsafe.Pointer, side *uint32, nb int, dst *float32, ngroups int)
// ngroups groups of 8 rows, groupB bytes apart, each nb blocks of 272
// bytes (> 0): d[8] f16, then 8 chunks of the 8 rows' quants 4 at a time,
// stored plus 128 as unsigned bytes. side holds per activation block
// -128*sum(quants) (int32) and the block's scale (float32), which remove
// the offset and scale the integer sums.
TEXT ·dotQ8_0X8(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), R11
	MOVQ dst+40(FP), R12
	MOVQ ngroups+48(FP), R13

q80x8group:
	MOVQ   R11, SI
	MOVQ   a+16(FP), DI
	MOVQ   side+24(FP), BX
	MOVQ   nb+32(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q80x8block:
	VPBROADCASTD  0(BX), Y2
	VPXOR         Y3, Y3, Y3
	VMOVDQU       16(SI), Y4
	VMOVDQU       48(SI), Y5
	VMOVDQU       80(SI), Y6
	VMOVDQU       112(SI), Y7
	VPDPBUSD.BCST 2(DI), Y4, Y2
	VPDPBUSD.BCST 6(DI), Y5, Y3
	VPDPBUSD.BCST 10(DI), Y6, Y2
	VPDPBUSD.BCST 14(DI), Y7, Y3
	VMOVDQU       144(SI), Y4
	VMOVDQU       176(SI), Y5
	VMOVDQU       208(SI), Y6
	VMOVDQU       240(SI), Y7
	VPDPBUSD.BCST 18(DI), Y4, Y2
	VPDPBUSD.BCST 22(DI), Y5, Y3
	VPDPBUSD.BCST 26(DI), Y6, Y2
	VPDPBUSD.BCST 30(DI), Y7, Y3
	VPADDD        Y3, Y2, Y2
	VCVTDQ2PS     Y2, Y2
	VCVTPH2PS     0(SI), Y8
	VMULPS.BCST   4(BX), Y8, Y8
	VFMADD231PS   Y8, Y2, Y0
	ADDQ          $272, SI
	ADDQ          $34, DI
	ADDQ          $8, BX
	DECQ          CX
	JNZ           q80x8block

	VMOVUPS Y0, 0(R12)
	ADDQ    $32, R12
	ADDQ    groupB+8(FP), R11
	DECQ    R13
	JNZ     q80x8group
	VZEROUPPER
	RET

// Q40X8CHUNK multiplies chunk c of a Q4_0 block: 8 rows x 4 bytes, low
// nibbles (elements 4c..4c+3) and high nibbles in place (16 times
// elements 16+4c..16+4c+3).
#define Q40X8CHUNK(c) \
	VMOVDQU       (16+32*c)(SI), Y4   \
	VPAND         Y15, Y4, Y5         \
	VPANDN        Y4, Y15, Y6         \
	VPDPBUSD.BCST (2+4*c)(DI), Y5, Y2 \
	VPDPBUSD.BCST (18+4*c)(DI), Y6, Y3

// func dotQ4_0X8(w unsafe.Pointer, groupB int, a unsafe.Pointer, side *uint32, nb int, dst *float32, ngroups int)
// ngroups groups of 8 rows, groupB bytes apart, each nb blocks of 144
// bytes (> 0): d[8] f16, then 4 chunks of the 8 rows' quant bytes 4c..4c+3.
// side holds per activation block -8*sum(quants) (int32, the quants'
// offset of 8) and the block's scale (float32).
TEXT ·dotQ4_0X8(SB), NOSPLIT, $0-56
	MOVQ         w+0(FP), R11
	MOVQ         dst+40(FP), R12
	MOVQ         ngroups+48(FP), R13
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15

q40x8group:
	MOVQ   R11, SI
	MOVQ   a+16(FP), DI
	MOVQ   side+24(FP), BX
	MOVQ   nb+32(FP), CX
	VXORPS Y0, Y0, Y0

q40x8block:
	VPBROADCASTD 0(BX), Y2
	VPXOR        Y3, Y3, Y3
	Q40X8CHUNK(0)
	Q40X8CHUNK(1)
	Q40X8CHUNK(2)
	Q40X8CHUNK(3)
	VPSRAD       $4, Y3, Y3
	VPADDD       Y3, Y2, Y2
	VCVTDQ2PS    Y2, Y2
	VCVTPH2PS    0(SI), Y8
	VMULPS.BCST  4(BX), Y8, Y8
	VFMADD231PS  Y8, Y2, Y0
	ADDQ         $144, SI
	ADDQ         $34, DI
	ADDQ         $8, BX
	DECQ         CX
	JNZ          q40x8block

	VMOVUPS Y0, 0(R12)
	ADDQ    $32, R12
	ADDQ    groupB+8(FP), R11
	DECQ    R13
	JNZ     q40x8group
	VZEROUPPER
	RET

// VPERMD indexes that broadcast dword 0, 1, 4 and 5.
DATA q4x8PairIdx<>+0(SB)/8, $0
DATA q4x8PairIdx<>+8(SB)/8, $0
DATA q4x8PairIdx<>+16(SB)/8, $0
DATA q4x8PairIdx<>+24(SB)/8, $0
DATA q4x8PairIdx<>+32(SB)/8, $0x0000000100000001
DATA q4x8PairIdx<>+40(SB)/8, $0x0000000100000001
DATA q4x8PairIdx<>+48(SB)/8, $0x0000000100000001
DATA q4x8PairIdx<>+56(SB)/8, $0x0000000100000001
DATA q4x8PairIdx<>+64(SB)/8, $0x0000000400000004
DATA q4x8PairIdx<>+72(SB)/8, $0x0000000400000004
DATA q4x8PairIdx<>+80(SB)/8, $0x0000000400000004
DATA q4x8PairIdx<>+88(SB)/8, $0x0000000400000004
DATA q4x8PairIdx<>+96(SB)/8, $0x0000000500000005
DATA q4x8PairIdx<>+104(SB)/8, $0x0000000500000005
DATA q4x8PairIdx<>+112(SB)/8, $0x0000000500000005
DATA q4x8PairIdx<>+120(SB)/8, $0x0000000500000005
GLOBL q4x8PairIdx<>(SB), RODATA|NOPTR, $128

DATA q4x8Sixteenth<>+0(SB)/4, $0x3d800000
GLOBL q4x8Sixteenth<>(SB), RODATA|NOPTR, $4
