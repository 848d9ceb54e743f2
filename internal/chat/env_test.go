package chat

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// Each expected string is what Python's Jinja2 with transformers' settings
// gives for the snippet (worked out from Python's str/json semantics).
func TestSnippets(t *testing.T) {
	one := []Message{{Role: "user", Content: "only"}}
	cases := []struct {
		name, src string
		msgs      []Message
		vars      map[string]any
		want      string
	}{
		{"negative index one element", `{{ messages[-1].content }}`, one, nil, "only"},
		{"negative index in set", `{% set last = messages[-1] %}{{ last['role'] }}`, one, nil, "user"},
		{"negative index in if", `{% if messages[-1]['role'] == 'user' %}yes{% endif %}`, one, nil, "yes"},
		{"index out of range is undefined", `{{ messages[5] is defined }}|{{ messages[-2] is defined }}`, one, nil, "False|False"},
		{"string index counts characters", `{{ s[-1] }}{{ s[0] }}`, nil, map[string]any{"s": "héé"}, "éh"},
		{"selectattr then [-1]", `{% set u = messages | selectattr("role", "equalto", "user") | list %}{{ u[-1].content }}`, one, nil, "only"},
		{"split no args", `{{ "  a b\t\nc  ".split() | join(",") }}`, nil, nil, "a,b,c"},
		{"split sep", `{{ "a,,b".split(",") | join("|") }}`, nil, nil, "a||b"},
		{"split maxsplit", `{{ "a b c".split(" ", 1) | join("|") }}`, nil, nil, "a|b c"},
		{"split last", `{{ "x</think>y".split("</think>")[-1] }}`, nil, nil, "y"},
		{"strip chars", `[{{ "\n\nhi\n".strip("\n") }}]`, nil, nil, "[hi]"},
		{"strip default", `[{{ "  hi \t".strip() }}][{{ "  hi ".lstrip() }}][{{ "  hi ".rstrip() }}]`, nil, nil, "[hi][hi ][  hi]"},
		{"replace", `{{ "a/think b/think".replace("/think", "") }}|{{ "aaa".replace("a", "b", 2) }}`, nil, nil, "a b|bba"},
		{"startswith endswith", `{{ "<tool_response>x".startswith("<tool_response>") }}{{ "ab".endswith(("x", "b")) }}{{ "ab".startswith("b") }}`, nil, nil, "TrueTrueFalse"},
		{"trim filter", `[{{ "  x \n" | trim }}]`, nil, nil, "[x]"},
		{"is false strict", `{{ undefined_var is false }}|{{ false is false }}|{{ 0 is false }}`, nil, nil, "False|True|False"},
		{"is true strict", `{{ undefined_var is true }}|{{ true is true }}|{{ 1 is true }}`, nil, nil, "False|True|False"},
		{"tojson string", `{{ "é\"\\\n\u0001" | tojson }}`, nil, nil, `"é\"\\\n\u0001"`},
		{"tojson ordered object", `{{ d | tojson }}`, nil, map[string]any{"d": json.RawMessage(`{"b":1,"a":[true,null,1.5,"x"],"c":{}}`)}, `{"b": 1, "a": [true, null, 1.5, "x"], "c": {}}`},
		{"tojson go map sorted", `{{ d | tojson }}`, nil, map[string]any{"d": map[string]any{"b": 1, "a": "x"}}, `{"a": "x", "b": 1}`},
		{"tojson indent", `{{ d | tojson(indent=2) }}`, nil, map[string]any{"d": json.RawMessage(`{"b":[1,2],"a":[]}`)}, "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": []\n}"},
		{"tojson sort_keys separators", `{{ d | tojson(sort_keys=true, separators=(",", ":")) }}`, nil, map[string]any{"d": json.RawMessage(`{"b":1,"a":2}`)}, `{"a":2,"b":1}`},
		{"tojson ensure_ascii", `{{ "é😀" | tojson(ensure_ascii=true) }}`, nil, nil, `"\u00e9\ud83d\ude00"`},
		{"tojson literal dict", `{{ {"k": [1, 2]} | tojson }}`, nil, nil, `{"k": [1, 2]}`},
		{"items keep order", `{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in d | items %}{{ k }};{% endfor %}|{{ d.keys() | join(",") }}`, nil, map[string]any{"d": json.RawMessage(`{"z":1,"a":2}`)}, "z=1;a=2;|z;a;|z,a"},
		{"extra fields", `{{ messages[0].tool_call_id }}|{{ messages[0].content is none }}`, []Message{{Role: "tool", Extra: map[string]any{"tool_call_id": "abc", "content": nil}}}, nil, "abc|True"},
		{"strftime", `{{ strftime_now("%Y-%m-%d %H:%M:%S %a %A %b %B %j %I%p %y %e %%") }}`, nil, nil, "2025-03-07 15:04:05 Fri Friday Mar March 066 03PM 25  7 %"},
		{"namespace", `{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}`, one, nil, "1"},
		{"reverse slice", `{% for m in messages[::-1] %}{{ m.content }}{% endfor %}`, []Message{{Content: "a"}, {Content: "b"}}, nil, "ba"},
		{"lstrip and trim blocks", "a\n    {% if true %}\nb\n    {% endif %}\nc", nil, nil, "a\nb\nc"},
		{"trailing newline dropped", "x\n", nil, nil, "x"},
		{"space before a tag mid-line kept", "x {{ 1 }} {% if true %}y{% endif %} z|{{ 'x' }}  {# c #}  y", nil, nil, "x 1 y z|x    y"},
		{"lstrip opt-out", "a\n  {%+ if true %}b{% endif %}", nil, nil, "a\n  b"},
		{"tabs before a comment", "a\n\t{# c #}\nb", nil, nil, "a\nb"},
		{"count", `{{ 'aXa'.count('a') }} {{ 'aaaa'.count('aa') }} {{ 'ab'.count('') }}`, nil, nil, "2 2 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl, err := Parse(c.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tpl.Render(c.msgs, Options{Vars: c.vars, Now: fixedClock})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestPyFloatRepr(t *testing.T) {
	cases := map[float64]string{
		1: "1.0", 0.1: "0.1", -2.5: "-2.5", 1e16: "1e+16", 1.5e-5: "1.5e-05", 0.0001: "0.0001",
		123456789012345678: "1.2345678901234568e+17", 1e15: "1000000000000000.0",
		math.Inf(1): "Infinity", math.Inf(-1): "-Infinity", math.Copysign(0, -1): "-0.0",
	}
	for f, want := range cases {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", f, got, want)
		}
	}
	if got := pyFloatRepr(math.NaN()); got != "NaN" {
		t.Errorf("pyFloatRepr(NaN) = %q", got)
	}
}

func TestStrftimeNowUsesClock(t *testing.T) {
	tpl, err := Parse(`{{ strftime_now("%d %b %Y") }}`)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(1999, time.December, 31, 23, 59, 0, 0, time.UTC) }
	got, err := tpl.Render(nil, Options{Now: clock})
	if err != nil || got != "31 Dec 1999" {
		t.Errorf("got %q, %v; want 31 Dec 1999", got, err)
	}
}

func TestDateVars(t *testing.T) {
	tpl, err := Parse(`{{ date_string }}|{{ datetime }}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(nil, Options{DateVars: true, Now: fixedClock})
	if err != nil || got != "07 Mar 2025|Mar 07 2025" {
		t.Errorf("got %q, %v", got, err)
	}
	got, err = tpl.Render(nil, Options{DateVars: true, Now: fixedClock, Vars: map[string]any{"date_string": "x"}})
	if err != nil || got != "x|Mar 07 2025" {
		t.Errorf("Vars override: got %q, %v", got, err)
	}
	if got, _ := tpl.Render(nil, Options{Now: fixedClock}); got != "|" {
		t.Errorf("without DateVars: got %q, want undefined", got)
	}
}
