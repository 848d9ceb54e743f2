package plan

import (
	"fmt"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

// Model is what the plan needs of a model: its geometry and the size of
// its weights.
type Model struct {
	Layers, Heads, KVHeads, HeadDim int
	Embd, FFN, Vocab, RopeDims      int
	// WeightBytes is the memory the weights take.
	WeightBytes int64
	// StepBytes is what one forward pass reads of the weights: every
	// layer's matrices and the output matrix.
	StepBytes int64
	// LayerParams counts the elements of every layer's matrices (2 FLOPs
	// each per token); OutputParams those of the output matrix (2 FLOPs
	// each per row of logits).
	LayerParams, OutputParams int64
}

// FromModel reads a loaded model's geometry and weight sizes.
func FromModel(m *model.Model) Model {
	c := m.Config
	pm := Model{
		Layers: c.Layers, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim,
		Embd: c.Embd, FFN: c.FFN, Vocab: c.Vocab, RopeDims: c.RopeDims,
		WeightBytes: m.Bytes(),
	}
	for _, l := range m.Layers {
		for _, w := range []model.Weight{l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down} {
			pm.StepBytes += int64(len(w.Data))
			pm.LayerParams += int64(w.Rows) * int64(w.Cols)
		}
	}
	pm.StepBytes += int64(len(m.Output.Data))
	pm.OutputParams = int64(m.Output.Rows) * int64(m.Output.Cols)
	return pm
}

// Params is the number of weights a token passes through.
func (m Model) Params() int64 { return m.LayerParams + m.OutputParams }

// Plan is the serving memory model of one model with one KV cache layout.
type Plan struct {
	Model Model
	// KVType is the KV cache element type.
	KVType tensor.Type
	// BlockSize is the number of positions of a KV block; memory is
	// counted in whole blocks.
	BlockSize int
	// StepTokens is the most tokens of one forward pass, which sizes the
	// activation buffers.
	StepTokens int

	kvPerToken int64
}

// New makes the plan of m with a KV cache of kvType in blocks of
// blockSize positions (0: the kv package's default), running forward
// passes of up to stepTokens tokens (0: 256).
func New(m Model, kvType tensor.Type, blockSize, stepTokens int) (Plan, error) {
	if blockSize == 0 {
		blockSize = kv.DefaultBlockSize
	}
	if stepTokens == 0 {
		stepTokens = 256
	}
	if m.Layers <= 0 || m.KVHeads <= 0 || m.HeadDim <= 0 {
		return Plan{}, fmt.Errorf("plan: model geometry %d layers, %d KV heads, head width %d", m.Layers, m.KVHeads, m.HeadDim)
	}
	if blockSize <= 0 || stepTokens <= 0 {
		return Plan{}, fmt.Errorf("plan: block size %d and step tokens %d must be positive", blockSize, stepTokens)
	}
	row, err := kvType.RowBytes(int64(m.HeadDim))
	if err != nil {
		return Plan{}, fmt.Errorf("plan: KV type %s for heads of %d: %w", kvType, m.HeadDim, err)
	}
	return Plan{Model: m, KVType: kvType, BlockSize: blockSize, StepTokens: stepTokens,
		kvPerToken: 2 * int64(m.Layers) * int64(m.KVHeads) * row}, nil
}

// KVPerToken is S, the KV bytes of one position: keys and values
// (2) × layers × KV heads × one head's row of KVType.
func (p Plan) KVPerToken() int64 { return p.kvPerToken }

// BlockBytes is the memory of one KV block.
func (p Plan) BlockBytes() int64 { return int64(p.BlockSize) * p.kvPerToken }

// SeqBlocks is the number of blocks a sequence of n positions holds.
func (p Plan) SeqBlocks(n int) int64 { return (int64(n) + int64(p.BlockSize) - 1) / int64(p.BlockSize) }

// SeqKVBytes is the KV memory of a sequence of n positions, in whole
// blocks.
func (p Plan) SeqKVBytes(n int) int64 { return p.SeqBlocks(n) * p.BlockBytes() }

// ActivationBytes bounds the buffers of one forward pass of StepTokens
// tokens (hidden states, projections, FFN, rotary tables and a row of
// logits per token), doubled because they are garbage after each step and
// the collector lets the heap grow to twice what is live.
func (p Plan) ActivationBytes() int64 {
	m := p.Model
	perToken := 2*m.Embd + 2*m.Heads*m.HeadDim + 2*m.KVHeads*m.HeadDim + 2*m.FFN + m.RopeDims + m.Vocab
	return 2 * 4 * int64(p.StepTokens) * int64(perToken)
}

// Fit is how a memory budget splits between weights, activations and KV.
type Fit struct {
	RAM         int64 // the budget
	Weights     int64
	Activations int64
	KVBudget    int64 // what is left for KV blocks (0 if nothing)
	Ctx         int   // positions per sequence
	SeqKV       int64 // KV of one sequence of Ctx positions
	MaxSeqs     int   // ⌊KVBudget / SeqKV⌋: concurrent sequences at full context
}

// Fit splits ram: weights and activations first, the rest is the KV
// budget, which holds MaxSeqs sequences of ctx positions.
func (p Plan) Fit(ram int64, ctx int) Fit {
	f := Fit{RAM: ram, Weights: p.Model.WeightBytes, Activations: p.ActivationBytes(), Ctx: ctx, SeqKV: p.SeqKVBytes(ctx)}
	f.KVBudget = max(0, ram-f.Weights-f.Activations)
	if f.SeqKV > 0 {
		f.MaxSeqs = int(f.KVBudget / f.SeqKV)
	}
	return f
}

// Rates are a machine's two limits.
type Rates struct {
	Bandwidth float64 // bytes read from memory per second
	FLOPS     float64 // floating-point operations per second (a multiply-add is 2)
}

// Cost is the work of a pass and the time it takes on a machine: the
// larger of reading Bytes at the bandwidth and computing FLOPs at the
// FLOP rate (a roofline; a CPU overlaps the two).
type Cost struct {
	Bytes, FLOPs float64
	Seconds      float64
}

// ComputeBound reports whether the FLOPs, not the reads, set the time.
func (c Cost) ComputeBound(r Rates) bool { return c.FLOPs/r.FLOPS > c.Bytes/r.Bandwidth }

func (c *Cost) add(bytes, flops float64, r Rates) {
	c.Bytes += bytes
	c.FLOPs += flops
	c.Seconds += max(bytes/r.Bandwidth, flops/r.FLOPS)
}

// attentionFLOPs is causal attention of n queries at positions
// depth..depth+n-1: each query attends to every position up to its own,
// 2·HeadDim FLOPs for the score and 2·HeadDim for the weighted value, per
// head and layer.
func (p Plan) attentionFLOPs(depth, n int) float64 {
	m := p.Model
	pairs := float64(n)*float64(depth) + float64(n)*float64(n+1)/2
	return 4 * float64(m.Layers) * float64(m.Heads) * float64(m.HeadDim) * pairs
}

// PrefillFLOPs splits the FLOPs of a prefill of n tokens after depth
// cached positions into the matrices' (2 per weight per token, and the
// output matrix once, for the last token's logits) and attention's.
func (p Plan) PrefillFLOPs(depth, n int) (linear, attention float64) {
	return 2*float64(n)*float64(p.Model.LayerParams) + 2*float64(p.Model.OutputParams), p.attentionFLOPs(depth, n)
}

// Prefill is the cost of prefilling n tokens after depth cached ones in
// passes of StepTokens: each pass reads the weights once and the KV
// before it.
func (p Plan) Prefill(depth, n int, r Rates) Cost {
	var c Cost
	for done := 0; done < n; {
		k := min(p.StepTokens, n-done)
		lin := 2 * float64(k) * float64(p.Model.LayerParams)
		if done+k == n {
			lin += 2 * float64(p.Model.OutputParams)
		}
		bytes := float64(p.Model.StepBytes) + float64(p.kvPerToken)*float64(depth+done)
		c.add(bytes, lin+p.attentionFLOPs(depth+done, k), r)
		done += k
	}
	return c
}

// DecodeStep is one batched decode step of sequences at the given depths
// (positions already cached): the weights are read once for all of them,
// each sequence's KV once for itself.
func (p Plan) DecodeStep(depths []int, r Rates) Cost {
	var c Cost
	bytes := float64(p.Model.StepBytes)
	var flops float64
	for _, d := range depths {
		bytes += float64(p.kvPerToken) * float64(d)
		flops += 2*float64(p.Model.Params()) + p.attentionFLOPs(d, 1)
	}
	c.add(bytes, flops, r)
	return c
}

// Decode is the cost of generating nOut tokens for one sequence whose
// cache holds depth positions, step by step.
func (p Plan) Decode(depth, nOut int, r Rates) Cost {
	var c Cost
	for i := range nOut {
		s := p.DecodeStep([]int{depth + i}, r)
		c.add(s.Bytes, s.FLOPs, r)
	}
	return c
}
