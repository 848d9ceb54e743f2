package chat

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// jsonStyle is the subset of Python json.dumps options that transformers'
// tojson filter passes through.
type jsonStyle struct {
	indent      int // <0: single line
	itemSep     string
	keySep      string
	sortKeys    bool
	ensureASCII bool
}

// defaultJSONStyle is json.dumps' default: ", " and ": " on one line, or ","
// and ": " when indenting.
func defaultJSONStyle(indent int) jsonStyle {
	s := jsonStyle{indent: indent, itemSep: ", ", keySep: ": "}
	if indent >= 0 {
		s.itemSep = ","
	}
	return s
}

// pyDumps writes v as Python's json.dumps would.
func pyDumps(v any, style jsonStyle) (string, error) {
	var b strings.Builder
	if err := style.write(&b, v, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (s jsonStyle) write(b *strings.Builder, v any, depth int) error {
	if depth > 512 {
		return fmt.Errorf("tojson: nesting deeper than 512")
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
		return nil
	case *exec.Value:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		return s.write(b, x.Interface(), depth)
	case exec.Dict:
		return s.writeObject(b, dictPairs(&x), depth)
	case *exec.Dict:
		return s.writeObject(b, dictPairs(x), depth)
	case string:
		s.writeString(b, x)
		return nil
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		b.WriteString(pyFloatRepr(rv.Float()))
	case reflect.String:
		s.writeString(b, rv.String())
	case reflect.Bool:
		return s.write(b, rv.Bool(), depth)
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return s.writeArray(b, items, depth)
	case reflect.Map:
		pairs := make([]kv, 0, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			pairs = append(pairs, kv{key: fmt.Sprint(iter.Key().Interface()), val: iter.Value().Interface()})
		}
		// A Go map has no order to keep; sort for a stable output.
		slices.SortFunc(pairs, func(a, b kv) int { return strings.Compare(a.key, b.key) })
		return s.writeObject(b, pairs, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return s.write(b, rv.Elem().Interface(), depth)
	default:
		return fmt.Errorf("tojson: cannot serialise a value of type %T", v)
	}
	return nil
}

type kv struct {
	key string
	val any
}

func dictPairs(d *exec.Dict) []kv {
	pairs := make([]kv, len(d.Pairs))
	for i, p := range d.Pairs {
		pairs[i] = kv{key: p.Key.String(), val: p.Value}
	}
	return pairs
}

func (s jsonStyle) newline(b *strings.Builder, depth int) {
	if s.indent < 0 {
		return
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", s.indent*depth))
}

func (s jsonStyle) writeArray(b *strings.Builder, items []any, depth int) error {
	if len(items) == 0 {
		b.WriteString("[]")
		return nil
	}
	b.WriteByte('[')
	for i, e := range items {
		if i > 0 {
			b.WriteString(s.itemSep)
		}
		s.newline(b, depth+1)
		if err := s.write(b, e, depth+1); err != nil {
			return err
		}
	}
	s.newline(b, depth)
	b.WriteByte(']')
	return nil
}

func (s jsonStyle) writeObject(b *strings.Builder, pairs []kv, depth int) error {
	if len(pairs) == 0 {
		b.WriteString("{}")
		return nil
	}
	if s.sortKeys {
		pairs = slices.Clone(pairs)
		slices.SortStableFunc(pairs, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	}
	b.WriteByte('{')
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(s.itemSep)
		}
		s.newline(b, depth+1)
		s.writeString(b, p.key)
		b.WriteString(s.keySep)
		if err := s.write(b, p.val, depth+1); err != nil {
			return err
		}
	}
	s.newline(b, depth)
	b.WriteByte('}')
	return nil
}

// writeString escapes as json.dumps does: quote, backslash and control
// characters always; everything above ASCII only with ensure_ascii.
func (s jsonStyle) writeString(b *strings.Builder, str string) {
	b.WriteByte('"')
	for _, r := range str {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(b, `\u%04x`, r)
			case s.ensureASCII && r > 0x7e && r < 0x10000:
				fmt.Fprintf(b, `\u%04x`, r)
			case s.ensureASCII && r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloatRepr formats f as Python's float repr: the shortest round-trip
// digits, positional for exponents -4..15 (always with a decimal point),
// scientific otherwise; json.dumps writes NaN and Infinity for non-finite.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
