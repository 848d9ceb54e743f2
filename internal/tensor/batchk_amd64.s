//go:build amd64 && !purego

#include "textflag.h"

// Batched-decode kernels for the K-quants (AVX512-VNNI, 512-bit): T = 1..4
// activation rows (Q8_K) times two adjacent groups of 8 rows in the X8
// layouts of packed.go (one group per 256-bit half), each weight vector
// decoded once per super-block for all T tokens, each 32-bit lane one
// weight row. Up to 4 tokens per call: each token needs four vector
// registers of accumulators.
//
// The activations are prepared by prepBatchQ6K / prepBatchQ4K: per
// super-block, per token, the 256 int8 quants, then for Q6_K 16 int32
// corrections -32*bsum (one per 16-element sub-block; the 6-bit quants are
// q+32) and the scale da (float32) at 320, 324 bytes in all; for Q4_K the
// 8 sums of 32 quants as int16 pairs and da at 272, 276 bytes. A
// super-block's entries of consecutive tokens are next to each other,
// super-blocks actStride bytes apart.
//
// Per super-block and token the integer sum of each row is exact and the
// float operations are those of the one-token kernels dotQ6KX8 and
// dotQ4KX8, in the same order, so that a batch gives bit for bit what each
// token gives alone. Registers: SI the pair's weights (the second group DX
// = groupB bytes further), DI activations, R9 actStride, CX super-blocks
// left, R11 the pair, R12 dst, R10 dstStride, R13 pairs left; Z28 the
// nibble mask, Z29 (Q6_K) 0x30 bytes, Z30-Z31 scratch. The weights are
// prefetched 1 KiB ahead, as in batch_amd64.s.

#define KPROLOGUE \
	MOVQ         w+0(FP), R11          \
	MOVQ         groupB+8(FP), DX      \
	MOVQ         actStride+24(FP), R9  \
	MOVQ         dst+40(FP), R12       \
	MOVQ         dstStride+48(FP), R10 \
	MOVQ         ngroups+56(FP), R13   \
	MOVL         $0x0f0f0f0f, AX       \
	VPBROADCASTD AX, Z28

#define KGROUP \
	MOVQ R11, SI        \
	MOVQ act+16(FP), DI \
	MOVQ nb+32(FP), CX

#define KNEXTGROUP \
	ADDQ $64, R12 \
	ADDQ DX, R11  \
	ADDQ DX, R11  \
	DECQ R13

// LOAD2 loads 32 bytes at off of both groups into the halves of Z (Y is
// its low half).
#define LOAD2(off, Y, Z) \
	VMOVDQU32    off(SI), Y              \
	VINSERTI64X4 $1, off(SI)(DX*1), Z, Z

// PREFETCH2 prefetches the line 1 KiB past off in both groups.
#define PREFETCH2(off) \
	PREFETCHT0 (1024+off)(SI)       \
	PREFETCHT0 (1024+off)(SI)(DX*1)

// SCALES2 sign- (OP VPMOVSXBD) or zero-extends the 8 bytes at off of both
// groups into the dwords of Z (Y its low half).
#define SCALES2(OP, off, Y, Z) \
	OP           off(SI), Y            \
	OP           off(SI)(DX*1), Y30    \
	VINSERTI64X4 $1, Y30, Z, Z

// FSCALES2 widens the 8 f16 at off of both groups into Z.
#define FSCALES2(off, Y, Z) \
	VCVTPH2PS    off(SI), Y            \
	VCVTPH2PS    off(SI)(DX*1), Y30    \
	VINSERTF64X4 $1, Y30, Z, Z

// ---- Q6_K: Z0-Z3 per-token float accumulators, Z4-Z7 per-token
// super-block integer sums, Z8-Z15 two sub-block sums per token, Z16-Z23
// the 6-bit quants of 4 chunks for two sub-blocks (rebuilt from the ql
// nibbles and qh bit pairs), Z24-Z25 their scales, Z26-Z27 ql and qh.
// A chunk of the X8 layout (at off): ql bytes of half h at +0 (quarters 0
// and 2: low and high nibbles) and +32 (quarters 1 and 3), qh at +64
// (bits 2k, 2k+1 for quarter k).

// Q6CHUNKA rebuilds quarters 0 (WA) and 2 (WB) of the chunk at off.
#define Q6CHUNKA(off, WA, WB) \
	LOAD2(off, Y26, Z26)               \
	LOAD2((off+64), Y27, Z27)          \
	VPSLLW       $4, Z27, WA           \
	VPANDD       Z29, WA, WA           \
	VPTERNLOGD   $0xf8, Z28, Z26, WA   \
	VPANDD       Z29, Z27, WB          \
	VPSRLW       $4, Z26, Z31          \
	VPTERNLOGD   $0xf8, Z28, Z31, WB

