package chat

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Templates come from model files, so rendering one must not take the
// process down. gonja's panics are recovered in Parse and Render; the two
// ways out that recover cannot catch are refused here: unbounded recursion
// (a Go stack overflow is fatal) and huge range() loops.

// maxRange bounds range(); chat templates iterate over messages, not
// millions of numbers.
const maxRange = 1 << 16

// boundedRange is Jinja's range(stop) / range(start, stop[, step]).
func boundedRange(args *exec.VarArgs) ([]int, error) {
	if len(args.KwArgs) > 0 || len(args.Args) < 1 || len(args.Args) > 3 {
		return nil, errors.New("range takes 1 to 3 integer arguments")
	}
	n := make([]int, len(args.Args))
	for i, a := range args.Args {
		if !a.IsInteger() {
			return nil, fmt.Errorf("range argument %s is not an integer", a.String())
		}
		n[i] = a.Integer()
	}
	start, stop, step := 0, n[0], 1
	if len(n) > 1 {
		start, stop = n[0], n[1]
	}
	if len(n) == 3 {
		step = n[2]
	}
	if step == 0 {
		return nil, errors.New("range step must not be zero")
	}
	var out []int
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(out) == maxRange {
			return nil, fmt.Errorf("range longer than %d items", maxRange)
		}
		out = append(out, i)
	}
	return out, nil
}

// checkMacroRecursion refuses a template whose macros can call themselves,
// directly or through each other: gonja would recurse until the Go stack
// overflows. A macro "calls" every macro whose name appears in its body.
func checkMacroRecursion(root *nodes.Template) error {
	calls := map[string]map[string]bool{}
	for name, m := range root.Macros {
		calls[name] = namesIn(m.Wrapper)
	}
	const (
		unvisited = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(string) error
	visit = func(name string) error {
		switch state[name] {
		case active:
			return fmt.Errorf("chat: parse template: macro %q can call itself; recursive macros are refused", name)
		case done:
			return nil
		}
		state[name] = active
		for callee := range calls[name] {
			if _, ok := calls[callee]; ok {
				if err := visit(callee); err != nil {
					return err
				}
			}
		}
		state[name] = done
		return nil
	}
	for name := range calls {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

// namesIn collects the variable names referenced anywhere under node.
func namesIn(node any) map[string]bool {
	names := map[string]bool{}
	seen := map[unsafe.Pointer]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.UnsafePointer()] {
				return
			}
			seen[v.UnsafePointer()] = true
			if v.Type() == reflect.TypeFor[*nodes.Name]() {
				if tok := v.Elem().FieldByName("Name"); !tok.IsNil() {
					names[tok.Elem().FieldByName("Val").String()] = true
				}
				return
			}
			walk(v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			iter := v.MapRange()
			for iter.Next() {
				walk(iter.Value())
			}
		}
	}
	walk(reflect.ValueOf(node))
	return names
}
