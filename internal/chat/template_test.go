package chat

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the renderer (review the diff by hand)")

const templateDir = "../../../shared/fixtures/templates"

// The goldens in testdata were written by hand from each model's documented
// prompt format and the template's logic, not produced by this renderer.

var fixedClock = func() time.Time { return time.Date(2025, time.March, 7, 15, 4, 5, 0, time.UTC) }

var conversations = map[string][]Message{
	"sysuser": {
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "What is the capital of France?"},
	},
	"multiturn": {
		{Role: "user", Content: "Hello!"},
		{Role: "assistant", Content: "Hi! How can I help?"},
		{Role: "user", Content: "Tell me a joke."},
	},
	"nosystem": {
		{Role: "user", Content: "Hello!"},
	},
	"think-history": {
		{Role: "user", Content: "What is 2+2?"},
		{Role: "assistant", Content: "<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4."},
		{Role: "user", Content: "And 3+3?"},
	},
	"think-last": {
		{Role: "user", Content: "What is 2+2?"},
		{Role: "assistant", Content: "<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4."},
	},
	"untrimmed": {
		{Role: "system", Content: "  Be brief.\n"},
		{Role: "user", Content: "\n  Hi there  \n"},
	},
	"weather": {
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "What is the weather in Paris?"},
	},
	"toolcall": {
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "What is the weather in Paris?"},
		{Role: "assistant", Content: "", Extra: map[string]any{"tool_calls": json.RawMessage(
			`[{"type":"function","function":{"name":"get_weather","arguments":{"unit":"celsius","city":"Paris"}}}]`)}},
		{Role: "tool", Content: `{"temperature": 18}`},
	},
}

const weatherTool = `[{"type":"function","function":{"name":"get_weather","description":"Get the weather in a city.",
 "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`

type model struct {
	file     string
	bos, eos string
}

var (
	llama31 = model{"meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"}
	llama32 = model{"meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"}
	qwen25  = model{"Qwen-Qwen2.5-7B-Instruct.jinja", "", "<|im_end|>"}
	qwen3   = model{"Qwen-Qwen3-0.6B.jinja", "", "<|im_end|>"}
	nemo    = model{"mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>"}
	phi35   = model{"microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>"}
	gemma2  = model{"google-gemma-2-2b-it.jinja", "<bos>", "<eos>"}
	r1qwen  = model{"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"}
	smollm3 = model{"HuggingFaceTB-SmolLM3-3B.jinja", "", "<|im_end|>"}
)

func loadTemplate(t *testing.T, file string) *Template {
	t.Helper()
	path := filepath.Join(templateDir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture template missing: %s: %v", path, err)
	}
	tpl, err := Parse(string(src))
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return tpl
}

func boolPtr(b bool) *bool { return &b }