// Q6CHUNKB rebuilds quarters 1 (WA) and 3 (WB) of the chunk at off.
#define Q6CHUNKB(off, WA, WB) \
	LOAD2((off+32), Y26, Z26)          \
	LOAD2((off+64), Y27, Z27)          \
	VPSLLW       $2, Z27, WA           \
	VPANDD       Z29, WA, WA           \
	VPTERNLOGD   $0xf8, Z28, Z26, WA   \
	VPSRLW       $2, Z27, WB           \
	VPANDD       Z29, WB, WB           \
	VPSRLW       $4, Z26, Z31          \
	VPTERNLOGD   $0xf8, Z28, Z31, WB

// Q6UNITA and Q6UNITB rebuild 4 chunks (from off, 96 bytes apart) of
// quarters 0 and 2 or 1 and 3 into Z16-Z19 and Z20-Z23, and load the
// scales of their sub-blocks sa and sb.
#define Q6UNITA(off, sa, sb) \
	PREFETCH2(off)                    \
	PREFETCH2((off+64))               \
	PREFETCH2((off+128))              \
	PREFETCH2((off+192))              \
	PREFETCH2((off+256))              \
	PREFETCH2((off+320))              \
	Q6CHUNKA(off, Z16, Z20)           \
	Q6CHUNKA((off+96), Z17, Z21)      \
	Q6CHUNKA((off+192), Z18, Z22)     \
	Q6CHUNKA((off+288), Z19, Z23)     \
	SCALES2(VPMOVSXBD, (16+8*sa), Y24, Z24) \
	SCALES2(VPMOVSXBD, (16+8*sb), Y25, Z25)

#define Q6UNITB(off, sa, sb) \
	Q6CHUNKB(off, Z16, Z20)           \
	Q6CHUNKB((off+96), Z17, Z21)      \
	Q6CHUNKB((off+192), Z18, Z22)     \
	Q6CHUNKB((off+288), Z19, Z23)     \
	SCALES2(VPMOVSXBD, (16+8*sa), Y24, Z24) \
	SCALES2(VPMOVSXBD, (16+8*sb), Y25, Z25)

// Q6TOK adds the token at e (its entry's offset) to its super-block sum
// S: sub-blocks sa and sb, whose 16 quants start at oa and ob, from -32*bsum
// (in A, B), times their scales.
#define Q6TOK(e, sa, sb, oa, ob, A, B, S) \
	VPBROADCASTD  (e+256+4*sa)(DI), A \
	VPDPBUSD.BCST (e+oa)(DI), Z16, A     \
	VPDPBUSD.BCST (e+oa+4)(DI), Z17, A   \
	VPDPBUSD.BCST (e+oa+8)(DI), Z18, A   \
	VPDPBUSD.BCST (e+oa+12)(DI), Z19, A  \
	VPBROADCASTD  (e+256+4*sb)(DI), B \
	VPDPBUSD.BCST (e+ob)(DI), Z20, B     \
	VPDPBUSD.BCST (e+ob+4)(DI), Z21, B   \
	VPDPBUSD.BCST (e+ob+8)(DI), Z22, B   \
	VPDPBUSD.BCST (e+ob+12)(DI), Z23, B  \
	VPMULLD       Z24, A, A              \
	VPADDD        A, S, S                \
	VPMULLD       Z25, B, B              \
	VPADDD        B, S, S

// KACC adds the token at e's super-block sum S, times d*da (d in Z24, da
// at off), to F.
#define KACC(e, off, S, F) \
	VCVTDQ2PS   S, S                   \
	VMULPS.BCST (e+off)(DI), Z24, Z30  \
	VFMADD231PS Z30, S, F


// func dotQ6KX16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ6KX16T1(SB), NOSPLIT, $0-64
	KPROLOGUE
	MOVL         $0x30303030, AX
	VPBROADCASTD AX, Z29

q6t1group:
	KGROUP
	VXORPS Z0, Z0, Z0

q6t1block:
	VPXORD Z4, Z4, Z4
	Q6UNITA(144, 0, 4)
	Q6TOK(0, 0, 4, 0, 64, Z8, Z12, Z4)
	Q6UNITB(144, 2, 6)
	Q6TOK(0, 2, 6, 32, 96, Z8, Z12, Z4)
	Q6UNITA(528, 1, 5)
	Q6TOK(0, 1, 5, 16, 80, Z8, Z12, Z4)
	Q6UNITB(528, 3, 7)
	Q6TOK(0, 3, 7, 48, 112, Z8, Z12, Z4)
	Q6UNITA(912, 8, 12)
	Q6TOK(0, 8, 12, 128, 192, Z8, Z12, Z4)
	Q6UNITB(912, 10, 14)
	Q6TOK(0, 10, 14, 160, 224, Z8, Z12, Z4)
	Q6UNITA(1296, 9, 13)
	Q6TOK(0, 9, 13, 144, 208, Z8, Z12, Z4)
	Q6UNITB(1296, 11, 15)
	Q6TOK(0, 11, 15, 176, 240, Z8, Z12, Z4)
	FSCALES2(0, Y24, Z24)
	KACC(0, 320, Z4, Z0)
	ADDQ $1680, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q6t1block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	KNEXTGROUP
	JNZ  q6t1group
	VZEROUPPER
	RET

