//go:build amd64 && !purego

#include "textflag.h"
#include "transpose_amd64.h"

// Batched-decode kernels (AVX512-VNNI): T = 1..8 activation rows times
// weights interleaved 8 rows at a time (the X8 layouts of packed.go), each
// weight vector loaded once per block for all T tokens, each 32-bit lane
// one weight row, so that all lanes are used whatever T is. The X16
// kernels take two adjacent groups of 8 rows per 512-bit vector (one half
// each), the X8 kernels one group per 256-bit vector (for an odd last
// group); on Zen 4 the 512-bit ones are about 1.4x faster, as they need
// half the activation broadcasts.
//
// The activations are prepared by prepBatch: per 32-element block, per
// token, 40 bytes: the 32 int8 quants, the offset correction (int32:
// -128*sum(quants) for Q8_0, whose weights are stored plus 128, -8*sum for
// Q4_0, whose nibbles are q+8) and the block's scale da (float32). A
// block's entries of consecutive tokens are 40 bytes apart, blocks
// actStride bytes apart.
//
// Per block and token the integer sum of each row is exact, then
// acc += float(isum) * (dw*da), in the same order and precision as the
// one-token kernels dotQ8_0X8 and dotQ4_0X8, so that a batch gives bit for
// bit what each token gives alone.
//
// Registers: V0-V7 per-token float accumulators, V8-V15 per-token integer
// sums, V16-V23 the block's 8 weight vectors (for Q4_0 the low nibbles of
// its 4 chunks, then the high ones), V24 the rows' scales, V25 dw*da,
// V26-V27 scratch, V28 the nibble mask (V = Y or Z). SI weights, DX
// groupB, R11 the group, DI activations, R9 actStride, CX blocks left, R12
// dst, R10 dstStride, R13 groups (pairs) left. The weights are prefetched
// 1 KiB ahead (the hardware prefetchers alone left the kernels waiting on
// DRAM about a quarter of the time).

#define BATCHPROLOGUE \
	MOVQ w+0(FP), R11          \
	MOVQ groupB+8(FP), DX      \
	MOVQ actStride+24(FP), R9  \
	MOVQ dst+40(FP), R12       \
	MOVQ dstStride+48(FP), R10 \
	MOVQ ngroups+56(FP), R13

#define NIBBLEMASK \
	MOVL         $0x0f0f0f0f, AX \
	VPBROADCASTD AX, Z28

#define BATCHGROUP \
	MOVQ R11, SI          \
	MOVQ act+16(FP), DI   \
	MOVQ nb+32(FP), CX

// X8SCALES and X16SCALES load the 8 (16) rows' f16 block scales.
#define X8SCALES \
	VCVTPH2PS 0(SI), Y24

#define X16SCALES \
	VCVTPH2PS    0(SI), Y24            \
	VCVTPH2PS    0(SI)(DX*1), Y26      \
	VINSERTF64X4 $1, Y26, Z24, Z24

// X8LOAD and X16LOAD load 32 bytes of one group (two groups) at offset
// off into V.
#define X8LOAD(off, V) \
	VMOVDQU32 off(SI), V

#define X16LOAD(off, V) \
	VMOVDQU32    off(SI), V                \
	VINSERTI64X4 $1, off(SI)(DX*1), V, V

// Q8_0 X8 block (272 bytes): the 8 scales, then 8 chunks of 4 quants of
// the 8 rows.
#define X8Q8W \
	PREFETCHT0 1024(SI) \
	PREFETCHT0 1088(SI) \
	PREFETCHT0 1152(SI) \
	PREFETCHT0 1216(SI) \
	PREFETCHT0 1280(SI) \
	X8SCALES                \
	X8LOAD(16, Y16)         \
	X8LOAD(48, Y17)         \
	X8LOAD(80, Y18)         \
	X8LOAD(112, Y19)        \
	X8LOAD(144, Y20)        \
	X8LOAD(176, Y21)        \
	X8LOAD(208, Y22)        \
	X8LOAD(240, Y23)

#define X16Q8W \
	PREFETCHT0 1024(SI) \
	PREFETCHT0 1088(SI) \
	PREFETCHT0 1152(SI) \
	PREFETCHT0 1216(SI) \
	PREFETCHT0 1280(SI) \
	PREFETCHT0 1024(SI)(DX*1) \
	PREFETCHT0 1088(SI)(DX*1) \
	PREFETCHT0 1152(SI)(DX*1) \
	PREFETCHT0 1216(SI)(DX*1) \
	PREFETCHT0 1280(SI)(DX*1) \
	X16SCALES               \
	X16LOAD(16, Z16)        \
	X16LOAD(48, Z17)        \
	X16LOAD(80, Z18)        \
	X16LOAD(112, Z19)       \
	X16LOAD(144, Z20)       \
	X16LOAD(176, Z21)       \
	X16LOAD(208, Z22)       \
	X16LOAD(240, Z23)

