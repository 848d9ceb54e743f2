package testmodel

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// Shape is the geometry of a model.
type Shape struct {
	Vocab, Embd, Layers int
	Heads, KVHeads, FFN int
	Ctx                 int
	RopeBase, RMSEps    float32
	Tied                bool // output projection shares token_embd.weight
}

// Shapes are the shapes Generate knows by name.
var Shapes = map[string]Shape{
	// Llama-3.2-1B (without its llama3 rope-frequency scaling).
	"llama-1b": {Vocab: 128256, Embd: 2048, Layers: 16, Heads: 32, KVHeads: 8, FFN: 8192,
		Ctx: 131072, RopeBase: 500000, RMSEps: 1e-5, Tied: true},
	// Qwen2-0.5B.
	"qwen2-0.5b": {Vocab: 151936, Embd: 896, Layers: 24, Heads: 14, KVHeads: 2, FFN: 4864,
		Ctx: 32768, RopeBase: 1e6, RMSEps: 1e-6, Tied: true},
	// The fixtures' tiny model.
	"tiny": {Vocab: 1000, Embd: 256, Layers: 4, Heads: 8, KVHeads: 4, FFN: 768,
		Ctx: 8192, RopeBase: 10000, RMSEps: 1e-5},
}

// Archs are the architectures Generate writes.
var Archs = []string{"llama", "qwen2", "qwen3"}

// fileTypes maps a --type name to its base tensor type and GGUF
// general.file_type (llama_ftype).
var fileTypes = map[string]struct {
	base  tensor.Type
	ftype uint32
}{
	"f32": {tensor.F32, 0}, "f16": {tensor.F16, 1}, "q8_0": {tensor.Q8_0, 7},
	"q4_0": {tensor.Q4_0, 2}, "q4_k_m": {tensor.Q4_K, 15},
}

