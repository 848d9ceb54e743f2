package pylit

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want any
	}{
		{`'it\'s'`, "it's"},
		{`"say \"hi\""`, `say "hi"`},
		{`'a\nb\t\\c\x41\u00e9'`, "a\nb\t\\cAé"},
		{`'''tri'ple'''`, "tri'ple"},
		{`'\d'`, `\d`},
		{`'café'`, "café"},
		{` 42 `, int64(42)},
		{`-3.5e2`, -350.0},
		{`1_000`, int64(1000)},
		{`True`, true},
		{`None`, nil},
		{`null`, nil},
		{`[1, 'x', [], (2,)]`, []any{int64(1), "x", []any{}, []any{int64(2)}}},
		{`[1, 2,]`, []any{int64(1), int64(2)}},
		{`{'Q': 'Who?', 'A': "Bob", 'S': ['s1'], 3: 4}`, map[string]any{"Q": "Who?", "A": "Bob", "S": []any{"s1"}, "3": int64(4)}},
		{`{"<mask-0>": "Bob"}`, map[string]any{"<mask-0>": "Bob"}},
	} {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `'open`, `[1, 2`, `{'a' 1}`, `{[1]: 2}`, `1 2`, `'\x4'`, `'\U00110000'`, `nope`, `"a` + "\n" + `b"`, `{'a': }`, `--`,
		strings.Repeat("[", 300) + strings.Repeat("]", 300)} {
		if v, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %#v, want an error", in, v)
		} else if !strings.HasPrefix(err.Error(), "pylit: ") {
			t.Errorf("Parse(%q): error %q does not name the package", in, err)
		}
	}
}

// FuzzParse: untrusted literals give a value or an error, never a panic;
// a parsed string literal round-trips through strconv.Quote.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`[{'Q': 'a', 'A': 'b', 'S': ['c'], 'type': 'x'}]`, `{'<mask-0>': 'Bob'}`, `'\u00e9\x41'`, `(1, 2.5, None)`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if str, ok := v.(string); ok {
			back, err := Parse(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(str) + `"`)
			if err != nil || back != str {
				t.Fatalf("string %q did not round-trip: %q %v", str, back, err)
			}
		}
	})
}
