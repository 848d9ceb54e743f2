//go:build amd64 && !purego

#include "textflag.h"

// Q8_0 x Q8_0 register tiles for AVX2 (VEX only): 4 weight rows times T
// activation rows per call over all nb 32-element blocks, each weight block
// loaded once for the T tokens. acc[r][t] holds 4 lanes of scaled block
// sums (|w| * sign(a, w) by VPMADDUBSW, pairs added by VPMADDWD, times
// dw*da), reduced at the end; the four rows of a token are stored together.
//
// Arguments: w (row 0's first block), rowB (bytes between weight rows), a
// (token 0's first block), actB (bytes between activation rows), s (token
// 0's block scales as float32), sB (bytes between tokens' scales), nb,
// dst (token 0's row-0 output), dstB (bytes between tokens' outputs).

// ROWPREP loads row r's |w| into Y12 and its scale, as float32, into Y13.
#define ROWPREP(wsrc, hsrc) \
	VPABSB       wsrc, Y12 \
	VPBROADCASTW hsrc, X13 \
	VCVTPH2PS    X13, X13

// PAIR adds row r's block times token t's block into acc.
#define PAIR(wsrc, asrc, ssrc, acc) \
	VMOVDQU     asrc, Y14        \
	VPSIGNB     wsrc, Y14, Y14   \
	VPMADDUBSW  Y14, Y12, Y14    \
	VPMADDWD    onesW<>(SB), Y14, Y14 \
	VEXTRACTI128 $1, Y14, X15    \
	VPADDD      X15, X14, X14    \
	VCVTDQ2PS   X14, X14         \
	VBROADCASTSS ssrc, X15       \
	VMULPS      X13, X15, X15    \
	VFMADD231PS X15, X14, acc

// REDUCE4 sums each of a, b, c, d (clobbered) and leaves [sum a, sum b,
// sum c, sum d] in X(a).
#define REDUCE4(a, b, c, d) \
	VHADDPS b, a, a \
	VHADDPS d, c, c \
	VHADDPS c, a, a

DATA onesW<>+0(SB)/8, $0x0001000100010001
DATA onesW<>+8(SB)/8, $0x0001000100010001
DATA onesW<>+16(SB)/8, $0x0001000100010001
DATA onesW<>+24(SB)/8, $0x0001000100010001
GLOBL onesW<>(SB), RODATA|NOPTR, $32

// func dotQ8_0R4T3AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)
TEXT ·dotQ8_0R4T3AVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ rowB+8(FP), R8
	LEAQ (R8)(R8*2), R9
	MOVQ a+16(FP), DI
	MOVQ actB+24(FP), R12
	MOVQ s+32(FP), BX
	MOVQ sB+40(FP), DX
	MOVQ nb+48(FP), CX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	VXORPS X4, X4, X4
	VXORPS X5, X5, X5
	VXORPS X6, X6, X6
	VXORPS X7, X7, X7
	VXORPS X8, X8, X8
	VXORPS X9, X9, X9
	VXORPS X10, X10, X10
	VXORPS X11, X11, X11

