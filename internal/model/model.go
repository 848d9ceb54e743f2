package model

import (
	"fmt"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/tensor"
)

// Weight is a 2-D weight matrix of Rows rows of Cols elements, in its
// stored type, viewing the mapped file.
type Weight struct {
	Name string
	Type tensor.Type
	Rows int
	Cols int
	Data []byte
	// packed, after Model.PackWeights, holds the rows interleaved for the
	// small-batch kernels (Data stays in use for prefill tiles).
	packed *tensor.Packed
}

// Layer holds one transformer block's weights.
type Layer struct {
	AttnNorm       []float32
	Q, K, V, O     Weight
	QBias, KBias   []float32
	VBias          []float32
	QNorm, KNorm   []float32
	FFNNorm        []float32
	Gate, Up, Down Weight
}

// Model is a loaded model. It is read-only and safe to share between
// goroutines; per-sequence state lives in a kv.Cache.
type Model struct {
	Config    Config
	Embedding Weight
	Output    Weight
	OutNorm   []float32
	Layers    []Layer
	rope      *ropeTable
	// fileRopeBase is the file's base, which SetRopeScaling's NTK scaling
	// starts from.
	fileRopeBase float32
}

// computeTypes are the weight types the forward pass can multiply.
var computeTypes = map[tensor.Type]bool{
	tensor.F32: true, tensor.F16: true, tensor.BF16: true,
	tensor.Q8_0: true, tensor.Q4_0: true, tensor.Q4_1: true, tensor.Q5_0: true, tensor.Q5_1: true,
	tensor.Q4_K: true, tensor.Q5_K: true, tensor.Q6_K: true,
}

// Load builds a model over the tensors of f, which must stay open while
// the model is used.
func Load(f *gguf.File) (*Model, error) {
	cfg, err := readConfig(f)
	if err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	m := &Model{Config: cfg}
	l := loader{f: f}
	emb := l.weight("token_embd.weight", cfg.Embd, -1)
	if l.err != nil {
		return nil, l.err
	}
	m.Embedding = emb
	if v, ok := f.Uint(cfg.Arch + ".vocab_size"); ok && int(v) != emb.Rows {
		return nil, fmt.Errorf("%s.vocab_size %d does not match token_embd.weight's %d rows", cfg.Arch, v, emb.Rows)
	}
	m.Config.Vocab = emb.Rows
	if _, ok := f.Tensor("output.weight"); ok {
		m.Output = l.weight("output.weight", cfg.Embd, emb.Rows)
	} else {
		m.Output, m.Config.TiedOutput = emb, true
	}
	m.OutNorm = l.vector("output_norm.weight", cfg.Embd)
	qDim, kvDim := cfg.Heads*cfg.HeadDim, cfg.KVHeads*cfg.HeadDim
	for i := 0; i < cfg.Layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		ly := Layer{
			AttnNorm: l.vector(p+"attn_norm.weight", cfg.Embd),
			Q:        l.weight(p+"attn_q.weight", cfg.Embd, qDim),
			K:        l.weight(p+"attn_k.weight", cfg.Embd, kvDim),
			V:        l.weight(p+"attn_v.weight", cfg.Embd, kvDim),
			O:        l.weight(p+"attn_output.weight", qDim, cfg.Embd),
			FFNNorm:  l.vector(p+"ffn_norm.weight", cfg.Embd),
			Gate:     l.weight(p+"ffn_gate.weight", cfg.Embd, cfg.FFN),
			Up:       l.weight(p+"ffn_up.weight", cfg.Embd, cfg.FFN),
			Down:     l.weight(p+"ffn_down.weight", cfg.FFN, cfg.Embd),
		}
		if cfg.QKVBias {
			ly.QBias = l.vector(p+"attn_q.bias", qDim)
			ly.KBias = l.vector(p+"attn_k.bias", kvDim)
			ly.VBias = l.vector(p+"attn_v.bias", kvDim)
		}
		if cfg.QKNorm {
			ly.QNorm = l.vector(p+"attn_q_norm.weight", cfg.HeadDim)
			ly.KNorm = l.vector(p+"attn_k_norm.weight", cfg.HeadDim)
		}
		m.Layers = append(m.Layers, ly)
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		m.Config.Rope.FreqFactors = l.vector("rope_freqs.weight", cfg.RopeDims/2)
	}
	if l.err != nil {
		return nil, l.err
	}
	m.rope = newRopeTable(&m.Config)
	m.fileRopeBase = m.Config.RopeBase
	return m, nil
}