// func dotQ6KX16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ6KX16T2(SB), NOSPLIT, $0-64
	KPROLOGUE
	MOVL         $0x30303030, AX
	VPBROADCASTD AX, Z29

q6t2group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1

q6t2block:
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	Q6UNITA(144, 0, 4)
	Q6TOK(0, 0, 4, 0, 64, Z8, Z12, Z4)
	Q6TOK(324, 0, 4, 0, 64, Z9, Z13, Z5)
	Q6UNITB(144, 2, 6)
	Q6TOK(0, 2, 6, 32, 96, Z8, Z12, Z4)
	Q6TOK(324, 2, 6, 32, 96, Z9, Z13, Z5)
	Q6UNITA(528, 1, 5)
	Q6TOK(0, 1, 5, 16, 80, Z8, Z12, Z4)
	Q6TOK(324, 1, 5, 16, 80, Z9, Z13, Z5)
	Q6UNITB(528, 3, 7)
	Q6TOK(0, 3, 7, 48, 112, Z8, Z12, Z4)
	Q6TOK(324, 3, 7, 48, 112, Z9, Z13, Z5)
	Q6UNITA(912, 8, 12)
	Q6TOK(0, 8, 12, 128, 192, Z8, Z12, Z4)
	Q6TOK(324, 8, 12, 128, 192, Z9, Z13, Z5)
	Q6UNITB(912, 10, 14)
	Q6TOK(0, 10, 14, 160, 224, Z8, Z12, Z4)
	Q6TOK(324, 10, 14, 160, 224, Z9, Z13, Z5)
	Q6UNITA(1296, 9, 13)
	Q6TOK(0, 9, 13, 144, 208, Z8, Z12, Z4)
	Q6TOK(324, 9, 13, 144, 208, Z9, Z13, Z5)
	Q6UNITB(1296, 11, 15)
	Q6TOK(0, 11, 15, 176, 240, Z8, Z12, Z4)
	Q6TOK(324, 11, 15, 176, 240, Z9, Z13, Z5)
	FSCALES2(0, Y24, Z24)
	KACC(0, 320, Z4, Z0)
	KACC(324, 320, Z5, Z1)
	ADDQ $1680, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q6t2block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	KNEXTGROUP
	JNZ  q6t2group
	VZEROUPPER
	RET

// func dotQ6KX16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ6KX16T3(SB), NOSPLIT, $0-64
	KPROLOGUE
	MOVL         $0x30303030, AX
	VPBROADCASTD AX, Z29

q6t3group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2

q6t3block:
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	Q6UNITA(144, 0, 4)
	Q6TOK(0, 0, 4, 0, 64, Z8, Z12, Z4)
	Q6TOK(324, 0, 4, 0, 64, Z9, Z13, Z5)
	Q6TOK(648, 0, 4, 0, 64, Z10, Z14, Z6)
	Q6UNITB(144, 2, 6)
	Q6TOK(0, 2, 6, 32, 96, Z8, Z12, Z4)
	Q6TOK(324, 2, 6, 32, 96, Z9, Z13, Z5)
	Q6TOK(648, 2, 6, 32, 96, Z10, Z14, Z6)
	Q6UNITA(528, 1, 5)
	Q6TOK(0, 1, 5, 16, 80, Z8, Z12, Z4)
	Q6TOK(324, 1, 5, 16, 80, Z9, Z13, Z5)
	Q6TOK(648, 1, 5, 16, 80, Z10, Z14, Z6)
	Q6UNITB(528, 3, 7)
	Q6TOK(0, 3, 7, 48, 112, Z8, Z12, Z4)
	Q6TOK(324, 3, 7, 48, 112, Z9, Z13, Z5)
	Q6TOK(648, 3, 7, 48, 112, Z10, Z14, Z6)
	Q6UNITA(912, 8, 12)
	Q6TOK(0, 8, 12, 128, 192, Z8, Z12, Z4)
	Q6TOK(324, 8, 12, 128, 192, Z9, Z13, Z5)
	Q6TOK(648, 8, 12, 128, 192, Z10, Z14, Z6)
	Q6UNITB(912, 10, 14)
	Q6TOK(0, 10, 14, 160, 224, Z8, Z12, Z4)
	Q6TOK(324, 10, 14, 160, 224, Z9, Z13, Z5)
	Q6TOK(648, 10, 14, 160, 224, Z10, Z14, Z6)
	Q6UNITA(1296, 9, 13)
	Q6TOK(0, 9, 13, 144, 208, Z8, Z12, Z4)
	Q6TOK(324, 9, 13, 144, 208, Z9, Z13, Z5)
	Q6TOK(648, 9, 13, 144, 208, Z10, Z14, Z6)
	Q6UNITB(1296, 11, 15)
	Q6TOK(0, 11, 15, 176, 240, Z8, Z12, Z4)
	Q6TOK(324, 11, 15, 176, 240, Z9, Z13, Z5)
	Q6TOK(648, 11, 15, 176, 240, Z10, Z14, Z6)
	FSCALES2(0, Y24, Z24)
	KACC(0, 320, Z4, Z0)
	KACC(324, 320, Z5, Z1)
	KACC(648, 320, Z6, Z2)
	ADDQ $1680, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q6t3block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	KNEXTGROUP
	JNZ  q6t3group
	VZEROUPPER
	RET

