package chat

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// gonja v2.9.1 gets negative subscripts wrong at the edge: x[-n] on a
// sequence of length n is undefined instead of the first element, so
// `user_messages[-1]` fails on a one-message chat (Mistral's template relies
// on it). Its AST has no hook for subscripts, so after parsing, every
// subscript node x[k] is rewritten into a call getitemFunc(x, k) that
// follows Python. Some of gonja's control-structure nodes keep their
// expressions in unexported fields; those are reached with unsafe, which is
// sound only for the pinned gonja version (the tests cover `set` and `if`).

const getitemFunc = "__chat_getitem__"

func rewriteSubscripts(root *nodes.Template) {
	w := subscriptRewriter{seen: map[unsafe.Pointer]bool{}}
	w.walk(reflect.ValueOf(root))
}

type subscriptRewriter struct {
	seen map[unsafe.Pointer]bool
}

var getItemType = reflect.TypeFor[*nodes.GetItem]()

func (w *subscriptRewriter) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || w.seen[v.UnsafePointer()] {
			return
		}
		w.seen[v.UnsafePointer()] = true
		w.walk(v.Elem())
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			w.slot(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			w.slot(v.Index(i))
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			w.walk(iter.Value())
		}
	}
}

// slot visits one field or element, replacing a subscript node held in an
// interface-typed slot.
func (w *subscriptRewriter) slot(f reflect.Value) {
	if f.Kind() == reflect.Interface && !f.IsNil() && f.Elem().Type() == getItemType && f.CanAddr() {
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
		g := f.Elem().Interface().(*nodes.GetItem)
		w.walk(reflect.ValueOf(g))
		call := &nodes.Call{
			Location: g.Location,
			Func:     &nodes.Name{Name: &tokens.Token{Type: tokens.Name, Val: getitemFunc, Line: g.Location.Line, Col: g.Location.Col}},
			Args:     []nodes.Expression{g.Node, g.Arg},
			Kwargs:   map[string]nodes.Expression{},
		}
		if reflect.TypeOf(call).AssignableTo(f.Type()) {
			f.Set(reflect.ValueOf(call))
		}
		return
	}
	w.walk(f)
}

// pyGetItem is Jinja's subscript: negative indexes count from the end, an
// index out of range or a missing key is undefined, and a string key falls
// back to an attribute.
func pyGetItem(args *exec.VarArgs) (*exec.Value, error) {
	if len(args.Args) != 2 {
		return nil, errors.New("subscript needs a container and a key")
	}
	container, key := args.Args[0], args.Args[1]
	if container.IsNil() {
		return nil, fmt.Errorf("cannot subscript an undefined value with [%s]", key.String())
	}
	switch {
	case key.IsInteger():
		i := key.Integer()
		if container.IsString() {
			r := []rune(container.String())
			if i < 0 {
				i += len(r)
			}
			if i < 0 || i >= len(r) {
				return exec.AsValue(nil), nil
			}
			return exec.AsValue(string(r[i])), nil
		}
		if container.IsList() {
			n := container.Len()
			if i < 0 {
				i += n
			}
			if i < 0 || i >= n {
				return exec.AsValue(nil), nil
			}
			return container.Index(i), nil
		}
		item, _ := container.GetItem(i)
		if item.IsError() {
			return nil, item
		}
		return item, nil
	case key.IsString():
		item, found := container.GetItem(key.String())
		if !found {
			item, found = container.GetAttribute(key.String())
		}
		if !found {
			return exec.AsValue(nil), nil
		}
		return item, nil
	}
	return nil, fmt.Errorf("subscript key %s is neither a string nor an integer", key.String())
}