type loader struct {
	f   *gguf.File
	err error
}

// weight fetches a matrix of rows x cols (rows < 0: any number of rows).
func (l *loader) weight(name string, cols, rows int) Weight {
	if l.err != nil {
		return Weight{}
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		l.err = fmt.Errorf("tensor %s is missing", name)
		return Weight{}
	}
	if len(t.Dims) != 2 || t.Dims[0] != int64(cols) || (rows >= 0 && t.Dims[1] != int64(rows)) {
		want := fmt.Sprintf("[%d %d]", cols, rows)
		if rows < 0 {
			want = fmt.Sprintf("[%d n_vocab]", cols)
		}
		l.err = fmt.Errorf("tensor %s has shape %v, want %s", name, t.Dims, want)
		return Weight{}
	}
	if !computeTypes[t.Type] {
		l.err = fmt.Errorf("tensor %s has type %s, which longctx cannot compute with", name, t.Type)
		return Weight{}
	}
	return Weight{Name: name, Type: t.Type, Rows: int(t.Dims[1]), Cols: int(t.Dims[0]), Data: t.Data}
}

// vector fetches a 1-D tensor of n elements as f32.
func (l *loader) vector(name string, n int) []float32 {
	if l.err != nil {
		return nil
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		l.err = fmt.Errorf("tensor %s is missing", name)
		return nil
	}
	if t.Elements() != int64(n) {
		l.err = fmt.Errorf("tensor %s has shape %v, want [%d]", name, t.Dims, n)
		return nil
	}
	out := make([]float32, n)
	if err := tensor.Dequantize(t.Type, t.Data, out); err != nil {
		l.err = fmt.Errorf("tensor %s: %w", name, err)
		return nil
	}
	return out
}

// PackWeights re-lays every matrix out row-interleaved for the packed
// mat-vec kernels (tensor.Pack): 8 rows' blocks side by side, so one
// stream's decode reads weights in long runs and batched decode of several
// sequences applies each block's scales to 8 rows at once. The file's
// copy of a packed matrix is then evicted from memory (gguf.Evict), so
// resident memory stays about the weights' size. It returns the bytes of
// the packed copies.
func (m *Model) PackWeights() (int64, error) {
	var added int64
	pack := func(w *Weight) error {
		if w.packed != nil {
			return nil
		}
		p, err := tensor.Pack(w.Type, w.Rows, w.Cols, w.Data)
		if err != nil {
			return fmt.Errorf("model: packing %s: %w", w.Name, err)
		}
		w.packed = p
		if p.Interleaved() {
			added += int64(len(w.Data))
			gguf.Evict(w.Data)
		}
		return nil
	}
	for li := range m.Layers {
		ly := &m.Layers[li]
		for _, w := range []*Weight{&ly.Q, &ly.K, &ly.V, &ly.O, &ly.Gate, &ly.Up, &ly.Down} {
			if err := pack(w); err != nil {
				return added, err
			}
		}
	}
	return added, pack(&m.Output)
}

// Bytes is the size of all weights.
func (m *Model) Bytes() int64 {
	n := int64(len(m.Embedding.Data))
	if !m.Config.TiedOutput {
		n += int64(len(m.Output.Data))
	}
	for _, ly := range m.Layers {
		for _, w := range []Weight{ly.Q, ly.K, ly.V, ly.O, ly.Gate, ly.Up, ly.Down} {
			n += int64(len(w.Data))
		}
	}
	return n
}
