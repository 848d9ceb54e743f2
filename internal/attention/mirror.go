package attention

import (
	"fmt"
	"unsafe"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// keyMirror is a policy's own copy of one layer's keys, per KV head, as
// rows the tensor package multiplies fast: q8_0 when the head width is a
// multiple of 32 (about a quarter of an f16 cache's keys and values),
// else f32. It is filled from the inner cache's ReadKeys, so it sees the
// keys as stored (after the cache's rounding) and catches up on positions
// it never saw stored (a loaded prefix).
type keyMirror struct {
	typ      tensor.Type
	hd       int
	rowBytes int
	rows     [][]byte // per KV head, n rows
	// packed holds the rows interleaved 8 at a time as well (where this CPU
	// has kernels for that), extended as rows arrive: scoring then runs
	// the packed kernels instead of interleaving on every call.
	packed []*tensor.Packed
	n      int
	buf    []float32
	out    [][]float32 // per KV head: scores may run for several heads at once
}

func newKeyMirror(sh kv.Shape) *keyMirror {
	m := &keyMirror{typ: tensor.F32, hd: sh.HeadDim, rows: make([][]byte, sh.KVHeads),
		packed: make([]*tensor.Packed, sh.KVHeads), out: make([][]float32, sh.KVHeads)}
	if sh.HeadDim%32 == 0 {
		m.typ = tensor.Q8_0
	}
	rb, _ := m.typ.RowBytes(int64(sh.HeadDim))
	m.rowBytes = int(rb)
	return m
}

// sync extends the mirror to every stored position of layer.
func (m *keyMirror) sync(inner kv.Selective, layer int) error {
	to := inner.Len()
	if to <= m.n {
		return nil
	}
	const step = 1024 // positions read at a time
	for from := m.n; from < to; from += step {
		end := min(to, from+step)
		m.buf = grow(m.buf, (end-from)*m.hd)
		for g := range m.rows {
			if err := inner.ReadKeys(layer, g, from, end, m.buf); err != nil {
				return err
			}
			r := m.rows[g]
			r = append(r, make([]byte, (end-from)*m.rowBytes)...)
			if err := tensor.Quantize(m.typ, m.buf, r[from*m.rowBytes:]); err != nil {
				return fmt.Errorf("attention: key mirror: %w", err)
			}
			m.rows[g] = r
		}
	}
	for g := range m.rows {
		p, err := tensor.PackMore(m.packed[g], m.typ, to, m.hd, m.rows[g])
		if err != nil {
			return fmt.Errorf("attention: key mirror: %w", err)
		}
		m.packed[g] = p
	}
	m.n = to
	return nil
}

func (m *keyMirror) forget(n int) {
	if n < m.n {
		m.n = n
		for g := range m.rows {
			m.rows[g] = m.rows[g][:n*m.rowBytes]
			if p := m.packed[g]; p != nil {
				m.packed[g] = p.Prefix(n) // groups past n are packed again at the next sync
			}
		}
	}
}

func (m *keyMirror) bytes() int64 {
	var b int64
	for _, r := range m.rows {
		b += int64(cap(r))
	}
	return b
}

// scores writes dst[t*(to-from)+j] = x_t · key(from+j) for the nx rows of
// x (rows of the head width), over KV head g's keys [from, to).
func (m *keyMirror) scores(dst []float32, g, from, to int, x []float32, nx int) error {
	p := m.packed[g]
	if p == nil || !p.Interleaved() || to < 8 {
		return tensor.MatMul(dst, m.rows[g][from*m.rowBytes:to*m.rowBytes], m.typ, to-from, m.hd, x, nx)
	}
	// The packed rows start at 0: score [0, to) and keep [from, to).
	m.out[g] = grow(m.out[g], nx*to)
	out := m.out[g]
	if err := tensor.MatMulPacked(out, p.Prefix(to), x, nx); err != nil {
		return err
	}
	for t := range nx {
		copy(dst[t*(to-from):(t+1)*(to-from)], out[t*to+from:(t+1)*to])
	}
	return nil
}

// f32Bytes views float32s as the bytes of an f32 matrix for tensor.MatMul.
func f32Bytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
}
