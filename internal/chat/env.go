package chat

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/exec"
)

// environment is gonja's default environment with the changes that make it
// behave like transformers' chat-template environment. gonja's own globals
// are left untouched; everything here is a copy.
var environment = newEnvironment()

func newEnvironment() *exec.Environment {
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	mustDo(filters.Replace("tojson", filterToJSON))
	mustDo(filters.Replace("items", filterItems))

	tests := exec.NewTestSet(map[string]exec.TestFunction{}).Update(builtins.Tests)
	// Jinja's "is true"/"is false" are identity tests against the booleans;
	// gonja's treat an undefined value as false.
	mustDo(tests.Replace("true", func(_ *exec.Context, in *exec.Value, _ *exec.VarArgs) (bool, error) {
		return in.IsBool() && in.Bool(), nil
	}))
	mustDo(tests.Replace("false", func(_ *exec.Context, in *exec.Value, _ *exec.VarArgs) (bool, error) {
		return in.IsBool() && !in.Bool(), nil
	}))

	ctx := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	ctx.Set(getitemFunc, pyGetItem)
	ctx.Set("range", boundedRange)
	return &exec.Environment{
		Context:           ctx,
		Filters:           filters,
		Tests:             tests,
		ControlStructures: builtins.ControlStructures,
		Methods: exec.Methods{
			Bool:  builtins.Methods.Bool,
			Int:   builtins.Methods.Int,
			Float: builtins.Methods.Float,
			Str:   strMethods(),
			Dict:  dictMethods(),
			List:  builtins.Methods.List,
		},
	}
}

func mustDo(err error) {
	if err != nil {
		panic("chat: building template environment: " + err.Error())
	}
}

// filterToJSON is transformers' tojson: json.dumps(x, ensure_ascii=False,
// indent=indent, separators=separators, sort_keys=sort_keys).
func filterToJSON(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	indent := -1
	var ensureASCII, sortKeys bool
	var separators *exec.Value
	if len(params.Args) > 0 {
		return exec.AsValue(errors.New("tojson: arguments must be given by keyword"))
	}
	for k, v := range params.KwArgs {
		switch k {
		case "indent":
			switch {
			case v.IsNil():
			case v.IsInteger():
				indent = max(v.Integer(), 0)
			default:
				return exec.AsValue(fmt.Errorf("tojson: indent must be an integer, got %s", v.String()))
			}
		case "ensure_ascii":
			ensureASCII = v.IsTrue()
		case "sort_keys":
			sortKeys = v.IsTrue()
		case "separators":
			separators = v
		default:
			return exec.AsValue(fmt.Errorf("tojson: unknown argument %q", k))
		}
	}
	style := defaultJSONStyle(indent)
	style.ensureASCII = ensureASCII
	style.sortKeys = sortKeys
	if separators != nil && !separators.IsNil() {
		if !separators.IsList() || separators.Len() != 2 {
			return exec.AsValue(errors.New("tojson: separators must be a pair of strings"))
		}
		style.itemSep = separators.Index(0).String()
		style.keySep = separators.Index(1).String()
	}
	out, err := pyDumps(in, style)
	if err != nil {
		return exec.AsValue(err)
	}
	return exec.AsValue(out)
}

// filterItems is Jinja's items filter, keeping a dict's key order.
func filterItems(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if len(params.Args) > 0 || len(params.KwArgs) > 0 {
		return exec.AsValue(errors.New("items takes no arguments"))
	}
	if in.IsNil() {
		return exec.AsValue([]any{})
	}
	pairs, ok := orderedPairs(in)
	if !ok {
		return exec.AsValue(fmt.Errorf("items: %s is not a mapping", in.String()))
	}
	items := make([]any, len(pairs))
	for i, p := range pairs {
		items[i] = []any{p.key, p.val}
	}
	return exec.AsValue(items)
}

// orderedPairs lists a mapping's entries: an ordered dict in its order, a Go
// map by sorted key.
func orderedPairs(v *exec.Value) ([]kv, bool) {
	switch d := v.Interface().(type) {
	case exec.Dict:
		return dictPairs(&d), true
	case *exec.Dict:
		return dictPairs(d), true
	}
	if !v.IsDict() {
		return nil, false
	}
	keys := v.Keys()
	pairs := make([]kv, 0, len(keys))
	for _, k := range keys {
		val, _ := v.GetItem(k.Interface())
		pairs = append(pairs, kv{key: k.String(), val: val})
	}
	return pairs, true
}

// dictMethods replaces keys/values/items so they keep a dict's order, and
// reuses gonja's other dict methods.
func dictMethods() *exec.MethodSet[map[string]any] {
	m := map[string]exec.Method[map[string]any]{}
	for _, name := range []string{"get", "pop", "setdefault", "update", "copy", "clear"} {
		if f, ok := builtins.Methods.Dict.Get(name); ok {
			m[name] = f
		}
	}
	view := func(name string, pick func(kv) any) exec.Method[map[string]any] {
		return func(_ map[string]any, self *exec.Value, args *exec.VarArgs) (any, error) {
			if len(args.Args) > 0 || len(args.KwArgs) > 0 {
				return nil, fmt.Errorf("%s() takes no arguments", name)
			}
			pairs, _ := orderedPairs(self)
			out := make([]any, len(pairs))
			for i, p := range pairs {
				out[i] = pick(p)
			}
			return out, nil
		}
	}
	m["keys"] = view("keys", func(p kv) any { return p.key })
	m["values"] = view("values", func(p kv) any { return p.val })
	m["items"] = view("items", func(p kv) any { return []any{p.key, p.val} })
	return exec.NewMethodSet(m)
}

