package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

// Config sets the server's limits. Zero fields take the defaults listed.
type Config struct {
	// ModelName is the id served in /v1/models and responses (default "longctx").
	ModelName string
	// Ctx is the most positions one sequence may use, prompt plus output
	// (default: the model's trained context, at most engine.DefaultCtx).
	Ctx int
	// Parallel is the most sequences running at once (default 4).
	Parallel int
	// QueueDepth is the most requests waiting for a slot (default 64;
	// negative: none wait); beyond it requests get 429.
	QueueDepth int
	// KVBytes is the KV-cache memory all running sequences share (default
	// Parallel × Ctx positions). A sequence reserves prompt+max_tokens
	// positions on admission.
	KVBytes int64
	// KVF32 stores the cache as F32 instead of F16.
	KVF32 bool
	// StepTokens is the most tokens in one forward pass, decode tokens plus
	// a prefill chunk (default 256). It bounds how long one step stalls the
	// running streams while a long prompt is prefilled.
	StepTokens int
	// MaxBodyBytes bounds a request body (default 8 MiB).
	MaxBodyBytes int64
	// MaxTokens is the largest max_tokens accepted, and the default when a
	// request gives none (then capped to the context left) (default 4096).
	MaxTokens int
	// MaxPromptTokens bounds a prompt (default Ctx-1).
	MaxPromptTokens int
	// MaxStops bounds the stop strings of a request (default 4, OpenAI's).
	MaxStops int
	// APIKey, when set, is required as "Authorization: Bearer KEY" on every
	// endpoint but /health and /metrics.
	APIKey string
	// ChatTemplate overrides the model's chat template (which may be absent;
	// chat requests then get 400).
	ChatTemplate *chat.Template
	// RetryAfter is the Retry-After of a 429 (default 1 s).
	RetryAfter time.Duration
}

func (c Config) withDefaults(e *engine.Engine) (Config, error) {
	if c.ModelName == "" {
		c.ModelName = "longctx"
	}
	if c.Ctx == 0 {
		c.Ctx = min(e.Model.Config.CtxTrain, engine.DefaultCtx)
	}
	if c.Parallel == 0 {
		c.Parallel = 4
	}
	switch {
	case c.QueueDepth == 0:
		c.QueueDepth = 64
	case c.QueueDepth < 0:
		c.QueueDepth = 0
	}
	if c.StepTokens == 0 {
		c.StepTokens = 256
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = 4096
	}
	if c.MaxStops == 0 {
		c.MaxStops = 4
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = time.Second
	}
	switch {
	case c.Ctx < 2:
		return c, fmt.Errorf("server: context %d is too small", c.Ctx)
	case c.Parallel < 1:
		return c, errors.New("server: parallel must be >= 1")
	case c.StepTokens <= c.Parallel:
		return c, fmt.Errorf("server: step tokens (%d) must exceed parallel (%d) so prefill always progresses", c.StepTokens, c.Parallel)
	case c.MaxBodyBytes < 1024 || c.MaxTokens < 1 || c.MaxStops < 0:
		return c, errors.New("server: body limit must be >= 1 KiB and max tokens >= 1")
	}
	if c.MaxPromptTokens == 0 || c.MaxPromptTokens > c.Ctx-1 {
		c.MaxPromptTokens = c.Ctx - 1
	}
	if c.ChatTemplate == nil {
		c.ChatTemplate = e.Template
	}
	mem := NewMemoryModel(e.Model, c.kvType())
	if c.KVBytes == 0 {
		c.KVBytes = int64(c.Parallel) * int64(c.Ctx) * mem.KVPerToken
	}
	if c.KVBytes < mem.KVPerToken*2 {
		return c, fmt.Errorf("server: a KV budget of %d bytes holds fewer than 2 tokens (%d bytes each)", c.KVBytes, mem.KVPerToken)
	}
	return c, nil
}

func (c Config) kvType() tensor.Type {
	if c.KVF32 {
		return tensor.F32
	}
	return tensor.F16
}

// MemoryModel is the serving memory bill (algorithms.md section 9):
// weights once, plus KV bytes per token per sequence.
type MemoryModel struct {
	WeightBytes int64
	// KVPerToken is 2 (K and V) × layers × KV heads × head width × element size.
	KVPerToken int64
}

// NewMemoryModel computes the memory model of m with a cache of elem.
func NewMemoryModel(m *model.Model, elem tensor.Type) MemoryModel {
	c := m.Config
	var w int64
	add := func(x model.Weight) { w += int64(len(x.Data)) }
	add(m.Embedding)
	if !c.TiedOutput {
		add(m.Output)
	}
	for _, l := range m.Layers {
		for _, x := range []model.Weight{l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down} {
			add(x)
		}
	}
	return MemoryModel{
		WeightBytes: w,
		KVPerToken:  2 * int64(c.Layers) * int64(c.KVHeads) * int64(c.HeadDim) * int64(elem.TypeSize()),
	}
}

// KVBytes is the cache of one sequence of n positions.
func (mm MemoryModel) KVBytes(n int) int64 { return mm.KVPerToken * int64(n) }
