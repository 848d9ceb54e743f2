package train

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Tensor is one trainable weight with its gradient. A matrix has Rows rows
// of Cols elements (row-major, the ggml layout: GGUF dims [Cols, Rows]); a
// vector (a norm weight) has Rows = 1 and Vector set.
type Tensor struct {
	Name       string
	Rows, Cols int
	Vector     bool
	W, G       []float32
}

func newTensor(name string, rows, cols int, vector bool) *Tensor {
	return &Tensor{Name: name, Rows: rows, Cols: cols, Vector: vector,
		W: make([]float32, rows*cols), G: make([]float32, rows*cols)}
}

// Block holds one transformer block's weights.
type Block struct {
	AttnNorm, Q, K, V, O  *Tensor
	FFNNorm, Gate, Up, Dn *Tensor
}

// Model is a trainable llama model.
type Model struct {
	Cfg     Config
	Embd    *Tensor
	Out     *Tensor // == Embd when tied
	OutNorm *Tensor
	Blocks  []Block
	// Tensors lists every distinct tensor in GGUF order; optimizer state,
	// checkpoints and export walk it.
	Tensors []*Tensor
	rope    *rope
}

// NewModel allocates a model and initialises it from seed: matrices
// N(0, 0.02²) (output projections of each block scaled by 1/sqrt(2·layers),
// as GPT-2 does, so the residual stream does not grow with depth), norms 1.
func NewModel(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := newModel(cfg)
	rng := rand.New(rand.NewPCG(seed, 0x6c6f6e67637478))
	resid := 0.02 / math.Sqrt(2*float64(cfg.Layers))
	for _, t := range m.Tensors {
		if t.Vector {
			for i := range t.W {
				t.W[i] = 1
			}
			continue
		}
		std := 0.02
		for _, b := range m.Blocks {
			if t == b.O || t == b.Dn {
				std = resid
			}
		}
		for i := range t.W {
			t.W[i] = float32(rng.NormFloat64() * std)
		}
	}
	return m, nil
}

func newModel(cfg Config) *Model {
	hd := cfg.HeadDim()
	qDim, kvDim := cfg.Heads*hd, cfg.KVHeads*hd
	m := &Model{Cfg: cfg}
	m.Embd = newTensor("token_embd.weight", cfg.Vocab, cfg.Embd, false)
	m.Tensors = append(m.Tensors, m.Embd)
	m.OutNorm = newTensor("output_norm.weight", 1, cfg.Embd, true)
	m.Tensors = append(m.Tensors, m.OutNorm)
	if cfg.Tied {
		m.Out = m.Embd
	} else {
		m.Out = newTensor("output.weight", cfg.Vocab, cfg.Embd, false)
		m.Tensors = append(m.Tensors, m.Out)
	}
	for l := 0; l < cfg.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		b := Block{
			AttnNorm: newTensor(p+"attn_norm.weight", 1, cfg.Embd, true),
			Q:        newTensor(p+"attn_q.weight", qDim, cfg.Embd, false),
			K:        newTensor(p+"attn_k.weight", kvDim, cfg.Embd, false),
			V:        newTensor(p+"attn_v.weight", kvDim, cfg.Embd, false),
			O:        newTensor(p+"attn_output.weight", cfg.Embd, qDim, false),
			FFNNorm:  newTensor(p+"ffn_norm.weight", 1, cfg.Embd, true),
			Gate:     newTensor(p+"ffn_gate.weight", cfg.FFN, cfg.Embd, false),
			Up:       newTensor(p+"ffn_up.weight", cfg.FFN, cfg.Embd, false),
			Dn:       newTensor(p+"ffn_down.weight", cfg.Embd, cfg.FFN, false),
		}
		m.Blocks = append(m.Blocks, b)
		m.Tensors = append(m.Tensors, b.AttnNorm, b.Q, b.K, b.V, b.O, b.FFNNorm, b.Gate, b.Up, b.Dn)
	}
	m.rope = newRope(hd, cfg.RopeBase)
	return m
}

// ZeroGrad clears every gradient.
func (m *Model) ZeroGrad() {
	for _, t := range m.Tensors {
		clear(t.G)
	}
}
