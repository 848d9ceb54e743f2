package train

import (
	"fmt"
	"io"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tensor"
)

// ExportOptions say how to write a model.
type ExportOptions struct {
	Type tensor.Type // matrices: tensor.F32, tensor.F16 or tensor.Q8_0; norms are always F32
	Name string      // general.name
	// RopeScaling, when "linear" or "yarn", stretches positions by
	// RopeFactor beyond the training context (llama.rope.scaling.*).
	RopeScaling string
	RopeFactor  float32
	// RopeFreqBase, when non-zero, replaces the training RoPE base (an
	// "NTK-aware" extension is a larger base).
	RopeFreqBase float32
}

type metaKV struct {
	k string
	v gguf.Value
}

// ggml file-type codes (general.file_type).
var fileTypes = map[tensor.Type]uint32{tensor.F32: 0, tensor.F16: 1, tensor.Q8_0: 7}

// WriteGGUF writes the model and vocabulary as a llama GGUF file that
// internal/model and llama.cpp load.
func (m *Model) WriteGGUF(out io.Writer, v *Vocab, o ExportOptions) (int64, error) {
	ft, ok := fileTypes[o.Type]
	if !ok {
		return 0, fmt.Errorf("train: export type %s (want f32, f16 or q8_0)", o.Type)
	}
	if len(v.Tokens) != m.Cfg.Vocab {
		return 0, fmt.Errorf("train: vocabulary has %d tokens, model %d", len(v.Tokens), m.Cfg.Vocab)
	}
	c := m.Cfg
	hd := uint32(c.HeadDim())
	base := c.RopeBase
	if o.RopeFreqBase != 0 {
		base = o.RopeFreqBase
	}
	name := o.Name
	if name == "" {
		name = "longctx"
	}
	w := gguf.NewWriter()
	kvs := []metaKV{
		{"general.architecture", gguf.String("llama")},
		{"general.name", gguf.String(name)},
		{"general.file_type", gguf.Uint32(ft)},
		{"general.quantization_version", gguf.Uint32(2)},
		{"llama.vocab_size", gguf.Uint32(uint32(c.Vocab))},
		{"llama.context_length", gguf.Uint32(uint32(c.Ctx))},
		{"llama.embedding_length", gguf.Uint32(uint32(c.Embd))},
		{"llama.block_count", gguf.Uint32(uint32(c.Layers))},
		{"llama.feed_forward_length", gguf.Uint32(uint32(c.FFN))},
		{"llama.attention.head_count", gguf.Uint32(uint32(c.Heads))},
		{"llama.attention.head_count_kv", gguf.Uint32(uint32(c.KVHeads))},
		{"llama.attention.key_length", gguf.Uint32(hd)},
		{"llama.attention.value_length", gguf.Uint32(hd)},
		{"llama.rope.dimension_count", gguf.Uint32(hd)},
		{"llama.rope.freq_base", gguf.Float32(base)},
		{"llama.attention.layer_norm_rms_epsilon", gguf.Float32(c.RMSEps)},
	}
	if err := checkExportRope(o.RopeScaling, o.RopeFactor); err != nil {
		return 0, err
	}
	if o.RopeScaling == "linear" || o.RopeScaling == "yarn" {
		kvs = append(kvs,
			metaKV{"llama.rope.scaling.type", gguf.String(o.RopeScaling)},
			metaKV{"llama.rope.scaling.factor", gguf.Float32(o.RopeFactor)},
			metaKV{"llama.rope.scaling.original_context_length", gguf.Uint32(uint32(c.Ctx))})
	}
	for _, kv := range kvs {
		if err := w.AddKV(kv.k, kv.v); err != nil {
			return 0, err
		}
	}
	if err := v.AddTo(w); err != nil {
		return 0, err
	}
	for _, t := range m.Tensors {
		typ := o.Type
		dims := []int64{int64(t.Cols), int64(t.Rows)}
		if t.Vector {
			typ, dims = tensor.F32, dims[:1]
		}
		rb, err := typ.RowBytes(int64(t.Cols))
		if err != nil {
			return 0, fmt.Errorf("train: %s as %s: %w", t.Name, typ, err)
		}
		data := make([]byte, rb*int64(t.Rows))
		if err := tensor.Quantize(typ, t.W, data); err != nil {
			return 0, fmt.Errorf("train: %s as %s: %w", t.Name, typ, err)
		}
		if err := w.AddTensor(t.Name, typ, dims, data); err != nil {
			return 0, err
		}
	}
	return w.WriteTo(out)
}

// checkExportRope checks the RoPE scaling an export writes.
func checkExportRope(typ string, factor float32) error {
	switch typ {
	case "", "none":
		return nil
	case "linear", "yarn":
		if !(factor > 1) {
			return fmt.Errorf("train: rope scaling %s needs a factor > 1, got %g", typ, factor)
		}
		return nil
	}
	return fmt.Errorf("train: rope scaling %q (want none, linear or yarn)", typ)
}

// checkExportType checks an export's tensor type name.
func checkExportType(name string) error {
	t, err := tensor.ParseType(name)
	if _, ok := fileTypes[t]; err != nil || !ok {
		return fmt.Errorf("train: export type %q (want f32, f16 or q8_0)", name)
	}
	return nil
}
