package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"unicode/utf8"

	"github.com/longctx/longctx/internal/tensor"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is used when general.alignment is absent.
const DefaultAlignment = 32

// MaxDims is the most dimensions a ggml tensor can have.
const MaxDims = 4

// maxNesting bounds arrays of arrays so a hostile file cannot recurse deeply.
const maxNesting = 4

// File is a parsed GGUF file.
type File struct {
	Version    uint32
	Alignment  int64
	DataOffset int64 // absolute offset of the tensor data section
	KVs        []KV
	Tensors    []TensorInfo

	kvIndex     map[string]int
	tensorIndex map[string]int
	data        []byte // whole file image
	unmap       func() error
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor. Dims are in ggml order: Dims[0] is the
// number of elements in a row (the fastest-varying dimension).
type TensorInfo struct {
	Name   string
	Dims   []int64
	Type   tensor.Type
	Offset int64 // relative to the data section
	Size   int64 // bytes
	Data   []byte
}

// Elements is the number of elements of the tensor.
func (t *TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Rows is the number of rows (product of all dims but the first).
func (t *TensorInfo) Rows() int64 { return t.Elements() / t.Dims[0] }

// Open memory-maps and parses the file at path. The mapping lives until Close.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, unmap, err := mapFile(fh)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	f.unmap = unmap
	return f, nil
}

// Close releases the mapping; tensor data must not be used afterwards.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	err := f.unmap()
	f.unmap, f.data = nil, nil
	return err
}

// Size is the size of the file image in bytes.
func (f *File) Size() int64 { return int64(len(f.data)) }

// Parse parses a whole GGUF image held in memory. Tensor data alias data.
func Parse(data []byte) (*File, error) {
	r := reader{b: data}
	magic, err := r.bytes(4, "magic")
	if err != nil {
		return nil, err
	}
	if string(magic) != Magic {
		return nil, fmt.Errorf("not a GGUF file: magic is %q", magic)
	}
	f := &File{data: data}
	if f.Version, err = r.u32("version"); err != nil {
		return nil, err
	}
	switch f.Version {
	case 2, 3:
	case 1:
		return nil, errors.New("GGUF version 1 is not supported (32-bit counts); convert the file")
	default:
		if v := f.Version; v&0xFFFF == 0 {
			return nil, fmt.Errorf("version %d looks byte-swapped: big-endian GGUF is not supported", v)
		}
		return nil, fmt.Errorf("unsupported GGUF version %d", f.Version)
	}
	nTensors, err := r.u64("tensor_count")
	if err != nil {
		return nil, err
	}
	nKV, err := r.u64("metadata_kv_count")
	if err != nil {
		return nil, err
	}
	// Each KV needs at least a key length, a type and one byte; each
	// tensor info at least name length, n_dims, one dim, type, offset.
	if nKV > uint64(r.remaining())/13 {
		return nil, fmt.Errorf("metadata_kv_count %d is impossible for a %d-byte file", nKV, len(data))
	}
	if nTensors > uint64(r.remaining())/32 {
		return nil, fmt.Errorf("tensor_count %d is impossible for a %d-byte file", nTensors, len(data))
	}

	f.KVs = make([]KV, 0, nKV)
	f.kvIndex = make(map[string]int, nKV)
	for i := uint64(0); i < nKV; i++ {
		key, err := r.str(fmt.Sprintf("metadata[%d].key", i))
		if err != nil {
			return nil, err
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, fmt.Errorf("metadata key %q appears twice", key)
		}
		vt, err := r.u32(fmt.Sprintf("metadata %q type", key))
		if err != nil {
			return nil, err
		}
		v, err := r.value(ValueType(vt), fmt.Sprintf("metadata %q", key), 0)
		if err != nil {
			return nil, err
		}
		f.kvIndex[key] = len(f.KVs)
		f.KVs = append(f.KVs, KV{key, v})
	}

	f.Alignment = DefaultAlignment
	if v, ok := f.Get("general.alignment"); ok {
		a, ok := v.Uint()
		if !ok || v.Type() != TypeUint32 || a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("general.alignment %s is not a power of two uint32", v)
		}
		f.Alignment = int64(a)
	}

	f.Tensors = make([]TensorInfo, 0, nTensors)
	f.tensorIndex = make(map[string]int, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		ti, err := r.tensorInfo(i)
		if err != nil {
			return nil, err
		}
		if _, dup := f.tensorIndex[ti.Name]; dup {
			return nil, fmt.Errorf("tensor %q appears twice", ti.Name)
		}
		f.tensorIndex[ti.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, ti)
	}

	f.DataOffset = alignUp(int64(r.off), f.Alignment)
	if nTensors > 0 && f.DataOffset > int64(len(data)) {
		return nil, fmt.Errorf("tensor data section starts at %d, past the end of the %d-byte file", f.DataOffset, len(data))
	}
	dataLen := int64(len(data)) - f.DataOffset
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("tensor %q: offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)
		}
		if t.Offset > dataLen || t.Size > dataLen-t.Offset {
			return nil, fmt.Errorf("tensor %q: %d bytes at data offset %d run past the end of the file (data section is %d bytes; truncated file?)", t.Name, t.Size, t.Offset, dataLen)
		}
		start := f.DataOffset + t.Offset
		t.Data = data[start : start+t.Size : start+t.Size]
	}
	return f, nil
}