// func dotQ6KX16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ6KX16T4(SB), NOSPLIT, $0-64
	KPROLOGUE
	MOVL         $0x30303030, AX
	VPBROADCASTD AX, Z29

q6t4group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3

q6t4block:
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	Q6UNITA(144, 0, 4)
	Q6TOK(0, 0, 4, 0, 64, Z8, Z12, Z4)
	Q6TOK(324, 0, 4, 0, 64, Z9, Z13, Z5)
	Q6TOK(648, 0, 4, 0, 64, Z10, Z14, Z6)
	Q6TOK(972, 0, 4, 0, 64, Z11, Z15, Z7)
	Q6UNITB(144, 2, 6)
	Q6TOK(0, 2, 6, 32, 96, Z8, Z12, Z4)
	Q6TOK(324, 2, 6, 32, 96, Z9, Z13, Z5)
	Q6TOK(648, 2, 6, 32, 96, Z10, Z14, Z6)
	Q6TOK(972, 2, 6, 32, 96, Z11, Z15, Z7)
	Q6UNITA(528, 1, 5)
	Q6TOK(0, 1, 5, 16, 80, Z8, Z12, Z4)
	Q6TOK(324, 1, 5, 16, 80, Z9, Z13, Z5)
	Q6TOK(648, 1, 5, 16, 80, Z10, Z14, Z6)
	Q6TOK(972, 1, 5, 16, 80, Z11, Z15, Z7)
	Q6UNITB(528, 3, 7)
	Q6TOK(0, 3, 7, 48, 112, Z8, Z12, Z4)
	Q6TOK(324, 3, 7, 48, 112, Z9, Z13, Z5)
	Q6TOK(648, 3, 7, 48, 112, Z10, Z14, Z6)
	Q6TOK(972, 3, 7, 48, 112, Z11, Z15, Z7)
	Q6UNITA(912, 8, 12)
	Q6TOK(0, 8, 12, 128, 192, Z8, Z12, Z4)
	Q6TOK(324, 8, 12, 128, 192, Z9, Z13, Z5)
	Q6TOK(648, 8, 12, 128, 192, Z10, Z14, Z6)
	Q6TOK(972, 8, 12, 128, 192, Z11, Z15, Z7)
	Q6UNITB(912, 10, 14)
	Q6TOK(0, 10, 14, 160, 224, Z8, Z12, Z4)
	Q6TOK(324, 10, 14, 160, 224, Z9, Z13, Z5)
	Q6TOK(648, 10, 14, 160, 224, Z10, Z14, Z6)
	Q6TOK(972, 10, 14, 160, 224, Z11, Z15, Z7)
	Q6UNITA(1296, 9, 13)
	Q6TOK(0, 9, 13, 144, 208, Z8, Z12, Z4)
	Q6TOK(324, 9, 13, 144, 208, Z9, Z13, Z5)
	Q6TOK(648, 9, 13, 144, 208, Z10, Z14, Z6)
	Q6TOK(972, 9, 13, 144, 208, Z11, Z15, Z7)
	Q6UNITB(1296, 11, 15)
	Q6TOK(0, 11, 15, 176, 240, Z8, Z12, Z4)
	Q6TOK(324, 11, 15, 176, 240, Z9, Z13, Z5)
	Q6TOK(648, 11, 15, 176, 240, Z10, Z14, Z6)
	Q6TOK(972, 11, 15, 176, 240, Z11, Z15, Z7)
	FSCALES2(0, Y24, Z24)
	KACC(0, 320, Z4, Z0)
	KACC(324, 320, Z5, Z1)
	KACC(648, 320, Z6, Z2)
	KACC(972, 320, Z7, Z3)
	ADDQ $1680, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q6t4block

	MOVQ R12, AX
	VMOVUPS Z0, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z1, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z2, 0(AX)
	ADDQ R10, AX
	VMOVUPS Z3, 0(AX)
	KNEXTGROUP
	JNZ  q6t4group
	VZEROUPPER
	RET

