//go:build amd64 && !purego

#include "textflag.h"

// func gemm4x16AVX2(k int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int)
// c[r][0:16] += Σₓ a[r·ars + x·acs] · b[x·ldb + 0:16] for r < 4, k > 0.
// Accumulators Y0-Y7 (row r in Y2r, Y2r+1), b's two vectors in Y8, Y9,
// the broadcast element of a in Y10.
TEXT ·gemm4x16AVX2(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $2, R8
	MOVQ acs+24(FP), R9
	SHLQ $2, R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11

	// Row pointers of a: SI, R12, R13, R14; of c: DX, AX, BX, R15.
	LEAQ (SI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	LEAQ (DX)(R11*1), AX
	LEAQ (AX)(R11*1), BX
	LEAQ (BX)(R11*1), R15

	VMOVUPS 0(DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 0(AX), Y2
	VMOVUPS 32(AX), Y3
	VMOVUPS 0(BX), Y4
	VMOVUPS 32(BX), Y5
	VMOVUPS 0(R15), Y6
	VMOVUPS 32(R15), Y7

loop:
	VMOVUPS      0(DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R12), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R13), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R14), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         R9, SI
	ADDQ         R9, R12
	ADDQ         R9, R13
	ADDQ         R9, R14
	ADDQ         R10, DI
	DECQ         CX
	JNZ          loop

	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 0(AX)
	VMOVUPS Y3, 32(AX)
	VMOVUPS Y4, 0(BX)
	VMOVUPS Y5, 32(BX)
	VMOVUPS Y6, 0(R15)
	VMOVUPS Y7, 32(R15)
	VZEROUPPER
	RET