// strMethods are gonja's string methods with the ones chat templates use
// replaced by versions that follow Python's str semantics.
func strMethods() *exec.MethodSet[string] {
	m := map[string]exec.Method[string]{}
	for _, name := range []string{
		"capitalize", "casefold", "center", "find", "format", "isalnum", "isalpha",
		"isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle",
		"isupper", "join", "ljust", "lower", "partition", "removeprefix", "removesuffix",
		"rfind", "rjust", "rpartition", "splitlines", "swapcase", "title", "upper", "zfill",
	} {
		if f, ok := builtins.Methods.Str.Get(name); ok {
			m[name] = f
		}
	}
	m["strip"] = stripMethod("strip", true, true)
	m["lstrip"] = stripMethod("lstrip", true, false)
	m["rstrip"] = stripMethod("rstrip", false, true)
	m["split"] = splitMethod
	m["count"] = countMethod
	m["replace"] = replaceMethod
	m["startswith"] = affixMethod("startswith", strings.HasPrefix)
	m["endswith"] = affixMethod("endswith", strings.HasSuffix)
	return exec.NewMethodSet(m)
}

// positional returns a method's arguments, refusing keywords and more than
// max of them.
func positional(name string, args *exec.VarArgs, minArgs, maxArgs int) ([]*exec.Value, error) {
	if len(args.KwArgs) > 0 {
		return nil, fmt.Errorf("%s() takes no keyword arguments", name)
	}
	if n := len(args.Args); n < minArgs || n > maxArgs {
		return nil, fmt.Errorf("%s() takes %d to %d arguments, got %d", name, minArgs, maxArgs, n)
	}
	return args.Args, nil
}

// isPySpace is Python's str.isspace for one character.
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func stripMethod(name string, left, right bool) exec.Method[string] {
	return func(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
		a, err := positional(name, args, 0, 1)
		if err != nil {
			return nil, err
		}
		cut := isPySpace
		if len(a) == 1 && !a[0].IsNil() {
			if !a[0].IsString() {
				return nil, fmt.Errorf("%s() argument must be a string or None", name)
			}
			chars := a[0].String()
			cut = func(r rune) bool { return strings.ContainsRune(chars, r) }
		}
		if left {
			self = strings.TrimLeftFunc(self, cut)
		}
		if right {
			self = strings.TrimRightFunc(self, cut)
		}
		return self, nil
	}
}

// countMethod is str.count(sub): non-overlapping occurrences (gonja's
// counted the string in itself). Python counts an empty sub between
// every character: len+1.
func countMethod(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
	a, err := positional("count", args, 1, 1)
	if err != nil {
		return nil, err
	}
	if !a[0].IsString() {
		return nil, errors.New("count() argument must be a string")
	}
	sub := a[0].String()
	if sub == "" {
		return utf8.RuneCountInString(self) + 1, nil
	}
	return strings.Count(self, sub), nil
}

// splitMethod is str.split(sep=None, maxsplit=-1).
func splitMethod(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
	a, err := positional("split", args, 0, 2)
	if err != nil {
		return nil, err
	}
	maxSplit := -1
	if len(a) == 2 {
		if !a[1].IsInteger() {
			return nil, errors.New("split() maxsplit must be an integer")
		}
		maxSplit = a[1].Integer()
	}
	var parts []string
	if len(a) == 0 || a[0].IsNil() {
		parts = splitWhitespace(self, maxSplit)
	} else {
		if !a[0].IsString() {
			return nil, errors.New("split() separator must be a string or None")
		}
		sep := a[0].String()
		if sep == "" {
			return nil, errors.New("split(): empty separator")
		}
		n := -1
		if maxSplit >= 0 {
			n = maxSplit + 1
		}
		parts = strings.SplitN(self, sep, n)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

// splitWhitespace is str.split() without a separator: runs of whitespace
// separate, and leading/trailing whitespace gives no empty parts.
func splitWhitespace(s string, maxSplit int) []string {
	var parts []string
	for {
		s = strings.TrimLeftFunc(s, isPySpace)
		if s == "" {
			return parts
		}
		if maxSplit >= 0 && len(parts) == maxSplit {
			return append(parts, s)
		}
		end := strings.IndexFunc(s, isPySpace)
		if end < 0 {
			return append(parts, s)
		}
		parts = append(parts, s[:end])
		s = s[end:]
	}
}

// replaceMethod is str.replace(old, new, count=-1).
func replaceMethod(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
	a, err := positional("replace", args, 2, 3)
	if err != nil {
		return nil, err
	}
	if !a[0].IsString() || !a[1].IsString() {
		return nil, errors.New("replace() arguments must be strings")
	}
	count := -1
	if len(a) == 3 {
		if !a[2].IsInteger() {
			return nil, errors.New("replace() count must be an integer")
		}
		count = a[2].Integer()
	}
	return strings.Replace(self, a[0].String(), a[1].String(), count), nil
}

// affixMethod is str.startswith / str.endswith with a string or a tuple of
// strings; the optional start/end arguments are not supported.
func affixMethod(name string, has func(s, affix string) bool) exec.Method[string] {
	return func(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
		a, err := positional(name, args, 1, 1)
		if err != nil {
			return nil, err
		}
		switch {
		case a[0].IsString():
			return has(self, a[0].String()), nil
		case a[0].IsList():
			for i := range a[0].Len() {
				e := a[0].Index(i)
				if !e.IsString() {
					return nil, fmt.Errorf("%s() tuple must hold strings", name)
				}
				if has(self, e.String()) {
					return true, nil
				}
			}
			return false, nil
		}
		return nil, fmt.Errorf("%s() argument must be a string or a tuple of strings", name)
	}
}
