package chat

import "strings"

// chatMLSource is the ChatML format (OpenAI's, used by Qwen and others):
//
//	<|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n
//
// llama.cpp falls back to it for a model without a chat template.
const chatMLSource = `{%- for message in messages %}
{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\n' }}
{%- endif %}`

// ChatML returns the ChatML template, a fallback for models whose metadata
// has no tokenizer.chat_template (Parse returns ErrNoTemplate for those).
// Whether ChatML suits such a model is the caller's call: a base model knows
// no chat format at all.
func ChatML() *Template {
	t, err := Parse(chatMLSource)
	if err != nil {
		panic("chat: built-in ChatML template: " + err.Error())
	}
	return t
}

// Format names a family of chat prompt formats.
type Format string

// The formats Detect recognises.
const (
	FormatUnknown    Format = ""
	FormatChatML     Format = "chatml"      // <|im_start|>role ... <|im_end|> (Qwen, SmolLM)
	FormatLlama3     Format = "llama3"      // <|start_header_id|>role<|end_header_id|> ... <|eot_id|>
	FormatMistral    Format = "mistral"     // [INST] ... [/INST]
	FormatGemma      Format = "gemma"       // <start_of_turn>role ... <end_of_turn>
	FormatPhi3       Format = "phi3"        // <|user|> ... <|end|>
	FormatDeepSeekR1 Format = "deepseek-r1" // <｜User｜> ... <｜Assistant｜>
)

// Detect guesses the prompt format of a template source from the turn
// markers it writes, for logs and diagnostics; rendering never needs it.
func Detect(src string) Format {
	switch {
	case strings.Contains(src, "<|start_header_id|>"):
		return FormatLlama3
	case strings.Contains(src, "<|im_start|>"):
		return FormatChatML
	case strings.Contains(src, "<｜User｜>"):
		return FormatDeepSeekR1
	case strings.Contains(src, "<start_of_turn>"):
		return FormatGemma
	case strings.Contains(src, "<|user|>") && strings.Contains(src, "<|end|>"):
		return FormatPhi3
	case strings.Contains(src, "[INST]"):
		return FormatMistral
	}
	return FormatUnknown
}
