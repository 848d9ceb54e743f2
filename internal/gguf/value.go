package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueType is the type tag of a metadata value.
type ValueType uint32

const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// fixedSize is the encoded size of a scalar type, 0 for strings and arrays.
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize is the smallest encoding of one value of type t.
func (t ValueType) minSize() int {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return t.fixedSize()
}

func (t ValueType) valid() bool { return t <= TypeFloat64 }

// ErrNotFound is returned (wrapped) by typed getters when a key is absent.
var ErrNotFound = errors.New("not found")

// Value is one metadata value. Scalars are held decoded; arrays are held as
// their raw little-endian encoding and decoded on demand.
type Value struct {
	typ  ValueType
	elem ValueType // element type of an array
	n    uint64    // element count of an array
	bits uint64    // integer, float and bool scalars
	str  string
	raw  []byte // encoded array elements
}

// Type reports the value's type.
func (v Value) Type() ValueType { return v.typ }

// ElemType reports the element type of an array value.
func (v Value) ElemType() ValueType { return v.elem }

// Len reports the number of elements of an array value (0 for scalars).
func (v Value) Len() int { return int(v.n) }

func (t ValueType) signed() bool {
	return t == TypeInt8 || t == TypeInt16 || t == TypeInt32 || t == TypeInt64
}

func (t ValueType) unsigned() bool {
	return t == TypeUint8 || t == TypeUint16 || t == TypeUint32 || t == TypeUint64
}

// Int returns an integer value of any width as int64. It fails for other
// types and for uint64 values that do not fit.
func (v Value) Int() (int64, bool) {
	switch {
	case v.typ.signed():
		return int64(v.bits), true
	case v.typ.unsigned():
		if v.bits > math.MaxInt64 {
			return 0, false
		}
		return int64(v.bits), true
	}
	return 0, false
}

// Uint returns a non-negative integer value of any width as uint64.
func (v Value) Uint() (uint64, bool) {
	switch {
	case v.typ.unsigned():
		return v.bits, true
	case v.typ.signed():
		if int64(v.bits) < 0 {
			return 0, false
		}
		return v.bits, true
	}
	return 0, false
}

// Float returns a float value (or an integer converted to float64).
func (v Value) Float() (float64, bool) {
	switch v.typ {
	case TypeFloat32, TypeFloat64:
		return math.Float64frombits(v.bits), true
	}
	if i, ok := v.Int(); ok {
		return float64(i), true
	}
	if u, ok := v.Uint(); ok {
		return float64(u), true
	}
	return 0, false
}

// Bool returns a bool value.
func (v Value) Bool() (bool, bool) { return v.bits != 0, v.typ == TypeBool }

// Str returns a string value.
func (v Value) Str() (string, bool) { return v.str, v.typ == TypeString }

// Strings decodes an array of strings.
func (v Value) Strings() ([]string, error) {
	if v.typ != TypeArray || v.elem != TypeString {
		return nil, fmt.Errorf("value is %s, not an array of strings", v.describe())
	}
	out := make([]string, v.n)
	r := reader{b: v.raw}
	for i := range out {
		s, err := r.str("array element")
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// Float32s decodes an array of float32.
func (v Value) Float32s() ([]float32, error) {
	if v.typ != TypeArray || v.elem != TypeFloat32 {
		return nil, fmt.Errorf("value is %s, not an array of float32", v.describe())
	}
	out := make([]float32, v.n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.raw[4*i:]))
	}
	return out, nil
}

// Int32s decodes an array of any integer type narrower than 64 bits (and
// 64-bit ones whose values fit) into int32.
func (v Value) Int32s() ([]int32, error) {
	if v.typ != TypeArray || !(v.elem.signed() || v.elem.unsigned()) {
		return nil, fmt.Errorf("value is %s, not an array of integers", v.describe())
	}
	sz := v.elem.fixedSize()
	out := make([]int32, v.n)
	for i := range out {
		x := readScalar(v.elem, v.raw[i*sz:])
		var ok bool
		if v.elem.signed() {
			ok = int64(x) >= math.MinInt32 && int64(x) <= math.MaxInt32
		} else {
			ok = x <= math.MaxInt32
		}
		if !ok {
			return nil, fmt.Errorf("array element %d does not fit in int32", i)
		}
		out[i] = int32(x)
	}
	return out, nil
}