// Q4_0 X8 block (144 bytes): the 8 scales, then 4 chunks of 4 quant bytes
// of the 8 rows, split into low nibbles (elements 4c..4c+3) and high ones
// (16+4c..16+4c+3).
#define X8Q4CHUNK(off, LO, HI) \
	X8LOAD(off, Y27)          \
	VPANDD Y27, Y28, LO       \
	VPSRLW $4, Y27, Y27       \
	VPANDD Y27, Y28, HI

#define X16Q4CHUNK(off, LO, HI) \
	X16LOAD(off, Z27)         \
	VPANDD Z27, Z28, LO       \
	VPSRLW $4, Z27, Z27       \
	VPANDD Z27, Z28, HI

#define X8Q4W \
	PREFETCHT0 1024(SI) \
	PREFETCHT0 1088(SI) \
	PREFETCHT0 1152(SI) \
	X8SCALES                    \
	X8Q4CHUNK(16, Y16, Y20)     \
	X8Q4CHUNK(48, Y17, Y21)     \
	X8Q4CHUNK(80, Y18, Y22)     \
	X8Q4CHUNK(112, Y19, Y23)

#define X16Q4W \
	PREFETCHT0 1024(SI) \
	PREFETCHT0 1088(SI) \
	PREFETCHT0 1152(SI) \
	PREFETCHT0 1024(SI)(DX*1) \
	PREFETCHT0 1088(SI)(DX*1) \
	PREFETCHT0 1152(SI)(DX*1) \
	X16SCALES                   \
	X16Q4CHUNK(16, Z16, Z20)    \
	X16Q4CHUNK(48, Z17, Z21)    \
	X16Q4CHUNK(80, Z18, Z22)    \
	X16Q4CHUNK(112, Z19, Z23)

// BATCHDOT sums token t's block with the rows into I (V16-V23 as
// W16-W23, each paired with 4 activation quants in order).
#define BATCHDOT(t, I, W16, W17, W18, W19, W20, W21, W22, W23) \
	VPBROADCASTD  (40*t+32)(DI), I      \
	VPDPBUSD.BCST (40*t)(DI), W16, I    \
	VPDPBUSD.BCST (40*t+4)(DI), W17, I  \
	VPDPBUSD.BCST (40*t+8)(DI), W18, I  \
	VPDPBUSD.BCST (40*t+12)(DI), W19, I \
	VPDPBUSD.BCST (40*t+16)(DI), W20, I \
	VPDPBUSD.BCST (40*t+20)(DI), W21, I \
	VPDPBUSD.BCST (40*t+24)(DI), W22, I \
	VPDPBUSD.BCST (40*t+28)(DI), W23, I

#define X8DOT(t, I) BATCHDOT(t, I, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)
#define X16DOT(t, I) BATCHDOT(t, I, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

// BATCHACC adds token t's scaled block sum I to its accumulator F (S the
// scales, P scratch).
#define BATCHACC(t, I, F, S, P) \
	VCVTDQ2PS   I, I                 \
	VMULPS.BCST (40*t+36)(DI), S, P  \
	VFMADD231PS P, I, F

#define X8ACC(t, I, F) BATCHACC(t, I, F, Y24, Y25)
#define X16ACC(t, I, F) BATCHACC(t, I, F, Z24, Z25)

// The kernels: ngroups groups of 8 interleaved rows (X8) or pairs of
// groups (X16), groupB bytes apart, each nb blocks (> 0); token t's 8 or
// 16 results of a group or pair at dst + t*dstStride bytes, 32 or 64
// bytes further per group or pair.

// func dotQ8_0X16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T1(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t1group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0

q8x16t1block:
	X16Q8W
	X16DOT(0, Z8)
	X16ACC(0, Z8, Z0)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t1block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t1group
	VZEROUPPER
	RET

// func dotQ8_0X16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T2(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t2group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1

q8x16t2block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t2block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t2group
	VZEROUPPER
	RET

// func dotQ8_0X16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T3(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t3group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2

q8x16t3block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t3block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t3group
	VZEROUPPER
	RET

// func dotQ8_0X16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T4(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t4group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3

q8x16t4block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t4block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t4group
	VZEROUPPER
	RET

