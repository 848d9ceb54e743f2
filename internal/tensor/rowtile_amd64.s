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
