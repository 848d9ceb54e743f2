//go:build amd64 && !purego

#include "textflag.h"

// Attention kernels for AVX2 + FMA + F16C, four query rows per call (see
// kernels.go for what each computes). Scores: a group's keys are stored
// dimension by dimension with 16 positions side by side, so each dimension
// is two 8-lane vectors of keys multiplied by a broadcast query element
// into 4 rows × 2 accumulators, and no horizontal sums are needed. Values:
// a 16-dimension slice of each position's value is two vectors multiplied
// by the broadcast weight of each row. Quantized keys and values are
// widened to int32 and converted to float; the block scales multiply the
// per-block sums (keys) or the weights (values). Loops prefetch 1 KiB
// ahead (about 10% faster decode at depth 16K than the hardware
// prefetcher alone, which restarts at every block).

// ROWS4 adds row r's broadcast query (or weight) element, at off(SI..R11)
// indexed by BX, times lo and hi into accumulators Y(2r) and Y(2r+1).
#define ROWS4(lo, hi, off, tmp) \
	VBROADCASTSS off(SI)(BX*1), tmp   \
	VFMADD231PS  lo, tmp, Y0          \
	VFMADD231PS  hi, tmp, Y1          \
	VBROADCASTSS off(R9)(BX*1), tmp   \
	VFMADD231PS  lo, tmp, Y2          \
	VFMADD231PS  hi, tmp, Y3          \
	VBROADCASTSS off(R10)(BX*1), tmp  \
	VFMADD231PS  lo, tmp, Y4          \
	VFMADD231PS  hi, tmp, Y5          \
	VBROADCASTSS off(R11)(BX*1), tmp  \
	VFMADD231PS  lo, tmp, Y6          \
	VFMADD231PS  hi, tmp, Y7

#define ZERO8 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7

// STORE8 writes the 4 rows × 16 accumulators at ptr, rows stride apart;
// it advances ptr.
#define STORE8(ptr, stride) \
	VMOVUPS Y0, (ptr)      \
	VMOVUPS Y1, 32(ptr)    \
	ADDQ    stride, ptr    \
	VMOVUPS Y2, (ptr)      \
	VMOVUPS Y3, 32(ptr)    \
	ADDQ    stride, ptr    \
	VMOVUPS Y4, (ptr)      \
	VMOVUPS Y5, 32(ptr)    \
	ADDQ    stride, ptr    \
	VMOVUPS Y6, (ptr)      \
	VMOVUPS Y7, 32(ptr)

#define LOAD8(ptr, stride) \
	VMOVUPS (ptr), Y0      \
	VMOVUPS 32(ptr), Y1    \
	ADDQ    stride, ptr    \
	VMOVUPS (ptr), Y2      \
	VMOVUPS 32(ptr), Y3    \
	ADDQ    stride, ptr    \
	VMOVUPS (ptr), Y4      \
	VMOVUPS 32(ptr), Y5    \
	ADDQ    stride, ptr    \
	VMOVUPS (ptr), Y6      \
	VMOVUPS 32(ptr), Y7

#define SCALE8(s) \
	VMULPS s, Y0, Y0 \
	VMULPS s, Y1, Y1 \
	VMULPS s, Y2, Y2 \
	VMULPS s, Y3, Y3 \
	VMULPS s, Y4, Y4 \
	VMULPS s, Y5, Y5 \
	VMULPS s, Y6, Y6 \
	VMULPS s, Y7, Y7

// ADDSCALED8 adds the accumulators times the per-position scales in Y8
// (positions 0-7) and Y9 (8-15) to the 4 rows at ptr; it advances ptr.
#define ADDSCALED8(ptr, stride) \
	VMOVUPS     (ptr), Y10        \
	VMOVUPS     32(ptr), Y11      \
	VFMADD231PS Y8, Y0, Y10       \
	VFMADD231PS Y9, Y1, Y11       \
	VMOVUPS     Y10, (ptr)        \
	VMOVUPS     Y11, 32(ptr)      \
	ADDQ        stride, ptr       \
	VMOVUPS     (ptr), Y10        \
	VMOVUPS     32(ptr), Y11      \
	VFMADD231PS Y8, Y2, Y10       \
	VFMADD231PS Y9, Y3, Y11       \
	VMOVUPS     Y10, (ptr)        \
	VMOVUPS     Y11, 32(ptr)      \
	ADDQ        stride, ptr       \
	VMOVUPS     (ptr), Y10        \
	VMOVUPS     32(ptr), Y11      \
	VFMADD231PS Y8, Y4, Y10       \
	VFMADD231PS Y9, Y5, Y11       \
	VMOVUPS     Y10, (ptr)        \
	VMOVUPS     Y11, 32(ptr)      \
	ADDQ        stride, ptr       \
	VMOVUPS     (ptr), Y10        \
	VMOVUPS     32(ptr), Y11      \
	VFMADD231PS Y8, Y6, Y10       \
	VFMADD231PS Y9, Y7, Y11       \
	VMOVUPS     Y10, (ptr)        \
	VMOVUPS     Y11, 32(ptr)