// ---- Q4_K: Z0-Z3 per-token float accumulators of the scale terms,
// Z4-Z7 of the min terms, Z8-Z11 per-token super-block integer sums,
// Z12-Z15 per-token min sums, Z16-Z23 the nibbles of one sub-block's 8
// chunks (before them, the mins of the 4 sub-block pairs as u16 pairs),
// Z24 the sub-block's scales, Z25-Z27 and Z31 the tokens' sub-block sums.

// Q4MINS widens pair p's mins (8 rows × 2 bytes at 96+16p) into V.
#define Q4MINS(p, X, Y, Z) \
	VMOVDQU32    (96+16*p)(SI), X             \
	VINSERTI32X4 $1, (96+16*p)(SI)(DX*1), Y, Y \
	VPMOVZXBW    Y, Z

// Q4TOKMINS starts the token at e's super-block: its sum S at zero and
// its min sum M from the 4 pairs of mins times its pairs of sums of 32.
#define Q4TOKMINS(e, S, M) \
	VPXORD        S, S, S               \
	VPXORD        M, M, M               \
	VPDPWSSD.BCST (e+256)(DI), Z16, M   \
	VPDPWSSD.BCST (e+260)(DI), Z17, M   \
	VPDPWSSD.BCST (e+264)(DI), Z18, M   \
	VPDPWSSD.BCST (e+268)(DI), Z19, M

// Q4LO and Q4HI take the low or high nibbles of chunk c of group g.
#define Q4LO(g, c, Y, Z) \
	LOAD2((160+256*g+32*c), Y, Z) \
	VPANDD Z28, Z, Z

#define Q4HI(g, c, Y, Z) \
	LOAD2((160+256*g+32*c), Y, Z) \
	VPSRLW $4, Z, Z               \
	VPANDD Z28, Z, Z

// Q4UNIT loads sub-block 2g+hi (OP Q4LO or Q4HI) and its scales.
#define Q4UNIT(OP, g, s) \
	OP(g, 0, Y16, Z16) \
	OP(g, 1, Y17, Z17) \
	OP(g, 2, Y18, Z18) \
	OP(g, 3, Y19, Z19) \
	OP(g, 4, Y20, Z20) \
	OP(g, 5, Y21, Z21) \
	OP(g, 6, Y22, Z22) \
	OP(g, 7, Y23, Z23) \
	SCALES2(VPMOVZXBD, (32+8*s), Y24, Z24)

// Q4TOK adds the token at e's sub-block (quants from o) times its scales
// to its super-block sum S, with U as scratch.
#define Q4TOK(e, o, U, S) \
	VPXORD        U, U, U              \
	VPDPBUSD.BCST (e+o)(DI), Z16, U    \
	VPDPBUSD.BCST (e+o+4)(DI), Z17, U  \
	VPDPBUSD.BCST (e+o+8)(DI), Z18, U  \
	VPDPBUSD.BCST (e+o+12)(DI), Z19, U \
	VPDPBUSD.BCST (e+o+16)(DI), Z20, U \
	VPDPBUSD.BCST (e+o+20)(DI), Z21, U \
	VPDPBUSD.BCST (e+o+24)(DI), Z22, U \
	VPDPBUSD.BCST (e+o+28)(DI), Z23, U \
	VPMULLD       Z24, U, U            \
	VPADDD        U, S, S

// Q4TOKEND adds the token at e's super-block to F (scales; the integer sum
// times 16, as dotQ4KX8 keeps it) and G (mins), d in Z24 and dmin in Z16.
#define Q4TOKEND(e, S, M, F, G) \
	VPSLLD      $4, S, S               \
	KACC(e, 272, S, F)                 \
	VCVTDQ2PS   M, M                   \
	VMULPS.BCST (e+272)(DI), Z16, Z30  \
	VFMADD231PS Z30, M, G


// func dotQ4KX16T1(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4KX16T1(SB), NOSPLIT, $0-64
	KPROLOGUE

q4t1group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z4, Z4, Z4

