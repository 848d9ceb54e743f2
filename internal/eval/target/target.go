package target

import "context"

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one prompt: Messages for a chat target, Prompt for a raw
// completion target. A target rejects the shape it cannot send.
type Request struct {
	Messages []Message `json:"messages,omitempty"`
	Prompt   string    `json:"prompt,omitempty"`
}

// Params are the decoding settings sent with a request.
type Params struct {
	MaxTokens   int      `json:"max_tokens"`
	Temperature float64  `json:"temperature"`
	TopP        float64  `json:"top_p"`
	Stop        []string `json:"stop,omitempty"`
}

// Usage is the token accounting a target reports (zero when it does not).
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Response is a target's answer, with the exact request and response bodies
// so a run's store can show what was sent and received.
type Response struct {
	Text         string
	FinishReason string
	Usage        Usage
	RequestBody  []byte
	ResponseBody []byte
}

// Target answers prompts. Name identifies the target and model for cache
// keys and reports (two targets with one Name must answer alike).
type Target interface {
	Name() string
	Generate(ctx context.Context, req Request, p Params) (Response, error)
}
