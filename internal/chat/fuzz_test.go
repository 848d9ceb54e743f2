package chat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseRender feeds arbitrary template sources through Parse and Render:
// errors are fine, panics and hangs are not.
func FuzzParseRender(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(templateDir, "*.jinja"))
	if err != nil || len(files) == 0 {
		f.Fatalf("fixture templates missing under %s", templateDir)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	msgs := conversations["think-history"]
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse(src)
		if err != nil {
			return
		}
		_, _ = tpl.Render(msgs, Options{AddGenerationPrompt: true, BOSToken: "<s>", Now: fixedClock})
	})
}

func TestRefusesRecursiveMacros(t *testing.T) {
	for _, src := range []string{
		`{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}`,
		`{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}`,
	} {
		if _, err := Parse(src); err == nil || !strings.Contains(err.Error(), "recursive macros") {
			t.Errorf("Parse(%q) error = %v, want recursion refused", src, err)
		}
	}
	tpl, err := Parse(`{% macro g(x) %}<{{ x }}>{% endmacro %}{% macro f() %}{{ g(1) }}{% endmacro %}{{ f() }}`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tpl.Render(nil, Options{}); err != nil || got != "<1>" {
		t.Errorf("non-recursive macros: %q, %v", got, err)
	}
}

func TestBoundedRange(t *testing.T) {
	tpl, err := Parse(`{{ range(3) | join(",") }}|{{ range(5, 1, -2) | join(",") }}`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tpl.Render(nil, Options{}); err != nil || got != "0,1,2|5,3" {
		t.Errorf("got %q, %v", got, err)
	}
	big, err := Parse(`{% for i in range(100000000) %}x{% endfor %}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := big.Render(nil, Options{}); err == nil || !strings.Contains(err.Error(), "range longer") {
		t.Errorf("huge range: error = %v", err)
	}
}