q4t1block:
	Q4MINS(0, X16, Y16, Z16)
	Q4MINS(1, X17, Y17, Z17)
	Q4MINS(2, X18, Y18, Z18)
	Q4MINS(3, X19, Y19, Z19)
	Q4TOKMINS(0, Z8, Z12)
	PREFETCH2(160)
	PREFETCH2(224)
	PREFETCH2(288)
	PREFETCH2(352)
	Q4UNIT(Q4LO, 0, 0)
	Q4TOK(0, 0, Z25, Z8)
	Q4UNIT(Q4HI, 0, 1)
	Q4TOK(0, 32, Z25, Z8)
	PREFETCH2(416)
	PREFETCH2(480)
	PREFETCH2(544)
	PREFETCH2(608)
	Q4UNIT(Q4LO, 1, 2)
	Q4TOK(0, 64, Z25, Z8)
	Q4UNIT(Q4HI, 1, 3)
	Q4TOK(0, 96, Z25, Z8)
	PREFETCH2(672)
	PREFETCH2(736)
	PREFETCH2(800)
	PREFETCH2(864)
	Q4UNIT(Q4LO, 2, 4)
	Q4TOK(0, 128, Z25, Z8)
	Q4UNIT(Q4HI, 2, 5)
	Q4TOK(0, 160, Z25, Z8)
	PREFETCH2(928)
	PREFETCH2(992)
	PREFETCH2(1056)
	PREFETCH2(1120)
	Q4UNIT(Q4LO, 3, 6)
	Q4TOK(0, 192, Z25, Z8)
	Q4UNIT(Q4HI, 3, 7)
	Q4TOK(0, 224, Z25, Z8)
	FSCALES2(0, Y24, Z24)
	FSCALES2(16, Y16, Z16)
	Q4TOKEND(0, Z8, Z12, Z0, Z4)
	ADDQ $1184, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4t1block

	VBROADCASTSS q4kx16Sixteenth<>(SB), Z30
	MOVQ         R12, AX
	VMULPS       Z30, Z0, Z0
	VSUBPS       Z4, Z0, Z0
	VMOVUPS      Z0, 0(AX)
	KNEXTGROUP
	JNZ          q4t1group
	VZEROUPPER
	RET

// func dotQ4KX16T2(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4KX16T2(SB), NOSPLIT, $0-64
	KPROLOGUE

q4t2group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z4, Z4, Z4
	VXORPS Z1, Z1, Z1
	VXORPS Z5, Z5, Z5

q4t2block:
	Q4MINS(0, X16, Y16, Z16)
	Q4MINS(1, X17, Y17, Z17)
	Q4MINS(2, X18, Y18, Z18)
	Q4MINS(3, X19, Y19, Z19)
	Q4TOKMINS(0, Z8, Z12)
	Q4TOKMINS(276, Z9, Z13)
	PREFETCH2(160)
	PREFETCH2(224)
	PREFETCH2(288)
	PREFETCH2(352)
	Q4UNIT(Q4LO, 0, 0)
	Q4TOK(0, 0, Z25, Z8)
	Q4TOK(276, 0, Z26, Z9)
	Q4UNIT(Q4HI, 0, 1)
	Q4TOK(0, 32, Z25, Z8)
	Q4TOK(276, 32, Z26, Z9)
	PREFETCH2(416)
	PREFETCH2(480)
	PREFETCH2(544)
	PREFETCH2(608)
	Q4UNIT(Q4LO, 1, 2)
	Q4TOK(0, 64, Z25, Z8)
	Q4TOK(276, 64, Z26, Z9)
	Q4UNIT(Q4HI, 1, 3)
	Q4TOK(0, 96, Z25, Z8)
	Q4TOK(276, 96, Z26, Z9)
	PREFETCH2(672)
	PREFETCH2(736)
	PREFETCH2(800)
	PREFETCH2(864)
	Q4UNIT(Q4LO, 2, 4)
	Q4TOK(0, 128, Z25, Z8)
	Q4TOK(276, 128, Z26, Z9)
	Q4UNIT(Q4HI, 2, 5)
	Q4TOK(0, 160, Z25, Z8)
	Q4TOK(276, 160, Z26, Z9)
	PREFETCH2(928)
	PREFETCH2(992)
	PREFETCH2(1056)
	PREFETCH2(1120)
	Q4UNIT(Q4LO, 3, 6)
	Q4TOK(0, 192, Z25, Z8)
	Q4TOK(276, 192, Z26, Z9)
	Q4UNIT(Q4HI, 3, 7)
	Q4TOK(0, 224, Z25, Z8)
	Q4TOK(276, 224, Z26, Z9)
	FSCALES2(0, Y24, Z24)
	FSCALES2(16, Y16, Z16)
	Q4TOKEND(0, Z8, Z12, Z0, Z4)
	Q4TOKEND(276, Z9, Z13, Z1, Z5)
	ADDQ $1184, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4t2block

	VBROADCASTSS q4kx16Sixteenth<>(SB), Z30
	MOVQ         R12, AX
	VMULPS       Z30, Z0, Z0
	VSUBPS       Z4, Z0, Z0
	VMOVUPS      Z0, 0(AX)
	ADDQ         R10, AX
	VMULPS       Z30, Z1, Z1
	VSUBPS       Z5, Z1, Z1
	VMOVUPS      Z1, 0(AX)
	KNEXTGROUP
	JNZ          q4t2group
	VZEROUPPER
	RET

