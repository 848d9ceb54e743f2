package server

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/plan"
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
	// KVBytes is the KV-cache memory all sequences share, running ones and
	// the prefix cache's (default Parallel × Ctx positions). A sequence
	// reserves prompt+max_tokens positions, in whole blocks, on admission.
	KVBytes int64
	// KVType is the default KV element type: f32, f16, q8_0 or q4_0
	// (default f16); requests may choose another (longctx.kv_type).
	KVType string
	// KVBlock is the KV block size in positions (default 256); memory is
	// reserved and prefixes are shared in blocks.
	KVBlock int
	// Attention resolves the sparse attention policies requests may ask
	// for (longctx.attention); nil: dense attention only.
	Attention AttentionFunc
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
	c.KVType = strings.ToLower(c.KVType)
	if c.KVType == "" {
		c.KVType = "f16"
	}
	if c.KVBlock == 0 {
		c.KVBlock = kv.DefaultBlockSize
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
	elem, ok := cacheTypes[strings.ToLower(c.KVType)]
	if !ok {
		return c, fmt.Errorf("server: KV type %q is not one of %s", c.KVType, cacheTypeNames())
	}
	if err := (kv.Config{Type: elem, BlockSize: c.KVBlock}).Validate(); err != nil {
		return c, fmt.Errorf("server: %w", err)
	}
	mem, err := plan.New(plan.FromModel(e.Model), elem, c.KVBlock, c.StepTokens)
	if err != nil {
		return c, fmt.Errorf("server: %w", err)
	}
	if c.KVBytes == 0 {
		c.KVBytes = int64(c.Parallel) * mem.SeqKVBytes(c.Ctx)
	}
	if c.KVBytes < mem.BlockBytes() {
		return c, fmt.Errorf("server: a KV budget of %d bytes holds no block of %d positions (%d bytes)", c.KVBytes, c.KVBlock, mem.BlockBytes())
	}
	return c, nil
}
