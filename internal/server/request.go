package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// apiError is an error answered in OpenAI's error shape.
type apiError struct {
	Status  int
	Type    string // invalid_request_error, authentication_error, ...
	Param   string
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{Status: 400, Type: "invalid_request_error", Param: param, Message: fmt.Sprintf(format, args...)}
}

// streamOptions is OpenAI's stream_options.
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// samplingFields are the generation parameters both endpoints share.
type samplingFields struct {
	Model            string          `json:"model"`
	MaxTokens        *int            `json:"max_tokens"`
	Temperature      *float64        `json:"temperature"`
	TopP             *float64        `json:"top_p"`
	N                *int            `json:"n"`
	Stream           bool            `json:"stream"`
	StreamOptions    *streamOptions  `json:"stream_options"`
	Stop             json.RawMessage `json:"stop"`
	Seed             *int64          `json:"seed"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	// Extensions understood by vLLM and llama.cpp.
	TopK              *int     `json:"top_k"`
	MinP              *float64 `json:"min_p"`
	RepetitionPenalty *float64 `json:"repetition_penalty"`
	// Longctx holds the long-context options (see runOptions).
	Longctx json.RawMessage `json:"longctx"`
}

// completionRequest is the body of POST /v1/completions.
type completionRequest struct {
	samplingFields
	Prompt   json.RawMessage `json:"prompt"`
	Echo     bool            `json:"echo"`
	Logprobs *int            `json:"logprobs"`
	BestOf   *int            `json:"best_of"`
}

// chatRequest is the body of POST /v1/chat/completions.
type chatRequest struct {
	samplingFields
	Messages            []chatMessage `json:"messages"`
	MaxCompletionTokens *int          `json:"max_completion_tokens"`
	Logprobs            *bool         `json:"logprobs"`
	TopLogprobs         *int          `json:"top_logprobs"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name"`
}

// contentPart is one element of an array-valued message content.
type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Fields every generation endpoint knows. ignoredFields are OpenAI fields
// that do not change the output; unsupportedFields would, and are refused.
var (
	samplingFieldNames = []string{"model", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options",
		"stop", "seed", "presence_penalty", "frequency_penalty", "top_k", "min_p", "repetition_penalty", "longctx"}
	completionFieldNames = []string{"prompt", "echo", "logprobs", "best_of"}
	chatFieldNames       = []string{"messages", "max_completion_tokens", "logprobs", "top_logprobs"}
	ignoredFields        = []string{"user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier"}
	unsupportedFields    = []string{"tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
		"response_format", "logit_bias", "suffix", "audio", "modalities", "prediction", "reasoning_effort",
		"web_search_options", "verbosity"}
)

// decodeStrict decodes a JSON object into v after checking its keys: known
// (in any of known), ignored, unsupported (400 naming it) or unknown (400).
// Type errors name the field.
func decodeStrict(body []byte, v any, known ...[]string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return jsonError(err)
	}
	if fields == nil {
		return badRequest("", "the request body must be a JSON object, not null")
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same field every time
	for _, k := range keys {
		switch {
		case inLists(k, known...), inLists(k, ignoredFields):
		case inLists(k, unsupportedFields):
			// A null or empty value asks for nothing, so it is harmless.
			if raw := bytes.TrimSpace(fields[k]); isEmptyJSON(raw) {
				continue
			}
			return badRequest(k, "parameter %q is not supported by this server", k)
		default:
			return badRequest(k, "unknown parameter %q", k)
		}
	}
	// The unsupported fields are not in v's type: drop them first.
	for _, k := range unsupportedFields {
		delete(fields, k)
	}
	for _, k := range ignoredFields {
		delete(fields, k)
	}
	clean, err := json.Marshal(fields)
	if err != nil {
		return badRequest("", "invalid JSON: %v", err)
	}
	if err := json.Unmarshal(clean, v); err != nil {
		return jsonError(err)
	}
	return nil
}

func isEmptyJSON(raw []byte) bool {
	s := string(raw)
	return s == "null" || s == "[]" || s == "{}" || s == `""` || s == "false"
}