// func dotQ8_0X16T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T5(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t5group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4

q8x16t5block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t5block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t5group
	VZEROUPPER
	RET

// func dotQ8_0X16T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T6(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t6group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5

q8x16t6block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16DOT(5, Z13)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	X16ACC(5, Z13, Z5)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t6block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z5, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t6group
	VZEROUPPER
	RET

// func dotQ8_0X16T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T7(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t7group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6

q8x16t7block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16DOT(5, Z13)
	X16DOT(6, Z14)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	X16ACC(5, Z13, Z5)
	X16ACC(6, Z14, Z6)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t7block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z6, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t7group
	VZEROUPPER
	RET

// func dotQ8_0X16T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X16T8(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x16t8group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

q8x16t8block:
	X16Q8W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16DOT(5, Z13)
	X16DOT(6, Z14)
	X16DOT(7, Z15)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	X16ACC(5, Z13, Z5)
	X16ACC(6, Z14, Z6)
	X16ACC(7, Z15, Z7)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x16t8block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z6, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z7, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x16t8group
	VZEROUPPER
	RET

// func dotQ8_0X8T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T1(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t1group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0

q8x8t1block:
	X8Q8W
	X8DOT(0, Y8)
	X8ACC(0, Y8, Y0)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t1block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t1group
	VZEROUPPER
	RET

// func dotQ8_0X8T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T2(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t2group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q8x8t2block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t2block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t2group
	VZEROUPPER
	RET

// func dotQ8_0X8T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T3(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t3group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2

q8x8t3block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t3block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t3group
	VZEROUPPER
	RET

// func dotQ8_0X8T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T4(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t4group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

q8x8t4block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t4block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t4group
	VZEROUPPER
	RET

// func dotQ8_0X8T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T5(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t5group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

q8x8t5block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t5block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t5group
	VZEROUPPER
	RET

// func dotQ8_0X8T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T6(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t6group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5

q8x8t6block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8DOT(5, Y13)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	X8ACC(5, Y13, Y5)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t6block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y5, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t6group
	VZEROUPPER
	RET

// func dotQ8_0X8T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T7(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t7group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6

q8x8t7block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8DOT(5, Y13)
	X8DOT(6, Y14)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	X8ACC(5, Y13, Y5)
	X8ACC(6, Y14, Y6)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t7block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y6, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t7group
	VZEROUPPER
	RET

// func dotQ8_0X8T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ8_0X8T8(SB), NOSPLIT, $0-64
	BATCHPROLOGUE

q8x8t8group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

q8x8t8block:
	X8Q8W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8DOT(5, Y13)
	X8DOT(6, Y14)
	X8DOT(7, Y15)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	X8ACC(5, Y13, Y5)
	X8ACC(6, Y14, Y6)
	X8ACC(7, Y15, Y7)
	ADDQ $272, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q8x8t8block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y6, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y7, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q8x8t8group
	VZEROUPPER
	RET

// func dotQ4_0X16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T1(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t1group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0

q4x16t1block:
	X16Q4W
	X16DOT(0, Z8)
	X16ACC(0, Z8, Z0)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t1block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t1group
	VZEROUPPER
	RET

// func dotQ4_0X16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T2(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t2group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1

q4x16t2block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t2block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t2group
	VZEROUPPER
	RET

// func dotQ4_0X16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T3(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t3group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2

q4x16t3block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t3block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t3group
	VZEROUPPER
	RET

// func dotQ4_0X16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T4(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t4group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3

q4x16t4block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t4block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t4group
	VZEROUPPER
	RET

// func dotQ4_0X16T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T5(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t5group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4

q4x16t5block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t5block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t5group
	VZEROUPPER
	RET

// func dotQ4_0X16T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T6(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t6group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5

q4x16t6block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16DOT(5, Z13)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	X16ACC(5, Z13, Z5)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t6block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z5, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t6group
	VZEROUPPER
	RET

// func dotQ4_0X16T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T7(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t7group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6

q4x16t7block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16DOT(5, Z13)
	X16DOT(6, Z14)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	X16ACC(5, Z13, Z5)
	X16ACC(6, Z14, Z6)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t7block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z6, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t7group
	VZEROUPPER
	RET

// func dotQ4_0X16T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X16T8(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x16t8group:
	BATCHGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

