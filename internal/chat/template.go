package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string
	Content string
	// Extra holds further fields the template sees on the message, such as
	// tool_calls, tool_call_id or reasoning_content. Values may be Go values
	// (string, bool, numbers, []any, map[string]any) or json.RawMessage, which
	// keeps its key order for tojson. A key here overrides Role or Content;
	// "content": nil gives the template a null content.
	Extra map[string]any
}

// Options are the variables besides the messages that a render passes in.
type Options struct {
	// AddGenerationPrompt asks the template to end with the header that opens
	// the assistant's reply.
	AddGenerationPrompt bool
	BOSToken, EOSToken  string
	// Tools is the tool list as a JSON array (OpenAI's "tools" field), or
	// nil for none.
	Tools json.RawMessage
	// EnableThinking, when set, defines enable_thinking (Qwen3, SmolLM3,
	// DeepSeek-R1 templates). Nil leaves it undefined, which templates treat
	// differently from false.
	EnableThinking *bool
	// Vars are further template variables (date_string, builtin_tools, ...),
	// with the same value types as Message.Extra. They override the others.
	Vars map[string]any
	// DateVars defines date_string ("07 Mar 2025") and datetime
	// ("Mar 07 2025") from the clock, as llama.cpp does for every template;
	// transformers does not, so Llama 3.1's template then falls back to its
	// built-in "26 Jul 2024". Vars override them.
	DateVars bool
	// Now is the clock behind strftime_now and DateVars; nil means time.Now.
	Now func() time.Time
}

// ErrNoTemplate is returned by Parse for an empty template source.
var ErrNoTemplate = errors.New("chat: model has no chat template")

// RaisedError is the error a template raises through raise_exception, for
// example Gemma's refusal of a system message.
type RaisedError struct {
	Message string
}

func (e *RaisedError) Error() string { return "chat template raised: " + e.Message }

// Template is a parsed chat template. It is safe for concurrent use.
type Template struct {
	source string
	tpl    *exec.Template
}

// jinjaConfig is the Jinja environment transformers uses for chat templates
// (trim_blocks, lstrip_blocks), with lstrip_blocks done by lstripBlocks:
// gonja's also strips the spaces between "}}" and a "{%" on the same line.
func jinjaConfig() *config.Config {
	cfg := config.New()
	cfg.TrimBlocks = true
	return cfg
}

// lineStartTag matches spaces and tabs from a line's start to a block or
// comment tag ("{%+" and "{#+" opt out, as in Jinja).
var lineStartTag = regexp.MustCompile(`(?m)^[ \t]+(\{[%#])([^+]|$)`)

// lstripBlocks is Jinja's lstrip_blocks: the spaces and tabs before a
// block or comment tag that begins its line are removed.
func lstripBlocks(src string) string { return lineStartTag.ReplaceAllString(src, "$1$2") }

// Parse compiles a chat template. The source is untrusted (it comes from a
// model file): malformed input gives an error, never a panic.
func Parse(src string) (t *Template, err error) {
	if strings.TrimSpace(src) == "" {
		return nil, ErrNoTemplate
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("chat: parse template: engine failure: %v", r)
		}
	}()
	const name = "chat_template"
	loader, err := loaders.NewFileSystemLoader("")
	if err != nil {
		return nil, fmt.Errorf("chat: parse template: %w", err)
	}
	shifted, err := loaders.NewShiftedLoader(name, bytes.NewReader([]byte(lstripBlocks(src))), loader)
	if err != nil {
		return nil, fmt.Errorf("chat: parse template: %w", err)
	}
	tpl, err := exec.NewTemplate(name, jinjaConfig(), shifted, environment)
	if err != nil {
		return nil, fmt.Errorf("chat: parse template: %w", err)
	}
	if err := checkMacroRecursion(tpl.Root()); err != nil {
		return nil, err
	}
	rewriteSubscripts(tpl.Root())
	return &Template{source: src, tpl: tpl}, nil
}

// Source returns the template text as given to Parse.
func (t *Template) Source() string { return t.source }

// Render applies the template to a conversation.
func (t *Template) Render(msgs []Message, opts Options) (out string, err error) {
	ctx, raised, err := renderContext(msgs, opts)
	if err != nil {
		return "", err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("chat: render template: engine failure: %v", r)
		}
	}()
	out, err = t.tpl.ExecuteToString(ctx)
	if *raised != nil {
		return "", *raised
	}
	if err != nil {
		return "", fmt.Errorf("chat: render template: %w", err)
	}
	return out, nil
}

// renderContext builds the variables of one render. raised is set when the
// template calls raise_exception; gonja flattens errors into text on their
// way up, so the render reports this one directly.
func renderContext(msgs []Message, opts Options) (*exec.Context, **RaisedError, error) {
	messages := make([]any, len(msgs))
	for i, m := range msgs {
		d := exec.NewDict()
		d.Pairs = append(d.Pairs,
			&exec.Pair{Key: exec.AsValue("role"), Value: exec.AsValue(m.Role)},
			&exec.Pair{Key: exec.AsValue("content"), Value: exec.AsValue(m.Content)})
		for _, k := range sortedKeys(m.Extra) {
			v, err := templateValue(m.Extra[k])
			if err != nil {
				return nil, nil, fmt.Errorf("chat: message %d field %q: %w", i, k, err)
			}
			dictSet(d, k, v)
		}
		messages[i] = *d
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	raised := new(*RaisedError)
	vars := map[string]any{
		"messages":              messages,
		"add_generation_prompt": opts.AddGenerationPrompt,
		"bos_token":             opts.BOSToken,
		"eos_token":             opts.EOSToken,
		"raise_exception": func(args *exec.VarArgs) (any, error) {
			msg := "raise_exception called"
			if len(args.Args) > 0 {
				msg = args.Args[0].String()
			}
			*raised = &RaisedError{Message: msg}
			return nil, *raised
		},
		"strftime_now": func(args *exec.VarArgs) (any, error) {
			if len(args.Args) != 1 || !args.Args[0].IsString() {
				return nil, errors.New("strftime_now takes one format string")
			}
			return strftime(now(), args.Args[0].String())
		},
	}
	if len(opts.Tools) > 0 {
		tools, err := decodeOrderedJSON(opts.Tools)
		if err != nil {
			return nil, nil, fmt.Errorf("chat: tools: %w", err)
		}
		if _, ok := tools.([]any); !ok {
			return nil, nil, errors.New("chat: tools: not a JSON array")
		}
		vars["tools"] = tools
	}
	if opts.DateVars {
		t := now()
		vars["date_string"] = t.Format("02 Jan 2006")
		vars["datetime"] = t.Format("Jan 02 2006")
	}
	if opts.EnableThinking != nil {
		vars["enable_thinking"] = *opts.EnableThinking
	}
	for _, k := range sortedKeys(opts.Vars) {
		v, err := templateValue(opts.Vars[k])
		if err != nil {
			return nil, nil, fmt.Errorf("chat: variable %q: %w", k, err)
		}
		vars[k] = v
	}
	return exec.NewContext(vars), raised, nil
}