// Types lists the file types Generate writes, sorted.
func Types() []string {
	var ts []string
	for t := range fileTypes {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// Options say what to generate.
type Options struct {
	Arch  string // llama, qwen2 or qwen3
	Shape string // a key of Shapes
	Type  string // f32, f16, q8_0, q4_0 or q4_k_m
	Seed  uint64
}

// tensorSpec is one tensor to write: cols elements per row (ne0), rows rows.
type tensorSpec struct {
	name       string
	cols, rows int
	typ        tensor.Type
	ones       bool // a norm weight: all ones
	zeros      bool // a bias: all zeros
}

// Generate writes the model described by o to w and returns the bytes
// written.
func Generate(w io.Writer, o Options) (int64, error) {
	s, ok := Shapes[o.Shape]
	if !ok {
		return 0, fmt.Errorf("testmodel: unknown shape %q (known: %s)", o.Shape, strings.Join(shapeNames(), ", "))
	}
	ft, ok := fileTypes[o.Type]
	if !ok {
		return 0, fmt.Errorf("testmodel: unknown type %q (known: %s)", o.Type, strings.Join(Types(), ", "))
	}
	switch o.Arch {
	case "llama", "qwen2", "qwen3":
	default:
		return 0, fmt.Errorf("testmodel: unknown architecture %q (known: %s)", o.Arch, strings.Join(Archs, ", "))
	}
	gw := gguf.NewWriter()
	if err := addMetadata(gw, o.Arch, s, ft.ftype); err != nil {
		return 0, err
	}
	for i, t := range plan(o.Arch, s, o.Type, ft.base) {
		data, err := fill(t, o.Seed, uint64(i))
		if err != nil {
			return 0, err
		}
		dims := []int64{int64(t.cols), int64(t.rows)}
		if t.ones || t.zeros {
			dims = dims[:1] // norms and biases are vectors
		}
		if err := gw.AddTensor(t.name, t.typ, dims, data); err != nil {
			return 0, err
		}
	}
	return gw.WriteTo(w)
}

func shapeNames() []string {
	var ns []string
	for n := range Shapes {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// moreBits is llama.cpp's rule for which layers' attn_v and ffn_down get
// Q6_K in a Q4_K_M file: the first and last eighth of the layers and every
// third one in between.
func moreBits(layer, layers int) bool {
	return layer < layers/8 || layer >= 7*layers/8 || (layer-layers/8)%3 == 2
}

// fitType replaces a K-quant that does not divide a row of cols elements
// with the 32-element type llama.cpp falls back to.
func fitType(t tensor.Type, cols int) tensor.Type {
	if cols%tensor.QK_K == 0 {
		return t
	}
	switch t {
	case tensor.Q4_K:
		return tensor.Q5_0
	case tensor.Q5_K:
		return tensor.Q5_1
	case tensor.Q6_K:
		return tensor.Q8_0
	}
	return t
}

// plan lists the tensors of the model with their types, following
// llama.cpp's quantizer: 1-D tensors stay F32; the output projection (or,
// when tied, the token embedding) is Q6_K in Q4_0 and Q4_K_M files; in
// Q4_K_M files attn_v and ffn_down of the moreBits layers are Q6_K.
func plan(arch string, s Shape, ftype string, base tensor.Type) []tensorSpec {
	hd := s.Embd / s.Heads
	qDim, kvDim := s.Heads*hd, s.KVHeads*hd
	quantized := base != tensor.F32 && base != tensor.F16
	outType := base
	if quantized && base != tensor.Q8_0 {
		outType = tensor.Q6_K
	}
	mat := func(name string, cols, rows int, t tensor.Type) tensorSpec {
		return tensorSpec{name: name, cols: cols, rows: rows, typ: fitType(t, cols)}
	}
	vec := func(name string, n int, zeros bool) tensorSpec {
		return tensorSpec{name: name, cols: n, rows: 1, typ: tensor.F32, ones: !zeros, zeros: zeros}
	}
	var ts []tensorSpec
	embType := base
	if s.Tied {
		embType = outType
	} else {
		ts = append(ts, mat("output.weight", s.Embd, s.Vocab, outType))
	}
	ts = append(ts, mat("token_embd.weight", s.Embd, s.Vocab, embType), vec("output_norm.weight", s.Embd, false))
	for l := 0; l < s.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		vType, downType := base, base
		if ftype == "q4_k_m" && moreBits(l, s.Layers) {
			vType, downType = tensor.Q6_K, tensor.Q6_K
		}
		ts = append(ts,
			vec(p+"attn_norm.weight", s.Embd, false),
			mat(p+"attn_q.weight", s.Embd, qDim, base),
			mat(p+"attn_k.weight", s.Embd, kvDim, base),
			mat(p+"attn_v.weight", s.Embd, kvDim, vType),
			mat(p+"attn_output.weight", qDim, s.Embd, base),
			vec(p+"ffn_norm.weight", s.Embd, false),
			mat(p+"ffn_gate.weight", s.Embd, s.FFN, base),
			mat(p+"ffn_up.weight", s.Embd, s.FFN, base),
			mat(p+"ffn_down.weight", s.FFN, s.Embd, downType),
		)
		switch arch {
		case "qwen2":
			ts = append(ts, vec(p+"attn_q.bias", qDim, true), vec(p+"attn_k.bias", kvDim, true), vec(p+"attn_v.bias", kvDim, true))
		case "qwen3":
			ts = append(ts, vec(p+"attn_q_norm.weight", hd, false), vec(p+"attn_k_norm.weight", hd, false))
		}
	}
	return ts
}

// chunkRows is how many rows are drawn from one random stream: fixed, so
// the output does not depend on how the work is split across threads.
const chunkRows = 16

type fillJob struct {
	t          tensorSpec
	seed, salt uint64
	out        []byte
	rowBytes   int
	err        error // first error; only quantizer errors, which cannot happen for finite input
}

func (j *fillJob) Do(lo, hi int) {
	x := make([]float32, chunkRows*j.t.cols)
	for c := lo; c < hi; c++ {
		r0 := c * chunkRows
		r1 := min(r0+chunkRows, j.t.rows)
		xs := x[:(r1-r0)*j.t.cols]
		rng := rand.New(rand.NewPCG(j.seed, j.salt^uint64(c)*0x9e3779b97f4a7c15))
		for i := range xs {
			xs[i] = float32(rng.NormFloat64() * 0.02)
		}
		if err := tensor.Quantize(j.t.typ, xs, j.out[r0*j.rowBytes:r1*j.rowBytes]); err != nil {
			j.err = err
		}
	}
}

// fill returns the data of tensor t: ones, zeros, or N(0, 0.02) draws
// quantized to t.typ.
func fill(t tensorSpec, seed, index uint64) ([]byte, error) {
	rb, err := t.typ.RowBytes(int64(t.cols))
	if err != nil {
		return nil, fmt.Errorf("testmodel: %s: %w", t.name, err)
	}
	out := make([]byte, int(rb)*t.rows)
	if t.ones || t.zeros {
		x := make([]float32, t.cols*t.rows)
		if t.ones {
			for i := range x {
				x[i] = 1
			}
		}
		return out, tensor.Quantize(t.typ, x, out)
	}
	h := fnv.New64a()
	h.Write([]byte(t.name))
	j := &fillJob{t: t, seed: seed, salt: h.Sum64() ^ index, out: out, rowBytes: int(rb)}
	parallel.Run((t.rows+chunkRows-1)/chunkRows, 1, j)
	if j.err != nil {
		return nil, fmt.Errorf("testmodel: %s: %w", t.name, j.err)
	}
	return out, nil
}