func alignUp(x, a int64) int64 { return (x + a - 1) / a * a }

// Get returns the value of key.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KVs[i].Value, true
}

// Has reports whether key is present.
func (f *File) Has(key string) bool { _, ok := f.kvIndex[key]; return ok }

// String returns a string value; false if absent or not a string.
func (f *File) String(key string) (string, bool) {
	v, ok := f.Get(key)
	if !ok {
		return "", false
	}
	return v.Str()
}

// Uint returns a non-negative integer value of any width.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Uint()
}

// Int returns an integer value of any width.
func (f *File) Int(key string) (int64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Int()
}

// Float returns a float (or integer) value.
func (f *File) Float(key string) (float64, bool) {
	v, ok := f.Get(key)
	if !ok {
		return 0, false
	}
	return v.Float()
}

// Bool returns a bool value.
func (f *File) Bool(key string) (bool, bool) {
	v, ok := f.Get(key)
	if !ok {
		return false, false
	}
	return v.Bool()
}

func (f *File) array(key string) (Value, error) {
	v, ok := f.Get(key)
	if !ok {
		return Value{}, fmt.Errorf("metadata %q: %w", key, ErrNotFound)
	}
	return v, nil
}

// Strings decodes a string array.
func (f *File) Strings(key string) ([]string, error) {
	v, err := f.array(key)
	if err != nil {
		return nil, err
	}
	ss, err := v.Strings()
	if err != nil {
		return nil, fmt.Errorf("metadata %q: %w", key, err)
	}
	return ss, nil
}

// Float32s decodes a float32 array.
func (f *File) Float32s(key string) ([]float32, error) {
	v, err := f.array(key)
	if err != nil {
		return nil, err
	}
	xs, err := v.Float32s()
	if err != nil {
		return nil, fmt.Errorf("metadata %q: %w", key, err)
	}
	return xs, nil
}

// Int32s decodes an integer array into int32.
func (f *File) Int32s(key string) ([]int32, error) {
	v, err := f.array(key)
	if err != nil {
		return nil, err
	}
	xs, err := v.Int32s()
	if err != nil {
		return nil, fmt.Errorf("metadata %q: %w", key, err)
	}
	return xs, nil
}

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensorIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// reader decodes little-endian fields with bounds checks; every error
// names the field being read and the offset.
type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

func (r *reader) errShort(field string, need uint64) error {
	return fmt.Errorf("%s at offset %d: need %d bytes, %d remain (truncated or corrupt file)", field, r.off, need, r.remaining())
}

