//go:build amd64 && !purego

#include "textflag.h"

// func quantizeQ8_0AVX2(dst *byte, src *float32, nb int)
// Q8_0 activation quantization of nb 32-element blocks, bit for bit as
// quantizeQ8_0Activations: amax ignores NaNs (the comparison keeps the
// accumulator), d = amax/127 rounded to f16 nearest-even, q = v*(127/amax)
// rounded to nearest-even (MXCSR default), clamped to 127 (+Inf included)
// and saturated by the packs; NaN and -Inf convert to INT_MIN and so
// saturate to -128 as in the Go code. nb > 0.
TEXT ·quantizeQ8_0AVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         nb+16(FP), CX
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15
	MOVL         $127, AX
	VCVTSI2SSL   AX, X14, X14
	VMOVDQU      q8PackOrder<>(SB), Y13
	VBROADCASTSS X14, Y12

q8qloop:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS  Y15, Y0, Y4
	VANDPS  Y15, Y1, Y5
	VANDPS  Y15, Y2, Y6
	VANDPS  Y15, Y3, Y7
	VXORPS  Y8, Y8, Y8
	VMAXPS  Y8, Y4, Y8 // Y8 = Y4 > Y8 ? Y4 : Y8
	VMAXPS  Y8, Y5, Y8
	VMAXPS  Y8, Y6, Y8
	VMAXPS  Y8, Y7, Y8
	VEXTRACTF128 $1, Y8, X9
	VMAXPS  X9, X8, X8
	VMOVHLPS X8, X8, X9
	VMAXPS  X9, X8, X8
	VMOVSHDUP X8, X9
	VMAXSS  X9, X8, X8 // amax
	VDIVSS  X14, X8, X9 // d = amax/127
	VCVTPS2PH $0, X9, X9
	VPEXTRW $0, X9, AX
	MOVW    AX, 0(DI)
	VXORPS  X10, X10, X10
	VUCOMISS X10, X8
	JEQ     q8qzero
	VDIVSS  X8, X14, X10 // id = 127/amax

q8qzero:
	VBROADCASTSS X10, Y10
	VMULPS    Y10, Y0, Y0
	VMULPS    Y10, Y1, Y1
	VMULPS    Y10, Y2, Y2
	VMULPS    Y10, Y3, Y3
	VMINPS    Y0, Y12, Y0 // +Inf (id overflows for subnormal amax) to 127; NaN stays
	VMINPS    Y1, Y12, Y1
	VMINPS    Y2, Y12, Y2
	VMINPS    Y3, Y12, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD    Y0, Y13, Y0
	VMOVDQU   Y0, 2(DI)
	ADDQ      $128, SI
	ADDQ      $34, DI
	DECQ      CX
	JNZ       q8qloop
	VZEROUPPER
	RET

DATA q8PackOrder<>+0(SB)/4, $0
DATA q8PackOrder<>+4(SB)/4, $4
DATA q8PackOrder<>+8(SB)/4, $1
DATA q8PackOrder<>+12(SB)/4, $5
DATA q8PackOrder<>+16(SB)/4, $2
DATA q8PackOrder<>+20(SB)/4, $6
DATA q8PackOrder<>+24(SB)/4, $3
DATA q8PackOrder<>+28(SB)/4, $7
GLOBL q8PackOrder<>(SB), RODATA|NOPTR, $32