q4x16t8block:
	X16Q4W
	X16DOT(0, Z8)
	X16DOT(1, Z9)
	X16DOT(2, Z10)
	X16DOT(3, Z11)
	X16DOT(4, Z12)
	X16DOT(5, Z13)
	X16DOT(6, Z14)
	X16DOT(7, Z15)
	X16ACC(0, Z8, Z0)
	X16ACC(1, Z9, Z1)
	X16ACC(2, Z10, Z2)
	X16ACC(3, Z11, Z3)
	X16ACC(4, Z12, Z4)
	X16ACC(5, Z13, Z5)
	X16ACC(6, Z14, Z6)
	X16ACC(7, Z15, Z7)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x16t8block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z6, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z7, 0(AX)
	ADDQ $64, R12
	ADDQ DX, R11
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x16t8group
	VZEROUPPER
	RET

// func dotQ4_0X8T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T1(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t1group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0

q4x8t1block:
	X8Q4W
	X8DOT(0, Y8)
	X8ACC(0, Y8, Y0)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t1block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t1group
	VZEROUPPER
	RET

// func dotQ4_0X8T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T2(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t2group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

q4x8t2block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t2block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t2group
	VZEROUPPER
	RET

// func dotQ4_0X8T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T3(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t3group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2

q4x8t3block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t3block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t3group
	VZEROUPPER
	RET

// func dotQ4_0X8T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T4(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t4group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

q4x8t4block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t4block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t4group
	VZEROUPPER
	RET

// func dotQ4_0X8T5(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T5(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t5group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

q4x8t5block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t5block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t5group
	VZEROUPPER
	RET

// func dotQ4_0X8T6(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T6(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t6group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5

q4x8t6block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8DOT(5, Y13)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	X8ACC(5, Y13, Y5)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t6block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y5, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t6group
	VZEROUPPER
	RET

// func dotQ4_0X8T7(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T7(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t7group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6

q4x8t7block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8DOT(5, Y13)
	X8DOT(6, Y14)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	X8ACC(5, Y13, Y5)
	X8ACC(6, Y14, Y6)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t7block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y6, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t7group
	VZEROUPPER
	RET

// func dotQ4_0X8T8(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4_0X8T8(SB), NOSPLIT, $0-64
	BATCHPROLOGUE
	NIBBLEMASK

q4x8t8group:
	BATCHGROUP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

q4x8t8block:
	X8Q4W
	X8DOT(0, Y8)
	X8DOT(1, Y9)
	X8DOT(2, Y10)
	X8DOT(3, Y11)
	X8DOT(4, Y12)
	X8DOT(5, Y13)
	X8DOT(6, Y14)
	X8DOT(7, Y15)
	X8ACC(0, Y8, Y0)
	X8ACC(1, Y9, Y1)
	X8ACC(2, Y10, Y2)
	X8ACC(3, Y11, Y3)
	X8ACC(4, Y12, Y4)
	X8ACC(5, Y13, Y5)
	X8ACC(6, Y14, Y6)
	X8ACC(7, Y15, Y7)
	ADDQ $144, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4x8t8block

	MOVQ R12, AX
	VMOVUPS Y0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y3, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y4, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y5, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y6, 0(AX)
	ADDQ R10, AX
	VMOVUPS Y7, 0(AX)
	ADDQ $32, R12
	ADDQ DX, R11
	DECQ R13
	JNZ  q4x8t8group
	VZEROUPPER
	RET