// func dotQ4KX16T3(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4KX16T3(SB), NOSPLIT, $0-64
	KPROLOGUE

q4t3group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z4, Z4, Z4
	VXORPS Z1, Z1, Z1
	VXORPS Z5, Z5, Z5
	VXORPS Z2, Z2, Z2
	VXORPS Z6, Z6, Z6

q4t3block:
	Q4MINS(0, X16, Y16, Z16)
	Q4MINS(1, X17, Y17, Z17)
	Q4MINS(2, X18, Y18, Z18)
	Q4MINS(3, X19, Y19, Z19)
	Q4TOKMINS(0, Z8, Z12)
	Q4TOKMINS(276, Z9, Z13)
	Q4TOKMINS(552, Z10, Z14)
	PREFETCH2(160)
	PREFETCH2(224)
	PREFETCH2(288)
	PREFETCH2(352)
	Q4UNIT(Q4LO, 0, 0)
	Q4TOK(0, 0, Z25, Z8)
	Q4TOK(276, 0, Z26, Z9)
	Q4TOK(552, 0, Z27, Z10)
	Q4UNIT(Q4HI, 0, 1)
	Q4TOK(0, 32, Z25, Z8)
	Q4TOK(276, 32, Z26, Z9)
	Q4TOK(552, 32, Z27, Z10)
	PREFETCH2(416)
	PREFETCH2(480)
	PREFETCH2(544)
	PREFETCH2(608)
	Q4UNIT(Q4LO, 1, 2)
	Q4TOK(0, 64, Z25, Z8)
	Q4TOK(276, 64, Z26, Z9)
	Q4TOK(552, 64, Z27, Z10)
	Q4UNIT(Q4HI, 1, 3)
	Q4TOK(0, 96, Z25, Z8)
	Q4TOK(276, 96, Z26, Z9)
	Q4TOK(552, 96, Z27, Z10)
	PREFETCH2(672)
	PREFETCH2(736)
	PREFETCH2(800)
	PREFETCH2(864)
	Q4UNIT(Q4LO, 2, 4)
	Q4TOK(0, 128, Z25, Z8)
	Q4TOK(276, 128, Z26, Z9)
	Q4TOK(552, 128, Z27, Z10)
	Q4UNIT(Q4HI, 2, 5)
	Q4TOK(0, 160, Z25, Z8)
	Q4TOK(276, 160, Z26, Z9)
	Q4TOK(552, 160, Z27, Z10)
	PREFETCH2(928)
	PREFETCH2(992)
	PREFETCH2(1056)
	PREFETCH2(1120)
	Q4UNIT(Q4LO, 3, 6)
	Q4TOK(0, 192, Z25, Z8)
	Q4TOK(276, 192, Z26, Z9)
	Q4TOK(552, 192, Z27, Z10)
	Q4UNIT(Q4HI, 3, 7)
	Q4TOK(0, 224, Z25, Z8)
	Q4TOK(276, 224, Z26, Z9)
	Q4TOK(552, 224, Z27, Z10)
	FSCALES2(0, Y24, Z24)
	FSCALES2(16, Y16, Z16)
	Q4TOKEND(0, Z8, Z12, Z0, Z4)
	Q4TOKEND(276, Z9, Z13, Z1, Z5)
	Q4TOKEND(552, Z10, Z14, Z2, Z6)
	ADDQ $1184, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4t3block

	VBROADCASTSS q4kx16Sixteenth<>(SB), Z30
	MOVQ         R12, AX
	VMULPS       Z30, Z0, Z0
	VSUBPS       Z4, Z0, Z0
	VMOVUPS      Z0, 0(AX)
	ADDQ         R10, AX
	VMULPS       Z30, Z1, Z1
	VSUBPS       Z5, Z1, Z1
	VMOVUPS      Z1, 0(AX)
	ADDQ         R10, AX
	VMULPS       Z30, Z2, Z2
	VSUBPS       Z6, Z2, Z2
	VMOVUPS      Z2, 0(AX)
	KNEXTGROUP
	JNZ          q4t3group
	VZEROUPPER
	RET

// func dotQ4KX16T4(w unsafe.Pointer, groupB int, act unsafe.Pointer, actStride int, nb int, dst *float32, dstStride int, ngroups int)
TEXT ·dotQ4KX16T4(SB), NOSPLIT, $0-64
	KPROLOGUE

q4t4group:
	KGROUP
	VXORPS Z0, Z0, Z0
	VXORPS Z4, Z4, Z4
	VXORPS Z1, Z1, Z1
	VXORPS Z5, Z5, Z5
	VXORPS Z2, Z2, Z2
	VXORPS Z6, Z6, Z6
	VXORPS Z3, Z3, Z3
	VXORPS Z7, Z7, Z7

