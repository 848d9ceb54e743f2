package observe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/kv"
)

// Head names one attention head.
type Head struct {
	Layer int `json:"layer"`
	Head  int `json:"head"`
}

func (h Head) String() string { return strconv.Itoa(h.Layer) + ":" + strconv.Itoa(h.Head) }

// ParseHeads reads "L:H,L:H,..." (spaces allowed around items).
func ParseHeads(s string) ([]Head, error) {
	var out []Head
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		l, h, ok := strings.Cut(f, ":")
		li, err1 := strconv.Atoi(strings.TrimSpace(l))
		hi, err2 := strconv.Atoi(strings.TrimSpace(h))
		if !ok || err1 != nil || err2 != nil || li < 0 || hi < 0 {
			return nil, fmt.Errorf("observe: bad head %q (want LAYER:HEAD, e.g. 3:1)", f)
		}
		out = append(out, Head{li, hi})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("observe: no heads in %q", s)
	}
	return out, nil
}

// MaskMode is how a masked head is silenced.
type MaskMode int

const (
	// MaskUniform zeroes the head's query: uniform attention over the
	// visible keys, output = mean of the values.
	MaskUniform MaskMode = iota
	// MaskZero zeroes the head's output.
	MaskZero
)

// ParseMaskMode reads "uniform" or "zero".
func ParseMaskMode(s string) (MaskMode, error) {
	switch s {
	case "uniform":
		return MaskUniform, nil
	case "zero":
		return MaskZero, nil
	}
	return 0, fmt.Errorf("observe: mask mode %q (want uniform or zero)", s)
}

// Mask is a kv.Cache that silences chosen heads and passes everything
// else to its inner cache.
type Mask struct {
	inner  kv.Cache
	geo    Geometry
	mode   MaskMode
	masked [][]bool // [layer][head]
	qbuf   []float32
}

// NewMask wraps inner; heads outside the geometry are an error.
func NewMask(inner kv.Cache, g Geometry, heads []Head, mode MaskMode) (*Mask, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if mode != MaskUniform && mode != MaskZero {
		return nil, fmt.Errorf("observe: unknown mask mode %d", mode)
	}
	m := &Mask{inner: inner, geo: g, mode: mode, masked: make([][]bool, g.Layers)}
	for _, h := range heads {
		if h.Layer < 0 || h.Layer >= g.Layers || h.Head < 0 || h.Head >= g.Heads {
			return nil, fmt.Errorf("observe: head %s outside the model's %d layers x %d heads", h, g.Layers, g.Heads)
		}
		if m.masked[h.Layer] == nil {
			m.masked[h.Layer] = make([]bool, g.Heads)
		}
		m.masked[h.Layer][h.Head] = true
	}
	return m, nil
}

// Heads lists the masked heads in (layer, head) order.
func (m *Mask) Heads() []Head {
	var out []Head
	for l, row := range m.masked {
		for h, on := range row {
			if on {
				out = append(out, Head{l, h})
			}
		}
	}
	return out
}

func (m *Mask) Store(layer, pos int, k, v []float32, n int) error {
	return m.inner.Store(layer, pos, k, v, n)
}

func (m *Mask) Len() int       { return m.inner.Len() }
func (m *Mask) Truncate(n int) { m.inner.Truncate(n) }
func (m *Mask) Capacity() int  { return m.inner.Capacity() }
func (m *Mask) Bytes() int64   { return m.inner.Bytes() }

// RowIndependent implements kv.RowIndependent: silencing heads is per row.
func (m *Mask) RowIndependent() bool { return kv.IsRowIndependent(m.inner) }

// Attend implements kv.Cache with the layer's masked heads silenced. The
// caller's q is never modified.
func (m *Mask) Attend(layer, pos int, q []float32, n, nHead int, scale float32, out []float32) error {
	if layer < 0 || layer >= len(m.masked) || m.masked[layer] == nil {
		return m.inner.Attend(layer, pos, q, n, nHead, scale, out)
	}
	if nHead != m.geo.Heads {
		return fmt.Errorf("observe: attend with %d heads, geometry says %d", nHead, m.geo.Heads)
	}
	hd := m.geo.HeadDim
	if len(q) < n*nHead*hd || len(out) < n*nHead*hd {
		return fmt.Errorf("observe: attend of %d queries needs %d floats", n, n*nHead*hd)
	}
	if m.mode == MaskUniform {
		if cap(m.qbuf) < n*nHead*hd {
			m.qbuf = make([]float32, n*nHead*hd)
		}
		qb := m.qbuf[:n*nHead*hd]
		copy(qb, q)
		m.zeroHeads(layer, qb, n)
		q = qb
	}
	if err := m.inner.Attend(layer, pos, q, n, nHead, scale, out); err != nil {
		return err
	}
	if m.mode == MaskZero {
		m.zeroHeads(layer, out, n)
	}
	return nil
}

// zeroHeads clears the masked heads' rows of x (n rows of Heads·HeadDim).
func (m *Mask) zeroHeads(layer int, x []float32, n int) {
	hd, nh := m.geo.HeadDim, m.geo.Heads
	for i := 0; i < n; i++ {
		for h, on := range m.masked[layer] {
			if on {
				clear(x[(i*nh+h)*hd : (i*nh+h+1)*hd])
			}
		}
	}
}
