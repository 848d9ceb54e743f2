package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// NewCache allocates a contiguous KV cache for ctx positions with keys and
// values stored as elem (tensor.F32 or tensor.F16).
func (m *Model) NewCache(ctx int, elem tensor.Type) (*kv.Contiguous, error) {
	c := m.Config
	return kv.NewContiguous(kv.Shape{Layers: c.Layers, Ctx: ctx, KVHeads: c.KVHeads, HeadDim: c.HeadDim, ElemType: elem})
}

// Forward runs tokens at positions pos..pos+len(tokens)-1, storing their
// keys and values in cache (which must already hold positions 0..pos-1).
// It returns the logits of the last token, or of every token (row-major
// [len(tokens)][Vocab]) when all is set.
func (m *Model) Forward(tokens []int32, pos int, cache kv.Cache, all bool) ([]float32, error) {
	out, err := m.ForwardBatch([]Seq{{Tokens: tokens, Pos: pos, Cache: cache, All: all}})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Seq is one sequence's share of a batched forward pass.
type Seq struct {
	Tokens []int32
	Pos    int      // position of Tokens[0]
	Cache  kv.Cache // the sequence's own cache
	All    bool     // logits for every token, not only the last
}

// ForwardBatch runs several sequences in one pass: every weight matrix is
// read once for all their tokens (decode is bandwidth-bound, so this is
// what makes serving many streams cheap), while each sequence attends only
// over its own cache. It returns each sequence's logits as Forward would.
func (m *Model) ForwardBatch(seqs []Seq) ([][]float32, error) {
	c := &m.Config
	n := 0
	for si, s := range seqs {
		if err := m.checkSeq(s); err != nil {
			if len(seqs) > 1 {
				err = fmt.Errorf("sequence %d: %w", si, err)
			}
			return nil, err
		}
		n += len(s.Tokens)
	}
	if n == 0 {
		return nil, errors.New("model: no sequences to run")
	}
	E, qDim, kvDim := c.Embd, c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	x := make([]float32, n*E)
	h := make([]float32, n*E)
	q := make([]float32, n*qDim)
	k := make([]float32, n*kvDim)
	v := make([]float32, n*kvDim)
	att := make([]float32, n*qDim)
	gate := make([]float32, n*c.FFN)
	up := make([]float32, n*c.FFN)
	cs := make([]float32, n*c.RopeDims)

	rb, _ := m.Embedding.Type.RowBytes(int64(E))
	i := 0
	for _, s := range seqs {
		for j, t := range s.Tokens {
			row := m.Embedding.Data[int64(t)*rb : (int64(t)+1)*rb]
			if err := tensor.Dequantize(m.Embedding.Type, row, x[i*E:(i+1)*E]); err != nil {
				return nil, fmt.Errorf("model: embedding of token %d: %w", t, err)
			}
			m.rope.cosSin(s.Pos+j, cs[i*c.RopeDims:(i+1)*c.RopeDims])
			i++
		}
	}
	scale := float32(1 / math.Sqrt(float64(c.HeadDim)))

	// rows[si] is how many of sequence si's last tokens are still carried
	// in x: all of them until the last layer, which row-independent caches
	// let run only for the tokens whose logits are returned.
	rows := make([]int, len(seqs))
	trim := false
	for si, s := range seqs {
		rows[si] = len(s.Tokens)
		trim = trim || (!s.All && len(s.Tokens) > 1 && kv.IsRowIndependent(s.Cache))
	}
	neox := m.rope.mode == RopeNeox
	for li := range m.Layers {
		ly := &m.Layers[li]
		if err := rmsNorm(h[:n*E], x[:n*E], ly.AttnNorm, E, c.RMSEps); err != nil {
			return nil, err
		}
		if err := matmul(k, &ly.K, h, n); err != nil {
			return nil, err
		}
		if err := matmul(v, &ly.V, h, n); err != nil {
			return nil, err
		}
		if c.QKVBias {
			addBias(k[:n*kvDim], ly.KBias)
			addBias(v[:n*kvDim], ly.VBias)
		}
		if c.QKNorm {
			if err := rmsNorm(k[:n*kvDim], k[:n*kvDim], ly.KNorm, c.HeadDim, c.RMSEps); err != nil {
				return nil, err
			}
		}
		for i := 0; i < n; i++ {
			if err := tensor.Rope(k[i*kvDim:(i+1)*kvDim], c.KVHeads, c.HeadDim, m.rope.dims, neox, cs[i*c.RopeDims:(i+1)*c.RopeDims]); err != nil {
				return nil, fmt.Errorf("model: rope: %w", err)
			}
		}
		i := 0
		for _, s := range seqs {
			ns := len(s.Tokens)
			if err := s.Cache.Store(li, s.Pos, k[i*kvDim:(i+ns)*kvDim], v[i*kvDim:(i+ns)*kvDim], ns); err != nil {
				return nil, err
			}
			i += ns
		}
		if trim && li == len(m.Layers)-1 {
			n = m.trimRows(seqs, rows, h, x, cs)
		}
		if err := matmul(q, &ly.Q, h, n); err != nil {
			return nil, err
		}
		if c.QKVBias {
			addBias(q[:n*qDim], ly.QBias)
		}
		if c.QKNorm {
			if err := rmsNorm(q[:n*qDim], q[:n*qDim], ly.QNorm, c.HeadDim, c.RMSEps); err != nil {
				return nil, err
			}
		}
		for i := 0; i < n; i++ {
			if err := tensor.Rope(q[i*qDim:(i+1)*qDim], c.Heads, c.HeadDim, m.rope.dims, neox, cs[i*c.RopeDims:(i+1)*c.RopeDims]); err != nil {
				return nil, fmt.Errorf("model: rope: %w", err)
			}
		}
		i = 0
		for si, s := range seqs {
			nr := rows[si]
			at := s.Pos + len(s.Tokens) - nr
			if err := s.Cache.Attend(li, at, q[i*qDim:(i+nr)*qDim], nr, c.Heads, scale, att[i*qDim:(i+nr)*qDim]); err != nil {
				return nil, err
			}
			i += nr
		}
		if err := matmul(h, &ly.O, att, n); err != nil {
			return nil, err
		}
		addInPlace(x[:n*E], h[:n*E])

		if err := rmsNorm(h[:n*E], x[:n*E], ly.FFNNorm, E, c.RMSEps); err != nil {
			return nil, err
		}
		if err := matmul(gate, &ly.Gate, h, n); err != nil {
			return nil, err
		}
		if err := matmul(up, &ly.Up, h, n); err != nil {
			return nil, err
		}
		if err := tensor.SwiGLU(gate[:n*c.FFN], gate[:n*c.FFN], up[:n*c.FFN]); err != nil {
			return nil, err
		}
		if err := matmul(h, &ly.Down, gate, n); err != nil {
			return nil, err
		}
		addInPlace(x[:n*E], h[:n*E])
	}

	// Only the rows whose logits are wanted go through the output matrix.
	out := h[:0]
	i = 0
	for si, s := range seqs {
		nr := rows[si]
		if s.All {
			out = append(out, x[i*E:(i+nr)*E]...)
		} else {
			out = append(out, x[(i+nr-1)*E:(i+nr)*E]...)
		}
		i += nr
	}
	nr := len(out) / E
	if err := rmsNorm(out, out, m.OutNorm, E, c.RMSEps); err != nil {
		return nil, err
	}
	logits := make([]float32, nr*c.Vocab)
	if err := matmul(logits, &m.Output, out, nr); err != nil {
		return nil, err
	}
	res := make([][]float32, len(seqs))
	off := 0
	for si, s := range seqs {
		r := 1
		if s.All {
			r = len(s.Tokens)
		}
		res[si] = logits[off*c.Vocab : (off+r)*c.Vocab : (off+r)*c.Vocab]
		off += r
	}
	return res, nil
}

// trimRows keeps, of each sequence whose cache allows it and whose
// logits are wanted for its last token only, that token's row of h, x and
// the rotation table cs (rows are compacted in place, in order); it
// updates rows and returns the number of rows left.
func (m *Model) trimRows(seqs []Seq, rows []int, h, x, cs []float32) int {
	E, R := m.Config.Embd, m.Config.RopeDims
	from, to := 0, 0
	for si, s := range seqs {
		ns := len(s.Tokens)
		keep := ns
		if !s.All && kv.IsRowIndependent(s.Cache) {
			keep = 1
		}
		for j := ns - keep; j < ns; j++ {
			copy(h[to*E:(to+1)*E], h[(from+j)*E:(from+j+1)*E])
			copy(x[to*E:(to+1)*E], x[(from+j)*E:(from+j+1)*E])
			copy(cs[to*R:(to+1)*R], cs[(from+j)*R:(from+j+1)*R])
			to++
		}
		rows[si] = keep
		from += ns
	}
	return to
}

func (m *Model) checkSeq(s Seq) error {
	if len(s.Tokens) == 0 {
		return errors.New("model: no tokens to run")
	}
	if s.Cache == nil {
		return errors.New("model: no KV cache")
	}
	if s.Pos < 0 || s.Pos > s.Cache.Len() {
		return fmt.Errorf("model: position %d but the cache holds %d", s.Pos, s.Cache.Len())
	}
	if s.Pos+len(s.Tokens) > s.Cache.Capacity() {
		return fmt.Errorf("model: %d tokens at position %d exceed the context of %d tokens", len(s.Tokens), s.Pos, s.Cache.Capacity())
	}
	for i, t := range s.Tokens {
		if t < 0 || int(t) >= m.Config.Vocab {
			return fmt.Errorf("model: token %d (at index %d) is outside the vocabulary of %d", t, i, m.Config.Vocab)
		}
	}
	return nil
}

// matmul multiplies the first n rows of x (buffers may be longer: the
// last layer can run fewer rows).
func matmul(dst []float32, w *Weight, x []float32, n int) error {
	if len(x) > n*w.Cols {
		x = x[:n*w.Cols]
	}
	if len(dst) > n*w.Rows {
		dst = dst[:n*w.Rows]
	}
	var err error
	if w.packed != nil {
		err = tensor.MatMulPacked(dst, w.packed, x, n)
	} else {
		err = tensor.MatMul(dst, w.Data, w.Type, w.Rows, w.Cols, x, n)
	}
	if err != nil {
		return fmt.Errorf("model: %s: %w", w.Name, err)
	}
	return nil
}

// rmsNorm normalises each width-wide row of x into dst and multiplies by
// weight (tensor.RMSNorm: ggml's roundings, which feed the next 8-bit
// activation quantization).
func rmsNorm(dst, x, weight []float32, width int, eps float32) error {
	if len(weight) != width || len(dst) < len(x) {
		return fmt.Errorf("model: rms norm of rows of %d with %d weights", width, len(weight))
	}
	return tensor.RMSNorm(dst[:len(x)], x, weight, eps)
}

func addBias(x, b []float32) {
	for off := 0; off < len(x); off += len(b) {
		for i, v := range b {
			x[off+i] += v
		}
	}
}

func addInPlace(x, y []float32) {
	for i, v := range y {
		x[i] += v
	}
}
