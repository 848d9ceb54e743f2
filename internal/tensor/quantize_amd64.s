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