// func quantizeQ8KAVX2(dst *byte, src *float32, nb int)
// Q8_K quantization of nb 256-element super-blocks, bit for bit as
// quantizeQ8K: vmax is the first element of largest magnitude (NaNs
// ignored), iscale = -127/vmax, q = nearest_int(iscale*v) through the
// float adder, capped at 127 and truncated to a byte; bsums are the sums of
// the truncated bytes; an all-zero block is written as zeros. nb > 0.
TEXT ·quantizeQ8KAVX2(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         nb+16(FP), CX
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, Y15 // |x| mask
	MOVL         $0x4b400000, AX // 12582912.0
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0x007fffff, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13
	MOVL         $0x00400000, AX
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12
	MOVL         $127, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Y11
	VMOVDQU      q8PackOrder<>(SB), Y10

q8ksuper:
	// amax over 32 vectors, 4 accumulators; the accumulator is the second
	// operand so a NaN element never replaces it.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   SI, R8
	MOVQ   $8, DX

q8kmax:
	VANDPS 0(R8), Y15, Y4
	VANDPS 32(R8), Y15, Y5
	VANDPS 64(R8), Y15, Y6
	VANDPS 96(R8), Y15, Y7
	VMAXPS Y0, Y4, Y0
	VMAXPS Y1, Y5, Y1
	VMAXPS Y2, Y6, Y2
	VMAXPS Y3, Y7, Y3
	ADDQ   $128, R8
	DECQ   DX
	JNZ    q8kmax

	VMAXPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VMAXPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0 // amax
	VXORPS       X1, X1, X1
	VUCOMISS     X1, X0
	JNE          q8kfind

	// all zero: clear the 292-byte block
	VPXOR   Y1, Y1, Y1
	MOVQ    $0, DX

q8kclear:
	VMOVDQU Y1, 0(DI)(DX*1)
	ADDQ    $32, DX
	CMPQ    DX, $288
	JLT     q8kclear
	MOVL    $0, 288(DI)
	JMP     q8knext

q8kfind:
	// the first element with |x| == amax gives vmax
	VBROADCASTSS X0, Y0
	MOVQ         $0, DX

q8kfindloop:
	VANDPS    0(SI)(DX*4), Y15, Y4
	VCMPPS    $0, Y0, Y4, Y4
	VMOVMSKPS Y4, AX
	TESTL     AX, AX
	JNZ       q8kfound
	ADDQ      $8, DX
	JMP       q8kfindloop

q8kfound:
	BSFL   AX, AX
	ADDQ   AX, DX
	VMOVSS 0(SI)(DX*4), X1 // vmax
	MOVL   $0xc2fe0000, AX // -127.0
	VMOVD  AX, X2
	VDIVSS X1, X2, X2 // iscale = -127/vmax
	MOVL   $0x3f800000, AX // 1.0
	VMOVD  AX, X3
	VDIVSS X2, X3, X3
	VMOVSS X3, 0(DI) // d = 1/iscale
	VBROADCASTSS X2, Y9

	MOVQ $0, DX // element offset

q8kquant:
	VMULPS    0(SI)(DX*4), Y9, Y0
	VMULPS    32(SI)(DX*4), Y9, Y1
	VMULPS    64(SI)(DX*4), Y9, Y2
	VMULPS    96(SI)(DX*4), Y9, Y3
	VADDPS    Y14, Y0, Y0
	VADDPS    Y14, Y1, Y1
	VADDPS    Y14, Y2, Y2
	VADDPS    Y14, Y3, Y3
	VPAND     Y13, Y0, Y0
	VPAND     Y13, Y1, Y1
	VPAND     Y13, Y2, Y2
	VPAND     Y13, Y3, Y3
	VPSUBD    Y12, Y0, Y0
	VPSUBD    Y12, Y1, Y1
	VPSUBD    Y12, Y2, Y2
	VPSUBD    Y12, Y3, Y3
	VPMINSD   Y11, Y0, Y0
	VPMINSD   Y11, Y1, Y1
	VPMINSD   Y11, Y2, Y2
	VPMINSD   Y11, Y3, Y3
	VPSLLD    $24, Y0, Y0 // truncate to int8, sign-extended
	VPSLLD    $24, Y1, Y1
	VPSLLD    $24, Y2, Y2
	VPSLLD    $24, Y3, Y3
	VPSRAD    $24, Y0, Y0
	VPSRAD    $24, Y1, Y1
	VPSRAD    $24, Y2, Y2
	VPSRAD    $24, Y3, Y3
	VPADDD    Y1, Y0, Y4 // elements 0-15
	VPADDD    Y3, Y2, Y5 // elements 16-31
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD    Y0, Y10, Y0
	VMOVDQU   Y0, 4(DI)(DX*1)
	VEXTRACTI128 $1, Y4, X6
	VEXTRACTI128 $1, Y5, X7
	VPADDD    X6, X4, X4
	VPADDD    X7, X5, X5
	VPHADDD   X5, X4, X4
	VPHADDD   X4, X4, X4 // [s0, s1, s0, s1]
	MOVQ      DX, R8
	SHRQ      $3, R8 // bsum byte offset: 2 per 16 elements
	VMOVD     X4, AX
	MOVW      AX, 260(DI)(R8*1)
	VPEXTRD   $1, X4, AX
	MOVW      AX, 262(DI)(R8*1)
	ADDQ      $32, DX
	CMPQ      DX, $256
	JLT       q8kquant

q8knext:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q8ksuper
	VZEROUPPER
	RET