loop3:
	ROWPREP(2(SI), 0(SI))
	PAIR(2(SI), 2(DI), (BX), X0)
	PAIR(2(SI), 2(DI)(R12*1), (BX)(DX*1), X1)
	PAIR(2(SI), 2(DI)(R12*2), (BX)(DX*2), X2)
	ROWPREP(2(SI)(R8*1), 0(SI)(R8*1))
	PAIR(2(SI)(R8*1), 2(DI), (BX), X3)
	PAIR(2(SI)(R8*1), 2(DI)(R12*1), (BX)(DX*1), X4)
	PAIR(2(SI)(R8*1), 2(DI)(R12*2), (BX)(DX*2), X5)
	ROWPREP(2(SI)(R8*2), 0(SI)(R8*2))
	PAIR(2(SI)(R8*2), 2(DI), (BX), X6)
	PAIR(2(SI)(R8*2), 2(DI)(R12*1), (BX)(DX*1), X7)
	PAIR(2(SI)(R8*2), 2(DI)(R12*2), (BX)(DX*2), X8)
	ROWPREP(2(SI)(R9*1), 0(SI)(R9*1))
	PAIR(2(SI)(R9*1), 2(DI), (BX), X9)
	PAIR(2(SI)(R9*1), 2(DI)(R12*1), (BX)(DX*1), X10)
	PAIR(2(SI)(R9*1), 2(DI)(R12*2), (BX)(DX*2), X11)
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $4, BX
	DECQ CX
	JNZ  loop3

	MOVQ dst+56(FP), DI
	MOVQ dstB+64(FP), DX
	REDUCE4(X0, X3, X6, X9)
	VMOVUPS X0, (DI)
	REDUCE4(X1, X4, X7, X10)
	VMOVUPS X1, (DI)(DX*1)
	REDUCE4(X2, X5, X8, X11)
	VMOVUPS X2, (DI)(DX*2)
	VZEROUPPER
	RET

// func dotQ8_0R4T2AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)
TEXT ·dotQ8_0R4T2AVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ rowB+8(FP), R8
	LEAQ (R8)(R8*2), R9
	MOVQ a+16(FP), DI
	MOVQ actB+24(FP), R12
	MOVQ s+32(FP), BX
	MOVQ sB+40(FP), DX
	MOVQ nb+48(FP), CX
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	VXORPS X4, X4, X4
	VXORPS X5, X5, X5
	VXORPS X6, X6, X6
	VXORPS X7, X7, X7

loop2:
	ROWPREP(2(SI), 0(SI))
	PAIR(2(SI), 2(DI), (BX), X0)
	PAIR(2(SI), 2(DI)(R12*1), (BX)(DX*1), X1)
	ROWPREP(2(SI)(R8*1), 0(SI)(R8*1))
	PAIR(2(SI)(R8*1), 2(DI), (BX), X2)
	PAIR(2(SI)(R8*1), 2(DI)(R12*1), (BX)(DX*1), X3)
	ROWPREP(2(SI)(R8*2), 0(SI)(R8*2))
	PAIR(2(SI)(R8*2), 2(DI), (BX), X4)
	PAIR(2(SI)(R8*2), 2(DI)(R12*1), (BX)(DX*1), X5)
	ROWPREP(2(SI)(R9*1), 0(SI)(R9*1))
	PAIR(2(SI)(R9*1), 2(DI), (BX), X6)
	PAIR(2(SI)(R9*1), 2(DI)(R12*1), (BX)(DX*1), X7)
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $4, BX
	DECQ CX
	JNZ  loop2

	MOVQ dst+56(FP), DI
	MOVQ dstB+64(FP), DX
	REDUCE4(X0, X2, X4, X6)
	VMOVUPS X0, (DI)
	REDUCE4(X1, X3, X5, X7)
	VMOVUPS X1, (DI)(DX*1)
	VZEROUPPER
	RET

// func dotQ8_0RowsAVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, da *float32, nb int, dst *float32, nrows int)
// nrows > 0 rows (rowB bytes apart) times one token whose nb > 0 block
// scales are da, bit for bit what dotQ8_0AVX2 gives each row; the token's
// scales are converted once for all the rows.
TEXT ·dotQ8_0RowsAVX2(SB), NOSPLIT, $0-56
	MOVQ     w+0(FP), R8
	MOVQ     dst+40(FP), R10
	MOVQ     nrows+48(FP), R12
	VPCMPEQW Y15, Y15, Y15
	VPSRLW   $15, Y15, Y15