// func interleaveQ8_0X8(dst *byte, src *byte, rowB int, nb int)
// Writes 8 Q8_0 rows (rowB bytes apart, nb blocks > 0) in the X8 layout
// of packQ8_0X8: per block the 8 scales, then for each 4-quant chunk c the
// 8 rows' quants 4c..4c+3 plus 128. A block's quants of the 8 rows are an
// 8×8 matrix of 4-byte chunks, transposed in registers.
TEXT ·interleaveQ8_0X8(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         rowB+16(FP), DX
	MOVQ         nb+24(FP), CX
	LEAQ         (SI)(DX*2), R8
	ADDQ         DX, R8          // row 3
	LEAQ         (R8)(DX*2), R9
	ADDQ         DX, R9          // row 6
	MOVL         $0x80808080, AX
	VMOVD        AX, X16
	VPBROADCASTD X16, Y16

ilq8loop:
	VMOVDQU 2(SI), Y0
	VMOVDQU 2(SI)(DX*1), Y1
	VMOVDQU 2(SI)(DX*2), Y2
	VMOVDQU 2(R8), Y3
	VMOVDQU 2(SI)(DX*4), Y4
	VMOVDQU 2(R8)(DX*2), Y5
	VMOVDQU 2(R9), Y6
	VMOVDQU 2(R8)(DX*4), Y7
	TRANSPOSE8
	VPXORD  Y16, Y8, Y8
	VPXORD  Y16, Y9, Y9
	VPXORD  Y16, Y10, Y10
	VPXORD  Y16, Y11, Y11
	VPXORD  Y16, Y12, Y12
	VPXORD  Y16, Y13, Y13
	VPXORD  Y16, Y14, Y14
	VPXORD  Y16, Y15, Y15
	VMOVDQU Y8, 16(DI)
	VMOVDQU Y9, 48(DI)
	VMOVDQU Y10, 80(DI)
	VMOVDQU Y11, 112(DI)
	VMOVDQU Y12, 144(DI)
	VMOVDQU Y13, 176(DI)
	VMOVDQU Y14, 208(DI)
	VMOVDQU Y15, 240(DI)
	MOVWLZX 0(SI), AX
	MOVW    AX, 0(DI)
	MOVWLZX (SI)(DX*1), AX
	MOVW    AX, 2(DI)
	MOVWLZX (SI)(DX*2), AX
	MOVW    AX, 4(DI)
	MOVWLZX 0(R8), AX
	MOVW    AX, 6(DI)
	MOVWLZX (SI)(DX*4), AX
	MOVW    AX, 8(DI)
	MOVWLZX (R8)(DX*2), AX
	MOVW    AX, 10(DI)
	MOVWLZX 0(R9), AX
	MOVW    AX, 12(DI)
	MOVWLZX (R8)(DX*4), AX
	MOVW    AX, 14(DI)
	ADDQ    $34, SI
	ADDQ    $34, R8
	ADDQ    $34, R9
	ADDQ    $272, DI
	DECQ    CX
	JNZ     ilq8loop
	VZEROUPPER
	RET

// func interleaveQ4_0X8(dst *byte, src *byte, rowB int, nb int)
// Writes 8 Q4_0 rows (rowB bytes apart, nb blocks > 0) in the X8 layout
// of packQ4_0X8: per block the 8 scales, then for each chunk c (0..3) the
// 8 rows' quant bytes 4c..4c+3. Rows r and r+4 share a register (one per
// 128-bit half), so the 8×4 matrix of 4-byte chunks is two 4×4
// transposes.
TEXT ·interleaveQ4_0X8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rowB+16(FP), DX
	MOVQ nb+24(FP), CX
	LEAQ (SI)(DX*2), R8
	ADDQ DX, R8         // row 3
	LEAQ (R8)(DX*2), R9
	ADDQ DX, R9         // row 6

ilq4loop:
	VMOVDQU     2(SI), X0
	VINSERTI128 $1, 2(SI)(DX*4), Y0, Y0
	VMOVDQU     2(SI)(DX*1), X1
	VINSERTI128 $1, 2(R8)(DX*2), Y1, Y1
	VMOVDQU     2(SI)(DX*2), X2
	VINSERTI128 $1, 2(R9), Y2, Y2
	VMOVDQU     2(R8), X3
	VINSERTI128 $1, 2(R8)(DX*4), Y3, Y3
	VPUNPCKLDQ  Y1, Y0, Y4
	VPUNPCKHDQ  Y1, Y0, Y5
	VPUNPCKLDQ  Y3, Y2, Y6
	VPUNPCKHDQ  Y3, Y2, Y7
	VPUNPCKLQDQ Y6, Y4, Y0
	VPUNPCKHQDQ Y6, Y4, Y1
	VPUNPCKLQDQ Y7, Y5, Y2
	VPUNPCKHQDQ Y7, Y5, Y3
	VMOVDQU     Y0, 16(DI)
	VMOVDQU     Y1, 48(DI)
	VMOVDQU     Y2, 80(DI)
	VMOVDQU     Y3, 112(DI)
	MOVWLZX     0(SI), AX
	MOVW        AX, 0(DI)
	MOVWLZX     (SI)(DX*1), AX
	MOVW        AX, 2(DI)
	MOVWLZX     (SI)(DX*2), AX
	MOVW        AX, 4(DI)
	MOVWLZX     0(R8), AX
	MOVW        AX, 6(DI)
	MOVWLZX     (SI)(DX*4), AX
	MOVW        AX, 8(DI)
	MOVWLZX     (R8)(DX*2), AX
	MOVW        AX, 10(DI)
	MOVWLZX     0(R9), AX
	MOVW        AX, 12(DI)
	MOVWLZX     (R8)(DX*4), AX
	MOVW        AX, 14(DI)
	ADDQ        $18, SI
	ADDQ        $18, R8
	ADDQ        $18, R9
	ADDQ        $144, DI
	DECQ        CX
	JNZ         ilq4loop
	VZEROUPPER
	RET