q4t4block:
	Q4MINS(0, X16, Y16, Z16)
	Q4MINS(1, X17, Y17, Z17)
	Q4MINS(2, X18, Y18, Z18)
	Q4MINS(3, X19, Y19, Z19)
	Q4TOKMINS(0, Z8, Z12)
	Q4TOKMINS(276, Z9, Z13)
	Q4TOKMINS(552, Z10, Z14)
	Q4TOKMINS(828, Z11, Z15)
	PREFETCH2(160)
	PREFETCH2(224)
	PREFETCH2(288)
	PREFETCH2(352)
	Q4UNIT(Q4LO, 0, 0)
	Q4TOK(0, 0, Z25, Z8)
	Q4TOK(276, 0, Z26, Z9)
	Q4TOK(552, 0, Z27, Z10)
	Q4TOK(828, 0, Z31, Z11)
	Q4UNIT(Q4HI, 0, 1)
	Q4TOK(0, 32, Z25, Z8)
	Q4TOK(276, 32, Z26, Z9)
	Q4TOK(552, 32, Z27, Z10)
	Q4TOK(828, 32, Z31, Z11)
	PREFETCH2(416)
	PREFETCH2(480)
	PREFETCH2(544)
	PREFETCH2(608)
	Q4UNIT(Q4LO, 1, 2)
	Q4TOK(0, 64, Z25, Z8)
	Q4TOK(276, 64, Z26, Z9)
	Q4TOK(552, 64, Z27, Z10)
	Q4TOK(828, 64, Z31, Z11)
	Q4UNIT(Q4HI, 1, 3)
	Q4TOK(0, 96, Z25, Z8)
	Q4TOK(276, 96, Z26, Z9)
	Q4TOK(552, 96, Z27, Z10)
	Q4TOK(828, 96, Z31, Z11)
	PREFETCH2(672)
	PREFETCH2(736)
	PREFETCH2(800)
	PREFETCH2(864)
	Q4UNIT(Q4LO, 2, 4)
	Q4TOK(0, 128, Z25, Z8)
	Q4TOK(276, 128, Z26, Z9)
	Q4TOK(552, 128, Z27, Z10)
	Q4TOK(828, 128, Z31, Z11)
	Q4UNIT(Q4HI, 2, 5)
	Q4TOK(0, 160, Z25, Z8)
	Q4TOK(276, 160, Z26, Z9)
	Q4TOK(552, 160, Z27, Z10)
	Q4TOK(828, 160, Z31, Z11)
	PREFETCH2(928)
	PREFETCH2(992)
	PREFETCH2(1056)
	PREFETCH2(1120)
	Q4UNIT(Q4LO, 3, 6)
	Q4TOK(0, 192, Z25, Z8)
	Q4TOK(276, 192, Z26, Z9)
	Q4TOK(552, 192, Z27, Z10)
	Q4TOK(828, 192, Z31, Z11)
	Q4UNIT(Q4HI, 3, 7)
	Q4TOK(0, 224, Z25, Z8)
	Q4TOK(276, 224, Z26, Z9)
	Q4TOK(552, 224, Z27, Z10)
	Q4TOK(828, 224, Z31, Z11)
	FSCALES2(0, Y24, Z24)
	FSCALES2(16, Y16, Z16)
	Q4TOKEND(0, Z8, Z12, Z0, Z4)
	Q4TOKEND(276, Z9, Z13, Z1, Z5)
	Q4TOKEND(552, Z10, Z14, Z2, Z6)
	Q4TOKEND(828, Z11, Z15, Z3, Z7)
	ADDQ $1184, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  q4t4block

	VBROADCASTSS q4kx16Sixteenth<>(SB), Z30
	MOVQ         R12, AX
	VMULPS       Z30, Z0, Z0
	VSUBPS       Z4, Z0, Z0
	VMOVUPS      Z0, 0(AX)
	ADDQ         R10, AX
	VMULPS       Z30, Z1, Z1
	VSUBPS       Z5, Z1, Z1
	VMOVUPS      Z1, 0(AX)
	ADDQ         R10, AX
	VMULPS       Z30, Z2, Z2
	VSUBPS       Z6, Z2, Z2
	VMOVUPS      Z2, 0(AX)
	ADDQ         R10, AX
	VMULPS       Z30, Z3, Z3
	VSUBPS       Z7, Z3, Z3
	VMOVUPS      Z3, 0(AX)
	KNEXTGROUP
	JNZ          q4t4group
	VZEROUPPER
	RET

DATA q4kx16Sixteenth<>+0(SB)/4, $0x3d800000
GLOBL q4kx16Sixteenth<>(SB), RODATA|NOPTR, $4