// Elems decodes up to max elements of an array (all when max < 0), for
// display and generic use.
func (v Value) Elems(max int) ([]Value, error) {
	if v.typ != TypeArray {
		return nil, fmt.Errorf("value is %s, not an array", v.describe())
	}
	n := int(v.n)
	if max >= 0 && max < n {
		n = max
	}
	out := make([]Value, n)
	r := reader{b: v.raw}
	for i := range out {
		e, err := r.value(v.elem, "array element", 1)
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (v Value) describe() string {
	if v.typ == TypeArray {
		return "array of " + v.elem.String()
	}
	return v.typ.String()
}

// String formats the value for people; arrays show their first elements.
func (v Value) String() string {
	switch {
	case v.typ == TypeString:
		return strconv.Quote(v.str)
	case v.typ == TypeBool:
		return strconv.FormatBool(v.bits != 0)
	case v.typ == TypeFloat32 || v.typ == TypeFloat64:
		f, _ := v.Float()
		return strconv.FormatFloat(f, 'g', -1, 64)
	case v.typ.signed():
		return strconv.FormatInt(int64(v.bits), 10)
	case v.typ.unsigned():
		return strconv.FormatUint(v.bits, 10)
	}
	const show = 8
	elems, err := v.Elems(show)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "[%s x %d: ", v.elem, v.n)
	for i, e := range elems {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(e.String())
	}
	if int(v.n) > len(elems) {
		sb.WriteString(", ...")
	}
	sb.WriteString("]")
	return sb.String()
}

func readScalar(t ValueType, b []byte) uint64 {
	switch t {
	case TypeUint8, TypeBool:
		return uint64(b[0])
	case TypeInt8:
		return uint64(int64(int8(b[0])))
	case TypeUint16:
		return uint64(binary.LittleEndian.Uint16(b))
	case TypeInt16:
		return uint64(int64(int16(binary.LittleEndian.Uint16(b))))
	case TypeUint32:
		return uint64(binary.LittleEndian.Uint32(b))
	case TypeInt32:
		return uint64(int64(int32(binary.LittleEndian.Uint32(b))))
	case TypeFloat32:
		return math.Float64bits(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
	default: // 64-bit types
		return binary.LittleEndian.Uint64(b)
	}
}

// Constructors for writing.

// Uint32 makes a uint32 value.
func Uint32(x uint32) Value { return Value{typ: TypeUint32, bits: uint64(x)} }

// Int32 makes an int32 value.
func Int32(x int32) Value { return Value{typ: TypeInt32, bits: uint64(int64(x))} }

// Uint64 makes a uint64 value.
func Uint64(x uint64) Value { return Value{typ: TypeUint64, bits: x} }

// Float32 makes a float32 value.
func Float32(x float32) Value {
	return Value{typ: TypeFloat32, bits: math.Float64bits(float64(x))}
}

// Bool makes a bool value.
func Bool(x bool) Value {
	v := Value{typ: TypeBool}
	if x {
		v.bits = 1
	}
	return v
}

// String makes a string value.
func String(s string) Value { return Value{typ: TypeString, str: s} }

// StringArray makes an array of strings.
func StringArray(ss []string) Value {
	var raw []byte
	for _, s := range ss {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(len(s)))
		raw = append(raw, s...)
	}
	return Value{typ: TypeArray, elem: TypeString, n: uint64(len(ss)), raw: raw}
}

// Float32Array makes an array of float32.
func Float32Array(xs []float32) Value {
	raw := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return Value{typ: TypeArray, elem: TypeFloat32, n: uint64(len(xs)), raw: raw}
}

// Int32Array makes an array of int32.
func Int32Array(xs []int32) Value {
	raw := make([]byte, 0, 4*len(xs))
	for _, x := range xs {
		raw = binary.LittleEndian.AppendUint32(raw, uint32(x))
	}
	return Value{typ: TypeArray, elem: TypeInt32, n: uint64(len(xs)), raw: raw}
}

// appendValue encodes v (without its type tag).
func appendValue(b []byte, v Value) []byte {
	switch {
	case v.typ == TypeString:
		b = binary.LittleEndian.AppendUint64(b, uint64(len(v.str)))
		return append(b, v.str...)
	case v.typ == TypeArray:
		b = binary.LittleEndian.AppendUint32(b, uint32(v.elem))
		b = binary.LittleEndian.AppendUint64(b, v.n)
		return append(b, v.raw...)
	case v.typ == TypeFloat32:
		f, _ := v.Float()
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f)))
	}
	switch v.typ.fixedSize() {
	case 1:
		return append(b, byte(v.bits))
	case 2:
		return binary.LittleEndian.AppendUint16(b, uint16(v.bits))
	case 4:
		return binary.LittleEndian.AppendUint32(b, uint32(v.bits))
	}
	return binary.LittleEndian.AppendUint64(b, v.bits)
}
