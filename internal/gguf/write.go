package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/longctx/longctx/internal/tensor"
)

// Writer builds a GGUF version 3 file: metadata in the order added, then
// tensor infos, then tensor data, each tensor aligned.
type Writer struct {
	kvs     []KV
	keys    map[string]bool
	tensors []TensorInfo
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer { return &Writer{keys: map[string]bool{}} }

// AddKV appends a metadata entry. A repeated key is an error.
func (w *Writer) AddKV(key string, v Value) error {
	if w.keys[key] {
		return fmt.Errorf("gguf: metadata key %q added twice", key)
	}
	if key == "general.alignment" {
		a, ok := v.Uint()
		if !ok || v.Type() != TypeUint32 || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: general.alignment must be a power-of-two uint32, got %s", v)
		}
	}
	w.keys[key] = true
	w.kvs = append(w.kvs, KV{key, v})
	return nil
}

// AddTensor appends a tensor; data must hold exactly the tensor's bytes and
// stays referenced until WriteTo.
func (w *Writer) AddTensor(name string, typ tensor.Type, dims []int64, data []byte) error {
	if len(dims) == 0 || len(dims) > MaxDims {
		return fmt.Errorf("gguf: tensor %q: %d dims, want 1..%d", name, len(dims), MaxDims)
	}
	for _, t := range w.tensors {
		if t.Name == name {
			return fmt.Errorf("gguf: tensor %q added twice", name)
		}
	}
	rows := int64(1)
	for _, d := range dims[1:] {
		rows *= d
	}
	rb, err := typ.RowBytes(dims[0])
	if err != nil {
		return fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	if int64(len(data)) != rb*rows {
		return fmt.Errorf("gguf: tensor %q: %d bytes of data, shape %v of %s needs %d", name, len(data), dims, typ, rb*rows)
	}
	w.tensors = append(w.tensors, TensorInfo{Name: name, Dims: append([]int64(nil), dims...), Type: typ, Size: int64(len(data)), Data: data})
	return nil
}

func (w *Writer) alignment() int64 {
	for _, kv := range w.kvs {
		if kv.Key == "general.alignment" {
			a, _ := kv.Value.Uint()
			return int64(a)
		}
	}
	return DefaultAlignment
}

// WriteTo writes the file.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	align := w.alignment()
	var hdr []byte
	hdr = append(hdr, Magic...)
	hdr = binary.LittleEndian.AppendUint32(hdr, 3)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(w.tensors)))
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		hdr = appendValue(hdr, String(kv.Key))
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(kv.Value.typ))
		hdr = appendValue(hdr, kv.Value)
	}
	var off int64
	for _, t := range w.tensors {
		hdr = appendValue(hdr, String(t.Name))
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(t.Dims)))
		for _, d := range t.Dims {
			hdr = binary.LittleEndian.AppendUint64(hdr, uint64(d))
		}
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(t.Type))
		hdr = binary.LittleEndian.AppendUint64(hdr, uint64(off))
		off = alignUp(off+t.Size, align)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	cw := &countingWriter{w: bw}
	cw.Write(hdr)
	if len(w.tensors) > 0 {
		cw.pad(align)
	}
	for _, t := range w.tensors {
		cw.Write(t.Data)
		cw.pad(align)
	}
	if cw.err == nil {
		cw.err = bw.Flush()
	}
	return cw.n, cw.err
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

var zeros [64]byte

func (c *countingWriter) pad(align int64) {
	for k := alignUp(c.n, align) - c.n; k > 0; {
		n := min(k, int64(len(zeros)))
		c.Write(zeros[:n])
		k -= n
	}
}