func TestRenderGolden(t *testing.T) {
	type tc struct {
		golden string // testdata/<golden>.golden; empty when an error is expected
		model  model
		conv   string
		noGen  bool
		tools  string
		think  *bool
		vars   map[string]any
		dates  bool
		errMsg string // the RaisedError message expected instead of output
	}
	cases := []tc{
		{golden: "llama3.1.sysuser", model: llama31, conv: "sysuser"},
		{golden: "llama3.1.multiturn", model: llama31, conv: "multiturn"},
		{golden: "llama3.1.nosystem", model: llama31, conv: "nosystem"},
		{golden: "llama3.1.datevars", model: llama31, conv: "sysuser", dates: true},
		{golden: "llama3.1.trim-date", model: llama31, conv: "untrimmed", vars: map[string]any{"date_string": "01 Jan 2030"}},
		{golden: "llama3.2.sysuser", model: llama32, conv: "sysuser"},
		{golden: "llama3.2.multiturn", model: llama32, conv: "multiturn"},
		{golden: "llama3.2.nosystem", model: llama32, conv: "nosystem"},
		{golden: "llama3.2.tools", model: llama32, conv: "weather", tools: weatherTool},
		{golden: "qwen2.5.sysuser", model: qwen25, conv: "sysuser"},
		{golden: "qwen2.5.multiturn", model: qwen25, conv: "multiturn"},
		{golden: "qwen2.5.nosystem", model: qwen25, conv: "nosystem"},
		{golden: "qwen2.5.tools", model: qwen25, conv: "weather", tools: weatherTool},
		{golden: "qwen2.5.toolcall", model: qwen25, conv: "toolcall"},
		{golden: "qwen3.sysuser", model: qwen3, conv: "sysuser"},
		{golden: "qwen3.multiturn", model: qwen3, conv: "multiturn"},
		{golden: "qwen3.nosystem", model: qwen3, conv: "nosystem"},
		{golden: "qwen3.think-history", model: qwen3, conv: "think-history"},
		{golden: "qwen3.think-last", model: qwen3, conv: "think-last", noGen: true},
		{golden: "qwen3.nothink", model: qwen3, conv: "nosystem", think: boolPtr(false)},
		{golden: "mistral-nemo.sysuser", model: nemo, conv: "sysuser"},
		{golden: "mistral-nemo.multiturn", model: nemo, conv: "multiturn"},
		{golden: "mistral-nemo.nosystem", model: nemo, conv: "nosystem"},
		{golden: "mistral-nemo.tools", model: nemo, conv: "weather", tools: weatherTool},
		{model: nemo, conv: "think-last-user-user", errMsg: "After the optional system message, conversation roles must alternate user/assistant/user/assistant/..."},
		{golden: "phi3.5.sysuser", model: phi35, conv: "sysuser"},
		{golden: "phi3.5.multiturn", model: phi35, conv: "multiturn"},
		{golden: "phi3.5.nosystem", model: phi35, conv: "nosystem"},
		{golden: "phi3.5.multiturn-nogen", model: phi35, conv: "multiturn", noGen: true},
		{model: gemma2, conv: "sysuser", errMsg: "System role not supported"},
		{golden: "gemma2.multiturn", model: gemma2, conv: "multiturn"},
		{golden: "gemma2.nosystem", model: gemma2, conv: "nosystem"},
		{golden: "deepseek-r1-qwen.sysuser", model: r1qwen, conv: "sysuser"},
		{golden: "deepseek-r1-qwen.sysuser-thinking", model: r1qwen, conv: "sysuser", think: boolPtr(true)},
		{golden: "deepseek-r1-qwen.multiturn", model: r1qwen, conv: "multiturn"},
		{golden: "deepseek-r1-qwen.think-history", model: r1qwen, conv: "think-history", think: boolPtr(true)},
		{golden: "smollm3.sysuser", model: smollm3, conv: "sysuser"},
		{golden: "smollm3.multiturn-nothink", model: smollm3, conv: "multiturn", think: boolPtr(false)},
	}
	conversations["think-last-user-user"] = []Message{{Role: "user", Content: "a"}, {Role: "user", Content: "b"}}
	templates := map[string]*Template{}
	for _, c := range cases {
		name := c.golden
		if name == "" {
			name = c.model.file + "/" + c.conv + "/error"
		}
		t.Run(name, func(t *testing.T) {
			tpl := templates[c.model.file]
			if tpl == nil {
				tpl = loadTemplate(t, c.model.file)
				templates[c.model.file] = tpl
			}
			msgs, ok := conversations[c.conv]
			if !ok {
				t.Fatalf("no conversation %q", c.conv)
			}
			opts := Options{
				AddGenerationPrompt: !c.noGen,
				BOSToken:            c.model.bos,
				EOSToken:            c.model.eos,
				EnableThinking:      c.think,
				Vars:                c.vars,
				DateVars:            c.dates,
				Now:                 fixedClock,
			}
			if c.tools != "" {
				opts.Tools = json.RawMessage(c.tools)
			}
			got, err := tpl.Render(msgs, opts)
			if c.errMsg != "" {
				var raised *RaisedError
				if !errors.As(err, &raised) || raised.Message != c.errMsg {
					t.Fatalf("Render error = %v, want RaisedError %q (output %q)", err, c.errMsg, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, c.golden, got)
		})
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	if got != string(want) {
		t.Errorf("rendering differs from %s\n got: %q\nwant: %q\nfirst difference at byte %d",
			path, got, want, firstDiff(got, string(want)))
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestChatMLFallback(t *testing.T) {
	got, err := ChatML().Render(conversations["sysuser"], Options{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "chatml.sysuser", got)
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", " \n\t"} {
		if _, err := Parse(src); !errors.Is(err, ErrNoTemplate) {
			t.Errorf("Parse(%q) error = %v, want ErrNoTemplate", src, err)
		}
	}
}

func TestDetect(t *testing.T) {
	want := map[string]Format{
		llama31.file: FormatLlama3, llama32.file: FormatLlama3,
		qwen25.file: FormatChatML, qwen3.file: FormatChatML, smollm3.file: FormatChatML,
		nemo.file: FormatMistral, phi35.file: FormatPhi3, gemma2.file: FormatGemma,
		r1qwen.file: FormatDeepSeekR1,
	}
	for file, f := range want {
		src, err := os.ReadFile(filepath.Join(templateDir, file))
		if err != nil {
			t.Fatalf("fixture template missing: %v", err)
		}
		if got := Detect(string(src)); got != f {
			t.Errorf("Detect(%s) = %q, want %q", file, got, f)
		}
	}
	if got := Detect("{{ messages }}"); got != FormatUnknown {
		t.Errorf("Detect(plain) = %q, want unknown", got)
	}
}

func TestRenderErrors(t *testing.T) {
	tpl, err := Parse("{{ messages[0].content }}")
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "user", Content: "x"}}
	if _, err := tpl.Render(msgs, Options{Tools: json.RawMessage(`{"a":1}`)}); err == nil || !strings.Contains(err.Error(), "not a JSON array") {
		t.Errorf("tools object: error = %v", err)
	}
	if _, err := tpl.Render(msgs, Options{Tools: json.RawMessage(`[1,`)}); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("bad tools JSON: error = %v", err)
	}
	if _, err := tpl.Render(msgs, Options{Vars: map[string]any{"x": struct{}{}}}); err == nil || !strings.Contains(err.Error(), `variable "x"`) {
		t.Errorf("unsupported var type: error = %v", err)
	}
	bad, err := Parse(`{{ strftime_now("%Q") }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Render(msgs, Options{Now: fixedClock}); err == nil || !strings.Contains(err.Error(), "unsupported directive %Q") {
		t.Errorf("strftime %%Q: error = %v", err)
	}
	if _, err := Parse("{% for x in %}"); err == nil {
		t.Error("Parse of a broken template succeeded")
	}
}