rowsrow:
	MOVQ   R8, SI
	MOVQ   a+16(FP), DI
	MOVQ   da+24(FP), R11
	MOVQ   nb+32(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y6, Y6, Y6
	CMPQ   CX, $2
	JLT    rowstail

rowsloop2:
	VMOVDQU      2(SI), Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, X4
	VMULSS       0(R11), X4, X4
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
	VMULSS       4(R11), X4, X4
	VBROADCASTSS X4, Y4
	VFMADD231PS  Y4, Y3, Y6
	ADDQ $68, SI
	ADDQ $68, DI
	ADDQ $8, R11
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  rowsloop2

rowstail:
	TESTQ CX, CX
	JZ    rowsdone
	VMOVDQU      2(SI), Y1
	VMOVDQU      2(DI), Y2
	VPSIGNB      Y1, Y1, Y3
	VPSIGNB      Y1, Y2, Y2
	VPMADDUBSW   Y2, Y3, Y3
	VPMADDWD     Y15, Y3, Y3
	VCVTDQ2PS    Y3, Y3
	VPBROADCASTW 0(SI), X4
	VCVTPH2PS    X4, X4
	VMULSS       0(R11), X4, X4
	VBROADCASTSS X4, Y4
	VFMADD231PS  Y4, Y3, Y0

rowsdone:
	VADDPS       Y6, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, (R10)
	ADDQ         rowB+8(FP), R8
	ADDQ         $4, R10
	DECQ         R12
	JNZ          rowsrow
	VZEROUPPER
	RET

// func dotQ4KR1T4AVX2(w unsafe.Pointer, rowB int, a unsafe.Pointer, actB int, s *float32, sB int, nb int, dst *float32, dstB int)
// One Q4_K row (rowB and s, sB unused) times four Q8_K tokens over nb > 0
// super-blocks.
TEXT ·dotQ4KR1T4AVX2(SB), NOSPLIT, $0-72
	MOVQ         w+0(FP), SI
	MOVQ         a+16(FP), DI
	MOVQ         actB+24(FP), R12
	LEAQ         (R12)(R12*2), R13
	MOVQ         nb+48(FP), CX
	MOVL         $0x0f0f0f0f, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3

q4kt4loop:
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

	// mins: facc[t] -= dmin*da[t] * sum(min * bsum)
	VMOVQ        R10, X4
	VPSHUFB      q4kTileMinDup<>(SB), X4, X4
	VPMOVZXBW    X4, Y4
	VPBROADCASTW 2(SI), X5
	VCVTPH2PS    X5, Y5
	VPMADDWD     260(DI), Y4, Y6
	VCVTDQ2PS    Y6, Y6
	VBROADCASTSS 0(DI), Y7
	VMULPS       Y7, Y5, Y7
	VFNMADD231PS Y7, Y6, Y0
	VPMADDWD     260(DI)(R12*1), Y4, Y6
	VCVTDQ2PS    Y6, Y6
	VBROADCASTSS 0(DI)(R12*1), Y7
	VMULPS       Y7, Y5, Y7
	VFNMADD231PS Y7, Y6, Y1
	VPMADDWD     260(DI)(R12*2), Y4, Y6
	VCVTDQ2PS    Y6, Y6
	VBROADCASTSS 0(DI)(R12*2), Y7
	VMULPS       Y7, Y5, Y7
	VFNMADD231PS Y7, Y6, Y2
	VPMADDWD     260(DI)(R13*1), Y4, Y6
	VCVTDQ2PS    Y6, Y6
	VBROADCASTSS 0(DI)(R13*1), Y7
	VMULPS       Y7, Y5, Y7
	VFNMADD231PS Y7, Y6, Y3

	// quants times scales, in int32 per token
	VMOVQ        R8, X8
	VPBROADCASTQ X8, Y8
	VPXOR        Y4, Y4, Y4
	VPXOR        Y5, Y5, Y5
	VPXOR        Y6, Y6, Y6
	VPXOR        Y7, Y7, Y7
	VMOVDQU      16(SI), Y11
	VPSRLW       $4, Y11, Y12
	VPAND        Y15, Y11, Y11
	VPAND        Y15, Y12, Y12
	VPSHUFB      q4kTileScaleMask<>+0(SB), Y8, Y9
	VPSHUFB      q4kTileScaleMask<>+32(SB), Y8, Y10
	VPMADDUBSW   4(DI), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y4, Y4
	VPMADDUBSW   36(DI), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDUBSW   4(DI)(R12*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y5, Y5
	VPMADDUBSW   36(DI)(R12*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDUBSW   4(DI)(R12*2), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y6, Y6
	VPMADDUBSW   36(DI)(R12*2), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDUBSW   4(DI)(R13*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y7, Y7
	VPMADDUBSW   36(DI)(R13*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y7, Y7
	VMOVDQU      48(SI), Y11
	VPSRLW       $4, Y11, Y12
	VPAND        Y15, Y11, Y11
	VPAND        Y15, Y12, Y12
	VPSHUFB      q4kTileScaleMask<>+64(SB), Y8, Y9
	VPSHUFB      q4kTileScaleMask<>+96(SB), Y8, Y10
	VPMADDUBSW   68(DI), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y4, Y4
	VPMADDUBSW   100(DI), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDUBSW   68(DI)(R12*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y5, Y5
	VPMADDUBSW   100(DI)(R12*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDUBSW   68(DI)(R12*2), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y6, Y6
	VPMADDUBSW   100(DI)(R12*2), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDUBSW   68(DI)(R13*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y7, Y7
	VPMADDUBSW   100(DI)(R13*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y7, Y7
	VMOVDQU      80(SI), Y11
	VPSRLW       $4, Y11, Y12
	VPAND        Y15, Y11, Y11
	VPAND        Y15, Y12, Y12
	VPSHUFB      q4kTileScaleMask<>+128(SB), Y8, Y9
	VPSHUFB      q4kTileScaleMask<>+160(SB), Y8, Y10
	VPMADDUBSW   132(DI), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y4, Y4
	VPMADDUBSW   164(DI), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDUBSW   132(DI)(R12*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y5, Y5
	VPMADDUBSW   164(DI)(R12*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDUBSW   132(DI)(R12*2), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y6, Y6
	VPMADDUBSW   164(DI)(R12*2), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDUBSW   132(DI)(R13*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y7, Y7
	VPMADDUBSW   164(DI)(R13*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y7, Y7
	VMOVDQU      112(SI), Y11
	VPSRLW       $4, Y11, Y12
	VPAND        Y15, Y11, Y11
	VPAND        Y15, Y12, Y12
	VPSHUFB      q4kTileScaleMask<>+192(SB), Y8, Y9
	VPSHUFB      q4kTileScaleMask<>+224(SB), Y8, Y10
	VPMADDUBSW   196(DI), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y4, Y4
	VPMADDUBSW   228(DI), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y4, Y4
	VPMADDUBSW   196(DI)(R12*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y5, Y5
	VPMADDUBSW   228(DI)(R12*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y5, Y5
	VPMADDUBSW   196(DI)(R12*2), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y6, Y6
	VPMADDUBSW   228(DI)(R12*2), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y6, Y6
	VPMADDUBSW   196(DI)(R13*1), Y11, Y13
	VPMADDWD     Y9, Y13, Y13
	VPADDD       Y13, Y7, Y7
	VPMADDUBSW   228(DI)(R13*1), Y12, Y14
	VPMADDWD     Y10, Y14, Y14
	VPADDD       Y14, Y7, Y7

	// facc[t] += d*da[t] * sums[t]
	VPBROADCASTW 0(SI), X8
	VCVTPH2PS    X8, Y8
	VCVTDQ2PS    Y4, Y4
	VBROADCASTSS 0(DI), Y9
	VMULPS       Y9, Y8, Y9
	VFMADD231PS  Y9, Y4, Y0
	VCVTDQ2PS    Y5, Y5
	VBROADCASTSS 0(DI)(R12*1), Y9
	VMULPS       Y9, Y8, Y9
	VFMADD231PS  Y9, Y5, Y1
	VCVTDQ2PS    Y6, Y6
	VBROADCASTSS 0(DI)(R12*2), Y9
	VMULPS       Y9, Y8, Y9
	VFMADD231PS  Y9, Y6, Y2
	VCVTDQ2PS    Y7, Y7
	VBROADCASTSS 0(DI)(R13*1), Y9
	VMULPS       Y9, Y8, Y9
	VFMADD231PS  Y9, Y7, Y3
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4kt4loop

	MOVQ dst+56(FP), DI
	MOVQ dstB+64(FP), DX
	LEAQ (DX)(DX*2), R8
	VHADDPS     Y1, Y0, Y0
	VHADDPS     Y3, Y2, Y2
	VHADDPS     Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS      X1, X0, X0
	VMOVSS      X0, (DI)
	VEXTRACTPS  $1, X0, (DI)(DX*1)
	VEXTRACTPS  $2, X0, (DI)(DX*2)
	VEXTRACTPS  $3, X0, (DI)(R8*1)
	VZEROUPPER
	RET

DATA q4kTileMinDup<>+0(SB)/8, $0x0303020201010000
DATA q4kTileMinDup<>+8(SB)/8, $0x0707060605050404
GLOBL q4kTileMinDup<>(SB), RODATA|NOPTR, $16

DATA q4kTileScaleMask<>+0(SB)/8, $0x8000800080008000
DATA q4kTileScaleMask<>+8(SB)/8, $0x8000800080008000
DATA q4kTileScaleMask<>+16(SB)/8, $0x8000800080008000
DATA q4kTileScaleMask<>+24(SB)/8, $0x8000800080008000
DATA q4kTileScaleMask<>+32(SB)/8, $0x8001800180018001
DATA q4kTileScaleMask<>+40(SB)/8, $0x8001800180018001
DATA q4kTileScaleMask<>+48(SB)/8, $0x8001800180018001
DATA q4kTileScaleMask<>+56(SB)/8, $0x8001800180018001
DATA q4kTileScaleMask<>+64(SB)/8, $0x8002800280028002
DATA q4kTileScaleMask<>+72(SB)/8, $0x8002800280028002
DATA q4kTileScaleMask<>+80(SB)/8, $0x8002800280028002
DATA q4kTileScaleMask<>+88(SB)/8, $0x8002800280028002
DATA q4kTileScaleMask<>+96(SB)/8, $0x8003800380038003
DATA q4kTileScaleMask<>+104(SB)/8, $0x8003800380038003
DATA q4kTileScaleMask<>+112(SB)/8, $0x8003800380038003
DATA q4kTileScaleMask<>+120(SB)/8, $0x8003800380038003
DATA q4kTileScaleMask<>+128(SB)/8, $0x8004800480048004
DATA q4kTileScaleMask<>+136(SB)/8, $0x8004800480048004
DATA q4kTileScaleMask<>+144(SB)/8, $0x8004800480048004
DATA q4kTileScaleMask<>+152(SB)/8, $0x8004800480048004
DATA q4kTileScaleMask<>+160(SB)/8, $0x8005800580058005
DATA q4kTileScaleMask<>+168(SB)/8, $0x8005800580058005
DATA q4kTileScaleMask<>+176(SB)/8, $0x8005800580058005
DATA q4kTileScaleMask<>+184(SB)/8, $0x8005800580058005
DATA q4kTileScaleMask<>+192(SB)/8, $0x8006800680068006
DATA q4kTileScaleMask<>+200(SB)/8, $0x8006800680068006
DATA q4kTileScaleMask<>+208(SB)/8, $0x8006800680068006
DATA q4kTileScaleMask<>+216(SB)/8, $0x8006800680068006
DATA q4kTileScaleMask<>+224(SB)/8, $0x8007800780078007
DATA q4kTileScaleMask<>+232(SB)/8, $0x8007800780078007
DATA q4kTileScaleMask<>+240(SB)/8, $0x8007800780078007
DATA q4kTileScaleMask<>+248(SB)/8, $0x8007800780078007
GLOBL q4kTileScaleMask<>(SB), RODATA|NOPTR, $256