func inLists(k string, lists ...[]string) bool {
	for _, l := range lists {
		for _, x := range l {
			if x == k {
				return true
			}
		}
	}
	return false
}

// jsonError turns a decoding error into a 400 naming what was wrong.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := strings.TrimPrefix(te.Field, "samplingFields.") // the embedded struct's name is no parameter
		if field == "" {
			return badRequest("", "the request body must be a JSON object, not %s", te.Value)
		}
		return badRequest(field, "parameter %q must be %s, not %s", field, jsonTypeName(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return badRequest("", "malformed JSON at byte %d: %v", se.Offset, err)
	}
	return badRequest("", "malformed JSON: %v", err)
}

func jsonTypeName(goType string) string {
	goType = strings.TrimPrefix(goType, "*")
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "a boolean"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// parseStop reads "stop": a string, an array of strings, or null.
func parseStop(raw json.RawMessage, maxStops int) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var stops []string
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("stop", "parameter \"stop\" must be a string or an array of strings")
		}
		stops = []string{s}
	} else if err := json.Unmarshal(raw, &stops); err != nil {
		return nil, badRequest("stop", "parameter \"stop\" must be a string or an array of strings")
	}
	if len(stops) > maxStops {
		return nil, badRequest("stop", "at most %d stop strings are allowed, got %d", maxStops, len(stops))
	}
	for i, s := range stops {
		if s == "" {
			return nil, badRequest("stop", "stop string %d is empty", i)
		}
		if len(s) > maxStopBytes {
			return nil, badRequest("stop", "stop string %d is %d bytes; the limit is %d", i, len(s), maxStopBytes)
		}
	}
	return stops, nil
}

// maxStopBytes bounds one stop string (the matcher holds back that much text).
const maxStopBytes = 256

// promptInput is a completions prompt: text or token ids.
type promptInput struct {
	Text   string
	Tokens []int32
	IsIDs  bool
}

// parsePrompt reads "prompt": a string, an array of one string, or an array
// of token ids. Several prompts are refused (like n > 1).
func parsePrompt(raw json.RawMessage) (promptInput, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return promptInput{}, badRequest("prompt", "parameter \"prompt\" is required")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return promptInput{}, badRequest("prompt", "parameter \"prompt\" is not a valid string: %v", err)
		}
		return promptInput{Text: s}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return promptInput{}, badRequest("prompt", "parameter \"prompt\" is malformed: %v", err)
		}
		if len(items) == 0 {
			return promptInput{}, badRequest("prompt", "parameter \"prompt\" is an empty array")
		}
		if first := bytes.TrimSpace(items[0]); len(first) > 0 && (first[0] == '"' || first[0] == '[') {
			if len(items) > 1 {
				return promptInput{}, badRequest("prompt", "only one prompt per request is supported, got %d", len(items))
			}
			return parsePrompt(items[0])
		}
		var ids []int64
		if err := json.Unmarshal(raw, &ids); err != nil {
			return promptInput{}, badRequest("prompt", "parameter \"prompt\" must be a string, an array of one string, or an array of token ids")
		}
		toks := make([]int32, len(ids))
		for i, id := range ids {
			if id < 0 || id > math.MaxInt32 {
				return promptInput{}, badRequest("prompt", "token id %d at index %d is out of range", id, i)
			}
			toks[i] = int32(id)
		}
		return promptInput{Tokens: toks, IsIDs: true}, nil
	}
	return promptInput{}, badRequest("prompt", "parameter \"prompt\" must be a string, an array of one string, or an array of token ids")
}

// messageText reads a message's content: a string, null, or an array of
// text parts (other part types are refused).
func messageText(i int, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	param := fmt.Sprintf("messages[%d].content", i)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest(param, "%s is not a valid string", param)
		}
		return s, nil
	}
	var parts []contentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest(param, "%s must be a string or an array of text parts", param)
	}
	var b strings.Builder
	for j, p := range parts {
		if p.Type != "text" {
			return "", badRequest(param, "%s[%d] has type %q; only text parts are supported", param, j, p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}