// SETROWS points R9, R10, R11 at rows 1-3 of the 4 rows at SI, stride R8.
#define SETROWS \
	LEAQ (SI)(R8*1), R9   \
	LEAQ (R9)(R8*1), R10  \
	LEAQ (R10)(R8*1), R11

// func scoresF32AVX2(q *float32, k *float32, ngroups, hd int, out *float32, os int, scale float32)
TEXT ·scoresF32AVX2(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         k+8(FP), DI
	MOVQ         ngroups+16(FP), CX
	MOVQ         hd+24(FP), DX
	MOVQ         out+32(FP), R12
	MOVQ         os+40(FP), R13
	SHLQ         $2, R13
	VBROADCASTSS scale+48(FP), Y15
	MOVQ         DX, R8
	SHLQ         $2, R8
	SETROWS

f32group:
	ZERO8
	XORQ BX, BX
	MOVQ R8, AX
	SHRQ $2, AX

f32dim:
	PREFETCHT0 4096(DI)
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	ROWS4(Y8, Y9, 0, Y10)
	ADDQ    $64, DI
	ADDQ    $4, BX
	DECQ    AX
	JNZ     f32dim

	SCALE8(Y15)
	MOVQ R12, R14
	STORE8(R14, R13)
	ADDQ $64, R12
	DECQ CX
	JNZ  f32group
	VZEROUPPER
	RET

// func scoresF16AVX2(q *float32, k *uint16, ngroups, hd int, out *float32, os int, scale float32)
TEXT ·scoresF16AVX2(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         k+8(FP), DI
	MOVQ         ngroups+16(FP), CX
	MOVQ         hd+24(FP), DX
	MOVQ         out+32(FP), R12
	MOVQ         os+40(FP), R13
	SHLQ         $2, R13
	VBROADCASTSS scale+48(FP), Y15
	MOVQ         DX, R8
	SHLQ         $2, R8
	SETROWS

f16group:
	ZERO8
	XORQ BX, BX
	MOVQ R8, AX
	SHRQ $2, AX

f16dim:
	PREFETCHT0 4096(DI)
	VCVTPH2PS (DI), Y8
	VCVTPH2PS 16(DI), Y9
	ROWS4(Y8, Y9, 0, Y10)
	ADDQ      $32, DI
	ADDQ      $4, BX
	DECQ      AX
	JNZ       f16dim

	SCALE8(Y15)
	MOVQ R12, R14
	STORE8(R14, R13)
	ADDQ $64, R12
	DECQ CX
	JNZ  f16group
	VZEROUPPER
	RET

// ZEROOUT clears the 4 rows × 16 outputs at R12 (stride R13), using R14.
#define ZEROOUT \
	VXORPS  Y10, Y10, Y10 \
	MOVQ    R12, R14      \
	VMOVUPS Y10, (R14)    \
	VMOVUPS Y10, 32(R14)  \
	ADDQ    R13, R14      \
	VMOVUPS Y10, (R14)    \
	VMOVUPS Y10, 32(R14)  \
	ADDQ    R13, R14      \
	VMOVUPS Y10, (R14)    \
	VMOVUPS Y10, 32(R14)  \
	ADDQ    R13, R14      \
	VMOVUPS Y10, (R14)    \
	VMOVUPS Y10, 32(R14)

// func scoresQ8AVX2(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)
TEXT ·scoresQ8AVX2(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         k+8(FP), DI
	MOVQ         ngroups+16(FP), CX
	MOVQ         hd+24(FP), DX
	MOVQ         out+32(FP), R12
	MOVQ         os+40(FP), R13
	SHLQ         $2, R13
	VBROADCASTSS scale+48(FP), Y15
	MOVQ         DX, R8
	SHLQ         $2, R8
	SETROWS

q8group:
	ZEROOUT
	XORQ BX, BX
	MOVQ R8, AX
	SHRQ $7, AX // blocks of 32 dimensions

q8blk:
	MOVQ DI, R14 // the block's 16 scales
	ADDQ $32, DI
	ZERO8
	MOVQ $32, DX

q8dim:
	PREFETCHT0 4096(DI)
	VPMOVSXBD (DI), Y8
	VPMOVSXBD 8(DI), Y9
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	ROWS4(Y8, Y9, 0, Y10)
	ADDQ      $16, DI
	ADDQ      $4, BX
	DECQ      DX
	JNZ       q8dim

	VCVTPH2PS (R14), Y8
	VCVTPH2PS 16(R14), Y9
	VMULPS    Y15, Y8, Y8
	VMULPS    Y15, Y9, Y9
	MOVQ      R12, R14
	ADDSCALED8(R14, R13)
	DECQ      AX
	JNZ       q8blk

	ADDQ $64, R12
	DECQ CX
	JNZ  q8group
	VZEROUPPER
	RET

// NIBBLES widens the 16 signed nibble values in bytes of X (already
// masked and offset) to floats in lo (positions 0-7) and hi (8-15).
#define NIBBLES(x, lo, xhi, hi) \
	VPSHUFD   $0xEE, x, xhi \
	VPMOVSXBD x, lo         \
	VPMOVSXBD xhi, hi       \
	VCVTDQ2PS lo, lo       \
	VCVTDQ2PS hi, hi

// func scoresQ4AVX2(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)
TEXT ·scoresQ4AVX2(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         k+8(FP), DI
	MOVQ         ngroups+16(FP), CX
	MOVQ         hd+24(FP), DX
	MOVQ         out+32(FP), R12
	MOVQ         os+40(FP), R13
	SHLQ         $2, R13
	VBROADCASTSS scale+48(FP), Y15
	VMOVDQU      nibbleMask<>(SB), X13
	VMOVDQU      nibbleEight<>(SB), X12
	MOVQ         DX, R8
	SHLQ         $2, R8
	SETROWS

q4group:
	ZEROOUT
	XORQ BX, BX
	MOVQ R8, AX
	SHRQ $7, AX

q4blk:
	MOVQ DI, R14
	ADDQ $32, DI
	ZERO8
	MOVQ $16, DX

q4dim:
	PREFETCHT0 4096(DI)
	VMOVDQU (DI), X8
	VPSRLW  $4, X8, X9
	VPAND   X13, X8, X8
	VPSUBB  X12, X8, X8
	NIBBLES(X8, Y8, X10, Y10)
	ROWS4(Y8, Y10, 0, Y11)
	VPAND   X13, X9, X9
	VPSUBB  X12, X9, X9
	NIBBLES(X9, Y9, X10, Y10)
	ROWS4(Y9, Y10, 64, Y11)
	ADDQ    $16, DI
	ADDQ    $4, BX
	DECQ    DX
	JNZ     q4dim

	ADDQ      $64, BX // the block's upper 16 dimensions were done above
	VCVTPH2PS (R14), Y8
	VCVTPH2PS 16(R14), Y9
	VMULPS    Y15, Y8, Y8
	VMULPS    Y15, Y9, Y9
	MOVQ      R12, R14
	ADDSCALED8(R14, R13)
	DECQ      AX
	JNZ       q4blk

	ADDQ $64, R12
	DECQ CX
	JNZ  q4group
	VZEROUPPER
	RET

// func valuesF32AVX2(w *float32, ws int, v *float32, n, hd int, o *float32)
// For each 16-dimension slice: o rows += Σ_t w[r][t]·v[t][slice].
TEXT ·valuesF32AVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), R8
	SHLQ $2, R8
	MOVQ v+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ hd+32(FP), DX
	SHLQ $2, DX       // row bytes of o and of v
	MOVQ o+40(FP), R12
	SETROWS
	XORQ R13, R13     // slice offset in bytes

vf32slice:
	LEAQ (R12)(R13*1), AX
	LOAD8(AX, DX)
	LEAQ (DI)(R13*1), R14
	XORQ BX, BX
	MOVQ CX, AX

vf32pos:
	PREFETCHT0 4096(R14)
	VMOVUPS (R14), Y8
	VMOVUPS 32(R14), Y9
	ROWS4(Y8, Y9, 0, Y10)
	ADDQ    DX, R14
	ADDQ    $4, BX
	DECQ    AX
	JNZ     vf32pos

	LEAQ (R12)(R13*1), AX
	STORE8(AX, DX)
	ADDQ $64, R13
	CMPQ R13, DX
	JLT  vf32slice
	VZEROUPPER
	RET

// func valuesF16AVX2(w *float32, ws int, v *uint16, n, hd int, o *float32)
TEXT ·valuesF16AVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), R8
	SHLQ $2, R8
	MOVQ v+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ hd+32(FP), DX
	SHLQ $2, DX        // row bytes of o
	MOVQ o+40(FP), R12
	SETROWS
	MOVQ DX, R8
	SHRQ $1, R8        // row bytes of v
	XORQ R13, R13      // slice offset in o (bytes)

vf16slice:
	LEAQ (R12)(R13*1), AX
	LOAD8(AX, DX)
	MOVQ R13, R14
	SHRQ $1, R14
	ADDQ DI, R14
	XORQ BX, BX
	MOVQ CX, AX

vf16pos:
	PREFETCHT0 4096(R14)
	VCVTPH2PS (R14), Y8
	VCVTPH2PS 16(R14), Y9
	ROWS4(Y8, Y9, 0, Y10)
	ADDQ      R8, R14
	ADDQ      $4, BX
	DECQ      AX
	JNZ       vf16pos

	LEAQ (R12)(R13*1), AX
	STORE8(AX, DX)
	ADDQ $64, R13
	CMPQ R13, DX
	JLT  vf16slice
	VZEROUPPER
	RET

// func weightsQAVX2(w *float32, ws int, scales *byte, gstride, ngroups int, tmp *float32)
// tmp[g][r][i] = w[r][16g+i] · scale(g, i), the scales of group g being 16
// f16 values at scales + g·gstride.
TEXT ·weightsQAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), R8
	SHLQ $2, R8
	MOVQ scales+16(FP), DI
	MOVQ gstride+24(FP), DX
	MOVQ ngroups+32(FP), CX
	MOVQ tmp+40(FP), R12
	SETROWS
	XORQ BX, BX

wqgroup:
	VCVTPH2PS (DI), Y8
	VCVTPH2PS 16(DI), Y9
	VMULPS    (SI)(BX*1), Y8, Y0
	VMULPS    32(SI)(BX*1), Y9, Y1
	VMULPS    (R9)(BX*1), Y8, Y2
	VMULPS    32(R9)(BX*1), Y9, Y3
	VMULPS    (R10)(BX*1), Y8, Y4
	VMULPS    32(R10)(BX*1), Y9, Y5
	VMULPS    (R11)(BX*1), Y8, Y6
	VMULPS    32(R11)(BX*1), Y9, Y7
	VMOVUPS   Y0, (R12)
	VMOVUPS   Y1, 32(R12)
	VMOVUPS   Y2, 64(R12)
	VMOVUPS   Y3, 96(R12)
	VMOVUPS   Y4, 128(R12)
	VMOVUPS   Y5, 160(R12)
	VMOVUPS   Y6, 192(R12)
	VMOVUPS   Y7, 224(R12)
	ADDQ      DX, DI
	ADDQ      $64, BX
	ADDQ      $256, R12
	DECQ      CX
	JNZ       wqgroup
	VZEROUPPER
	RET

// TMPROWS adds the 4 weights of position i at tmp (R12, rows 64 bytes
// apart) times lo and hi to the accumulators.
#define TMPROWS(lo, hi) \
	VBROADCASTSS (R12), Y10     \
	VFMADD231PS  lo, Y10, Y0    \
	VFMADD231PS  hi, Y10, Y1    \
	VBROADCASTSS 64(R12), Y10   \
	VFMADD231PS  lo, Y10, Y2    \
	VFMADD231PS  hi, Y10, Y3    \
	VBROADCASTSS 128(R12), Y10  \
	VFMADD231PS  lo, Y10, Y4    \
	VFMADD231PS  hi, Y10, Y5    \
	VBROADCASTSS 192(R12), Y10  \
	VFMADD231PS  lo, Y10, Y6    \
	VFMADD231PS  hi, Y10, Y7

// func valuesQ8SliceAVX2(tmp *float32, q *byte, ngroups, gstride, rowBytes int, o *float32, ostride int)
// Adds Σ_t tmp[g][r][i]·q[t][0:16] to o's 4 rows (16 floats each, ostride
// floats apart), t = 16g+i, the quants of position i of group g being at
// q + g·gstride + i·rowBytes.
TEXT ·valuesQ8SliceAVX2(SB), NOSPLIT, $0-56
	MOVQ tmp+0(FP), R12
	MOVQ q+8(FP), DI
	MOVQ ngroups+16(FP), CX
	MOVQ gstride+24(FP), DX
	MOVQ rowBytes+32(FP), R8
	MOVQ o+40(FP), SI
	MOVQ ostride+48(FP), R13
	SHLQ $2, R13
	MOVQ SI, AX
	LOAD8(AX, R13)

vq8group:
	MOVQ DI, R14
	MOVQ $16, AX

vq8pos:
	PREFETCHT0 4096(R14)
	VPMOVSXBD (R14), Y8
	VPMOVSXBD 8(R14), Y9
	VCVTDQ2PS Y8, Y8
	VCVTDQ2PS Y9, Y9
	TMPROWS(Y8, Y9)
	ADDQ      R8, R14
	ADDQ      $4, R12
	DECQ      AX
	JNZ       vq8pos

	ADDQ $192, R12
	ADDQ DX, DI
	DECQ CX
	JNZ  vq8group

	MOVQ SI, AX
	STORE8(AX, R13)
	VZEROUPPER
	RET

// func valuesQ4SliceAVX2(tmp *float32, q *byte, ngroups, gstride, rowBytes int, o *float32, ostride, shift int)
// valuesQ8SliceAVX2 for 4-bit quants: the nibbles at bit shift (0 or 4)
// of 16 bytes per position, minus 8.
TEXT ·valuesQ4SliceAVX2(SB), NOSPLIT, $0-64
	MOVQ    tmp+0(FP), R12
	MOVQ    q+8(FP), DI
	MOVQ    ngroups+16(FP), CX
	MOVQ    gstride+24(FP), DX
	MOVQ    rowBytes+32(FP), R8
	MOVQ    o+40(FP), SI
	MOVQ    ostride+48(FP), R13
	SHLQ    $2, R13
	MOVQ    shift+56(FP), X14
	VMOVDQU nibbleMask<>(SB), X13
	VMOVDQU nibbleEight<>(SB), X12
	MOVQ    SI, AX
	LOAD8(AX, R13)

vq4group:
	MOVQ DI, R14
	MOVQ $16, AX

vq4pos:
	PREFETCHT0 4096(R14)
	VMOVDQU (R14), X8
	VPSRLW  X14, X8, X8
	VPAND   X13, X8, X8
	VPSUBB  X12, X8, X8
	NIBBLES(X8, Y8, X9, Y9)
	TMPROWS(Y8, Y9)
	ADDQ    R8, R14
	ADDQ    $4, R12
	DECQ    AX
	JNZ     vq4pos

	ADDQ $192, R12
	ADDQ DX, DI
	DECQ CX
	JNZ  vq4group

	MOVQ SI, AX
	STORE8(AX, R13)
	VZEROUPPER
	RET

// func expSubAVX2(s *float32, n int, m float32, lanes *[8]float32)
// s[i] = exp(s[i]-m) for n (a multiple of 8) elements, each added to
// lanes[i%8].
// exp is Cephes' expf: x = n·ln2 + r with n = round(x/ln2), a degree-5
// polynomial for e^r, 2^n built in the exponent bits; below -87.33 it is 0.
TEXT ·expSubAVX2(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	MOVQ         lanes+24(FP), DI
	VMOVUPS      (DI), Y14
	VMOVUPS      expLog2e<>(SB), Y13
	VMOVUPS      expC1<>(SB), Y12
	VMOVUPS      expC2<>(SB), Y11
	VMOVUPS      expLow<>(SB), Y10

exploop:
	VMOVUPS      (SI), Y0
	VSUBPS       Y15, Y0, Y0
	VCMPPS       $1, Y10, Y0, Y9 // x < low
	VMULPS       Y13, Y0, Y1
	VROUNDPS     $0, Y1, Y1
	VFNMADD231PS Y12, Y1, Y0
	VFNMADD231PS Y11, Y1, Y0
	VMOVUPS      expP0<>(SB), Y2
	VFMADD213PS  expP1<>(SB), Y0, Y2
	VFMADD213PS  expP2<>(SB), Y0, Y2
	VFMADD213PS  expP3<>(SB), Y0, Y2
	VFMADD213PS  expP4<>(SB), Y0, Y2
	VFMADD213PS  expP5<>(SB), Y0, Y2
	VMULPS       Y0, Y0, Y3
	VFMADD213PS  Y0, Y3, Y2
	VADDPS       expOne<>(SB), Y2, Y2
	VCVTPS2DQ    Y1, Y1
	VPADDD       exp127<>(SB), Y1, Y1
	VPSLLD       $23, Y1, Y1
	VMULPS       Y1, Y2, Y2
	VANDNPS      Y2, Y9, Y2
	VMOVUPS      Y2, (SI)
	VADDPS       Y2, Y14, Y14
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          exploop

	VMOVUPS Y14, (DI)
	VZEROUPPER
	RET

// func maxOfAVX2(s *float32, n int) float32
// n is a positive multiple of 8.
TEXT ·maxOfAVX2(SB), NOSPLIT, $0-20
	MOVQ    s+0(FP), SI
	MOVQ    n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ    $32, SI
	SUBQ    $8, CX
	JZ      maxdone

maxloop:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JNZ    maxloop

maxdone:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET

#define VEC8(name, bits) \
	DATA name+0(SB)/4, bits  \
	DATA name+4(SB)/4, bits  \
	DATA name+8(SB)/4, bits  \
	DATA name+12(SB)/4, bits \
	DATA name+16(SB)/4, bits \
	DATA name+20(SB)/4, bits \
	DATA name+24(SB)/4, bits \
	DATA name+28(SB)/4, bits \
	GLOBL name(SB), RODATA|NOPTR, $32

VEC8(expLog2e<>, $0x3fb8aa3b) // 1.44269504
VEC8(expC1<>, $0x3f318000)    // 0.693359375
VEC8(expC2<>, $0xb95e8083)    // -2.12194440e-4
VEC8(expLow<>, $0xc2aeac4f)   // -87.33654
VEC8(expP0<>, $0x39506967)    // 1.9875691500e-4
VEC8(expP1<>, $0x3ab743ce)    // 1.3981999507e-3
VEC8(expP2<>, $0x3c088908)    // 8.3334519073e-3
VEC8(expP3<>, $0x3d2aa9c1)    // 4.1665795894e-2
VEC8(expP4<>, $0x3e2aaaaa)    // 1.6666665459e-1
VEC8(expP5<>, $0x3f000000)    // 5.0000001201e-1
VEC8(expOne<>, $0x3f800000)   // 1
VEC8(exp127<>, $0x0000007f)   // exponent bias

DATA nibbleMask<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbleMask<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibbleMask<>(SB), RODATA|NOPTR, $16

DATA nibbleEight<>+0(SB)/8, $0x0808080808080808
DATA nibbleEight<>+8(SB)/8, $0x0808080808080808
GLOBL nibbleEight<>(SB), RODATA|NOPTR, $16

// AVX-512 versions (AVX512F only: registers are zeroed with VPXORD, not
// the DQ extension's VXORPS) of the f16 kernels: a key group's 16 positions fill one
// register, and a 64-dimension slice of a value row is four registers, so
// the values kernel reads each row once, front to back (the AVX2 kernel
// walks a block four times, 32 bytes of each row per pass). Prefetching 4
// KiB ahead keeps enough lines in flight to read the cache near memory
// bandwidth at depth 16K; prefetches stop at the end of the groups given,
// so the short runs of a sparse selection do not fetch what they skip.

// func scoresF16AVX512(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)
TEXT ·scoresF16AVX512(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         k+8(FP), DI
	MOVQ         ngroups+16(FP), CX
	MOVQ         hd+24(FP), DX
	MOVQ         out+32(FP), R12
	MOVQ         os+40(FP), R13
	SHLQ         $2, R13
	VBROADCASTSS scale+48(FP), Z15
	MOVQ         DX, R8
	SHLQ         $2, R8
	SETROWS
	MOVQ         CX, R15
	IMULQ        DX, R15
	SHLQ         $5, R15
	ADDQ         DI, R15 // end of the keys: prefetches stop there

z16group:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	XORQ   BX, BX
	MOVQ   DX, AX
	SHRQ   $1, AX

z16dim:
	LEAQ             4096(DI), R14
	CMPQ             R14, R15
	CMOVQGT          R15, R14
	PREFETCHT0       (R14)
	VCVTPH2PS        (DI), Z16
	VCVTPH2PS        32(DI), Z17
	VFMADD231PS.BCST (SI)(BX*1), Z16, Z0
	VFMADD231PS.BCST (R9)(BX*1), Z16, Z1
	VFMADD231PS.BCST (R10)(BX*1), Z16, Z2
	VFMADD231PS.BCST (R11)(BX*1), Z16, Z3
	VFMADD231PS.BCST 4(SI)(BX*1), Z17, Z4
	VFMADD231PS.BCST 4(R9)(BX*1), Z17, Z5
	VFMADD231PS.BCST 4(R10)(BX*1), Z17, Z6
	VFMADD231PS.BCST 4(R11)(BX*1), Z17, Z7
	ADDQ             $64, DI
	ADDQ             $8, BX
	DECQ             AX
	JNZ              z16dim

	VADDPS  Z4, Z0, Z0
	VADDPS  Z5, Z1, Z1
	VADDPS  Z6, Z2, Z2
	VADDPS  Z7, Z3, Z3
	VMULPS  Z15, Z0, Z0
	VMULPS  Z15, Z1, Z1
	VMULPS  Z15, Z2, Z2
	VMULPS  Z15, Z3, Z3
	MOVQ    R12, R14
	VMOVUPS Z0, (R14)
	ADDQ    R13, R14
	VMOVUPS Z1, (R14)
	ADDQ    R13, R14
	VMOVUPS Z2, (R14)
	ADDQ    R13, R14
	VMOVUPS Z3, (R14)
	ADDQ    $64, R12
	DECQ    CX
	JNZ     z16group
	VZEROUPPER
	RET

// ZROW adds row weight (off)(BX) times the four value registers Z16-Z19
// into accumulators a0-a3.
#define ZROW(off, a0, a1, a2, a3) \
	VBROADCASTSS (off)(BX*1), Z20 \
	VFMADD231PS  Z16, Z20, a0     \
	VFMADD231PS  Z17, Z20, a1     \
	VFMADD231PS  Z18, Z20, a2     \
	VFMADD231PS  Z19, Z20, a3

#define ZMOV16(op, ptr, stride) \
	op Z0, (ptr)    \
	op Z1, 64(ptr)  \
	op Z2, 128(ptr) \
	op Z3, 192(ptr) \
	ADDQ stride, ptr \
	op Z4, (ptr)    \
	op Z5, 64(ptr)  \
	op Z6, 128(ptr) \
	op Z7, 192(ptr) \
	ADDQ stride, ptr \
	op Z8, (ptr)    \
	op Z9, 64(ptr)  \
	op Z10, 128(ptr) \
	op Z11, 192(ptr) \
	ADDQ stride, ptr \
	op Z12, (ptr)    \
	op Z13, 64(ptr)  \
	op Z14, 128(ptr) \
	op Z15, 192(ptr)

#define ZLOAD16(ptr, stride) \
	VMOVUPS (ptr), Z0    \
	VMOVUPS 64(ptr), Z1  \
	VMOVUPS 128(ptr), Z2 \
	VMOVUPS 192(ptr), Z3 \
	ADDQ stride, ptr \
	VMOVUPS (ptr), Z4    \
	VMOVUPS 64(ptr), Z5  \
	VMOVUPS 128(ptr), Z6 \
	VMOVUPS 192(ptr), Z7 \
	ADDQ stride, ptr \
	VMOVUPS (ptr), Z8    \
	VMOVUPS 64(ptr), Z9  \
	VMOVUPS 128(ptr), Z10 \
	VMOVUPS 192(ptr), Z11 \
	ADDQ stride, ptr \
	VMOVUPS (ptr), Z12    \
	VMOVUPS 64(ptr), Z13  \
	VMOVUPS 128(ptr), Z14 \
	VMOVUPS 192(ptr), Z15

// func valuesF16AVX512(w *float32, ws int, v *byte, n, hd int, o *float32)
// hd is a multiple of 64.
TEXT ·valuesF16AVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), R8
	SHLQ $2, R8
	MOVQ v+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ hd+32(FP), DX
	SHLQ $2, DX        // row bytes of o
	MOVQ o+40(FP), R12
	SETROWS
	MOVQ DX, R8
	SHRQ $1, R8        // row bytes of v
	XORQ R13, R13      // slice offset in o (bytes)

z16vslice:
	LEAQ (R12)(R13*1), AX
	ZLOAD16(AX, DX)
	MOVQ R13, R14
	SHRQ $1, R14
	ADDQ DI, R14
	XORQ  BX, BX
	MOVQ  CX, AX
	IMULQ R8, AX
	ADDQ  R14, AX // end of the slice's rows: prefetches stop there

z16vpos:
	LEAQ       4096(R14), R15
	CMPQ       R15, AX
	CMOVQGT    AX, R15
	PREFETCHT0 (R15)
	PREFETCHT0 64(R15)
	VCVTPH2PS  (R14), Z16
	VCVTPH2PS  32(R14), Z17
	VCVTPH2PS  64(R14), Z18
	VCVTPH2PS  96(R14), Z19
	ZROW(SI, Z0, Z1, Z2, Z3)
	ZROW(R9, Z4, Z5, Z6, Z7)
	ZROW(R10, Z8, Z9, Z10, Z11)
	ZROW(R11, Z12, Z13, Z14, Z15)
	ADDQ       R8, R14
	ADDQ       $4, BX
	CMPQ       R14, AX
	JLT        z16vpos

	LEAQ (R12)(R13*1), AX
	ZMOV16(VMOVUPS, AX, DX)
	ADDQ $256, R13
	CMPQ R13, DX
	JLT  z16vslice
	VZEROUPPER
	RET

// func scaleRoundF16AVX2(s *float32, n int, f float32)
// n is a positive multiple of 8.
TEXT ·scaleRoundF16AVX2(SB), NOSPLIT, $0-20
	MOVQ         s+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS f+16(FP), Y1

srloop:
	VMULPS    (SI), Y1, Y0
	VCVTPS2PH $0, Y0, X0
	VCVTPH2PS X0, Y0
	VMOVUPS   Y0, (SI)
	ADDQ      $32, SI
	SUBQ      $8, CX
	JNZ       srloop
	VZEROUPPER
	RET

// func valuesQ8AVX512(t0, t1 *float32, q *byte, ngroups, gstride, rowBytes int, o *float32, ostride int)
// A 64-dimension slice (two q8_0 blocks) of ngroups groups' values: t0 and
// t1 hold the two blocks' weights times scales (weightsQAVX2's layout: 256
// bytes a group, row r at 64r), q the slice's quants of the first
// position (rows rowBytes apart, groups gstride apart); each position's 64
// quants are four registers, added into the 4 rows x 64 outputs at o.
TEXT ·valuesQ8AVX512(SB), NOSPLIT, $0-64
	MOVQ t0+0(FP), R10
	MOVQ t1+8(FP), R11
	MOVQ q+16(FP), DI
	MOVQ ngroups+24(FP), CX
	MOVQ gstride+32(FP), DX
	MOVQ rowBytes+40(FP), R8
	MOVQ o+48(FP), SI
	MOVQ ostride+56(FP), R13
	SHLQ $2, R13
	MOVQ SI, AX
	ZLOAD16(AX, R13)

zvq8group:
	MOVQ DI, R14
	XORQ BX, BX

zvq8pos:
	PREFETCHT0   1024(R14)
	VPMOVSXBD    (R14), Z16
	VPMOVSXBD    16(R14), Z17
	VPMOVSXBD    32(R14), Z18
	VPMOVSXBD    48(R14), Z19
	VCVTDQ2PS    Z16, Z16
	VCVTDQ2PS    Z17, Z17
	VCVTDQ2PS    Z18, Z18
	VCVTDQ2PS    Z19, Z19
	VBROADCASTSS (R10)(BX*1), Z20
	VBROADCASTSS (R11)(BX*1), Z21
	VFMADD231PS  Z16, Z20, Z0
	VFMADD231PS  Z17, Z20, Z1
	VFMADD231PS  Z18, Z21, Z2
	VFMADD231PS  Z19, Z21, Z3
	VBROADCASTSS 64(R10)(BX*1), Z20
	VBROADCASTSS 64(R11)(BX*1), Z21
	VFMADD231PS  Z16, Z20, Z4
	VFMADD231PS  Z17, Z20, Z5
	VFMADD231PS  Z18, Z21, Z6
	VFMADD231PS  Z19, Z21, Z7
	VBROADCASTSS 128(R10)(BX*1), Z20
	VBROADCASTSS 128(R11)(BX*1), Z21
	VFMADD231PS  Z16, Z20, Z8
	VFMADD231PS  Z17, Z20, Z9
	VFMADD231PS  Z18, Z21, Z10
	VFMADD231PS  Z19, Z21, Z11
	VBROADCASTSS 192(R10)(BX*1), Z20
	VBROADCASTSS 192(R11)(BX*1), Z21
	VFMADD231PS  Z16, Z20, Z12
	VFMADD231PS  Z17, Z20, Z13
	VFMADD231PS  Z18, Z21, Z14
	VFMADD231PS  Z19, Z21, Z15
	ADDQ         R8, R14
	ADDQ         $4, BX
	CMPQ         BX, $64
	JLT          zvq8pos

	ADDQ $256, R10
	ADDQ $256, R11
	ADDQ DX, DI
	DECQ CX
	JNZ  zvq8group

	MOVQ SI, AX
	ZMOV16(VMOVUPS, AX, R13)
	VZEROUPPER
	RET

// func scoresQ8AVX512(q *float32, k *byte, ngroups, hd int, out *float32, os int, scale float32)
// The q8_0 keys of a group: per block of 32 dimensions, the 16 positions'
// f16 scales, then each dimension's 16 int8 quants.
TEXT ·scoresQ8AVX512(SB), NOSPLIT, $0-52
	MOVQ         q+0(FP), SI
	MOVQ         k+8(FP), DI
	MOVQ         ngroups+16(FP), CX
	MOVQ         hd+24(FP), DX
	MOVQ         out+32(FP), R12
	MOVQ         os+40(FP), R13
	SHLQ         $2, R13
	VBROADCASTSS scale+48(FP), Z15
	MOVQ         DX, R8
	SHLQ         $2, R8
	SETROWS
	MOVQ         DX, R15
	SHRQ         $5, R15
	IMULQ        $544, R15
	IMULQ        CX, R15
	ADDQ         DI, R15 // end of the keys: prefetches stop there

zq8group:
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	XORQ   BX, BX
	MOVQ   R8, AX
	SHRQ   $7, AX // blocks of 32 dimensions

zq8blk:
	VCVTPH2PS (DI), Z8 // the block's 16 scales
	VMULPS    Z15, Z8, Z8
	ADDQ      $32, DI
	VXORPS    Z0, Z0, Z0
	VXORPS    Z1, Z1, Z1
	VXORPS    Z2, Z2, Z2
	VXORPS    Z3, Z3, Z3
	MOVQ      $32, DX

zq8dim:
	LEAQ             4096(DI), R14
	CMPQ             R14, R15
	CMOVQGT          R15, R14
	PREFETCHT0       (R14)
	VPMOVSXBD        (DI), Z16
	VCVTDQ2PS        Z16, Z16
	VFMADD231PS.BCST (SI)(BX*1), Z16, Z0
	VFMADD231PS.BCST (R9)(BX*1), Z16, Z1
	VFMADD231PS.BCST (R10)(BX*1), Z16, Z2
	VFMADD231PS.BCST (R11)(BX*1), Z16, Z3
	ADDQ             $16, DI
	ADDQ             $4, BX
	DECQ             DX
	JNZ              zq8dim

	VFMADD231PS Z8, Z0, Z4
	VFMADD231PS Z8, Z1, Z5
	VFMADD231PS Z8, Z2, Z6
	VFMADD231PS Z8, Z3, Z7
	DECQ        AX
	JNZ         zq8blk

	MOVQ    R12, R14
	VMOVUPS Z4, (R14)
	ADDQ    R13, R14
	VMOVUPS Z5, (R14)
	ADDQ    R13, R14
	VMOVUPS Z6, (R14)
	ADDQ    R13, R14
	VMOVUPS Z7, (R14)
	ADDQ    $64, R12
	DECQ    CX
	JNZ     zq8group
	VZEROUPPER
	RET

// func prefetchLines(p *byte, n int)
// PREFETCHT1 on every 64-byte line of [p, p+n), n > 0: into L2, whose
// miss queue holds more lines in flight than L1's (a scattered decode
// step, caches flushed between calls: 247 µs against 291 with PREFETCHT0).
TEXT ·prefetchLines(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	LEAQ (SI)(CX*1), DX

pfloop:
	PREFETCHT1 (SI)
	ADDQ       $64, SI
	CMPQ       SI, DX
	JB         pfloop
	RET
