package tensor

// Row kernels. Every function here works on whole blocks of already validated
// input (the exported wrappers check lengths); none allocates.
type (
	// dequantizeFunc converts len(dst) elements stored in src to float32.
	dequantizeFunc func(src []byte, dst []float32)
	// quantizeFunc converts len(src) float32 elements into dst.
	quantizeFunc func(src []float32, dst []byte)
	// vecDotFunc returns the dot product of n elements of a weight row w
	// with an activation row a of the weight type's vecDotType.
	vecDotFunc func(n int, w, a []byte) float32
	// vecDotRowsFunc sets dst[i] to the dot product of the weight row
	// w[i*rowB:] (n elements) with a, for each of the len(dst) rows: one
	// call per block of rows instead of one per row (the per-call overhead
	// is a tenth of a 2048-element dot), and room to share work between
	// rows.
	vecDotRowsFunc func(n int, w []byte, rowB int, a []byte, dst []float32)
)

// typeKernels is what the package can do with one type.
type typeKernels struct {
	dequantize dequantizeFunc
	// quantize is ggml's reference quantizer (quantize_row_*_ref), which is
	// what llama.cpp uses to write model files.
	quantize quantizeFunc
	// quantizeActivations is what llama.cpp's x86 CPU backend uses to
	// quantize the activation operand of a matrix multiply (the type's
	// from_float); set only for the types that serve as vecDotType.
	quantizeActivations quantizeFunc
	// vecDotType is the activation type the weight type is multiplied with
	// and vecDot the kernel for that pair.
	vecDotType Type
	vecDot     vecDotFunc
	// vecDotRows, where set, is vecDot over several rows (same results);
	// MatMul uses it for its per-row products.
	vecDotRows vecDotRowsFunc
}

// maxType bounds the Type values the kernel table is indexed by.
const maxType = 64

// kernels is indexed by Type. Architecture-specific files may replace the
// vecDot and quantizeActivations entries in their init functions; the
// reference functions they replace stay in the package to test them against.
var kernels = [maxType]typeKernels{
	F32: {
		dequantize: dequantizeF32, quantize: quantizeF32, quantizeActivations: quantizeF32,
		vecDotType: F32, vecDot: dotF32F32,
	},
	F16: {
		dequantize: dequantizeF16, quantize: quantizeF16, quantizeActivations: quantizeF16,
		vecDotType: F16, vecDot: dotF16F16,
	},
	BF16: {
		dequantize: dequantizeBF16, quantize: quantizeBF16, quantizeActivations: quantizeBF16,
		vecDotType: BF16, vecDot: dotBF16BF16,
	},
	Q4_0: {dequantize: dequantizeQ4_0, quantize: quantizeQ4_0, vecDotType: Q8_0, vecDot: dotQ4_0Q8_0},
	Q4_1: {dequantize: dequantizeQ4_1, quantize: quantizeQ4_1, vecDotType: Q8_1, vecDot: dotQ4_1Q8_1},
	Q5_0: {dequantize: dequantizeQ5_0, quantize: quantizeQ5_0, vecDotType: Q8_0, vecDot: dotQ5_0Q8_0},
	Q5_1: {dequantize: dequantizeQ5_1, quantize: quantizeQ5_1, vecDotType: Q8_1, vecDot: dotQ5_1Q8_1},
	Q8_0: {
		dequantize: dequantizeQ8_0, quantize: quantizeQ8_0, quantizeActivations: quantizeQ8_0Activations,
		vecDotType: Q8_0, vecDot: dotQ8_0Q8_0,
	},
	// Q8_1 has no dot product of its own in ggml: it only serves as the
	// activation type of Q4_1 and Q5_1.
	Q8_1: {dequantize: dequantizeQ8_1, quantize: quantizeQ8_1, quantizeActivations: quantizeQ8_1Activations},
	Q2_K: {dequantize: dequantizeQ2K, quantize: quantizeQ2K, vecDotType: Q8_K, vecDot: dotQ2KQ8K},
	Q3_K: {dequantize: dequantizeQ3K, quantize: quantizeQ3K, vecDotType: Q8_K, vecDot: dotQ3KQ8K},
	Q4_K: {dequantize: dequantizeQ4K, quantize: quantizeQ4K, vecDotType: Q8_K, vecDot: dotQ4KQ8K},
	Q5_K: {dequantize: dequantizeQ5K, quantize: quantizeQ5K, vecDotType: Q8_K, vecDot: dotQ5KQ8K},
	Q6_K: {dequantize: dequantizeQ6K, quantize: quantizeQ6K, vecDotType: Q8_K, vecDot: dotQ6KQ8K},
	// Q8_K is an activation type only; ggml's quantizer is the same for
	// files and for activations.
	Q8_K: {dequantize: dequantizeQ8K, quantize: quantizeQ8K, quantizeActivations: quantizeQ8K},
}

// kernelsFor returns the table entry of t, or nil when t is outside the table.
func kernelsFor(t Type) *typeKernels {
	if uint32(t) >= maxType {
		return nil
	}
	return &kernels[t]
}

// kernelSet names the instruction sets the kernels use on this CPU; the
// architecture files raise it at start-up.
var kernelSet = "go"

// KernelSet names the kernels MatMul and the elementwise functions run on
// this CPU: "go" (the plain-Go references, as with -tags purego or off
// amd64), "avx2" or "avx2+avx512-vnni".
func KernelSet() string { return kernelSet }