func (r *reader) bytes(n uint64, field string) ([]byte, error) {
	if n > uint64(r.remaining()) {
		return nil, r.errShort(field, n)
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) u32(field string) (uint32, error) {
	b, err := r.bytes(4, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *reader) u64(field string) (uint64, error) {
	b, err := r.bytes(8, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *reader) str(field string) (string, error) {
	n, err := r.u64(field + " length")
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n, field)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// value decodes one value of type t; arrays are validated and kept raw.
func (r *reader) value(t ValueType, field string, depth int) (Value, error) {
	if !t.valid() {
		return Value{}, fmt.Errorf("%s at offset %d: unknown value type %d", field, r.off, uint32(t))
	}
	v := Value{typ: t}
	switch t {
	case TypeString:
		s, err := r.str(field)
		if err != nil {
			return Value{}, err
		}
		v.str = s
	case TypeArray:
		if depth >= maxNesting {
			return Value{}, fmt.Errorf("%s: arrays nested deeper than %d", field, maxNesting)
		}
		et, err := r.u32(field + " element type")
		if err != nil {
			return Value{}, err
		}
		v.elem = ValueType(et)
		if !v.elem.valid() {
			return Value{}, fmt.Errorf("%s: unknown array element type %d", field, et)
		}
		if v.n, err = r.u64(field + " count"); err != nil {
			return Value{}, err
		}
		if v.n > uint64(r.remaining())/uint64(v.elem.minSize()) {
			return Value{}, fmt.Errorf("%s: array count %d of %s cannot fit in the %d bytes that remain", field, v.n, v.elem, r.remaining())
		}
		start := r.off
		if sz := v.elem.fixedSize(); sz > 0 {
			r.off += int(v.n) * sz
		} else {
			// Vocabularies hold ~10^5 strings: name the element only on error.
			for i := uint64(0); i < v.n; i++ {
				if err := r.skip(v.elem, depth+1); err != nil {
					return Value{}, fmt.Errorf("%s[%d]: %w", field, i, err)
				}
			}
		}
		v.raw = r.b[start:r.off:r.off]
	default:
		b, err := r.bytes(uint64(t.fixedSize()), field)
		if err != nil {
			return Value{}, err
		}
		if t == TypeBool && b[0] > 1 {
			return Value{}, fmt.Errorf("%s: bool byte is %d", field, b[0])
		}
		v.bits = readScalar(t, b)
	}
	return v, nil
}

// skip steps over one value of type t without decoding it.
func (r *reader) skip(t ValueType, depth int) error {
	if t == TypeString {
		n, err := r.u64("string length")
		if err == nil {
			_, err = r.bytes(n, "string")
		}
		return err
	}
	_, err := r.value(t, "element", depth)
	return err
}

func (r *reader) tensorInfo(i uint64) (TensorInfo, error) {
	field := fmt.Sprintf("tensor[%d]", i)
	name, err := r.str(field + " name")
	if err != nil {
		return TensorInfo{}, err
	}
	if !utf8.ValidString(name) || len(name) == 0 || len(name) > 256 {
		return TensorInfo{}, fmt.Errorf("%s: bad name %q", field, name)
	}
	field = fmt.Sprintf("tensor %q", name)
	nd, err := r.u32(field + " n_dims")
	if err != nil {
		return TensorInfo{}, err
	}
	if nd == 0 || nd > MaxDims {
		return TensorInfo{}, fmt.Errorf("%s: n_dims %d is outside 1..%d", field, nd, MaxDims)
	}
	ti := TensorInfo{Name: name, Dims: make([]int64, nd)}
	elems := int64(1)
	for d := range ti.Dims {
		x, err := r.u64(fmt.Sprintf("%s dim %d", field, d))
		if err != nil {
			return TensorInfo{}, err
		}
		if x == 0 || x > math.MaxInt64/uint64(elems) {
			return TensorInfo{}, fmt.Errorf("%s: dimension %d is %d (zero, or the element count overflows)", field, d, x)
		}
		ti.Dims[d] = int64(x)
		elems *= int64(x)
	}
	tt, err := r.u32(field + " type")
	if err != nil {
		return TensorInfo{}, err
	}
	ti.Type = tensor.Type(tt)
	if !ti.Type.Known() {
		return TensorInfo{}, fmt.Errorf("%s: unknown tensor type %d", field, tt)
	}
	rowBytes, err := ti.Type.RowBytes(ti.Dims[0])
	if err != nil {
		return TensorInfo{}, fmt.Errorf("%s: %w", field, err)
	}
	rows := elems / ti.Dims[0]
	if rowBytes > 0 && rows > math.MaxInt64/rowBytes {
		return TensorInfo{}, fmt.Errorf("%s: size overflows", field)
	}
	ti.Size = rowBytes * rows
	off, err := r.u64(field + " offset")
	if err != nil {
		return TensorInfo{}, err
	}
	if off > math.MaxInt64 {
		return TensorInfo{}, fmt.Errorf("%s: offset %d overflows", field, off)
	}
	ti.Offset = int64(off)
	return ti, nil
}
