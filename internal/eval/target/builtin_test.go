package target

import (
	"context"
	"errors"
	"testing"

	"github.com/longctx/longctx/internal/engine"
)

// A generation the context cancelled is an error, not an answer: the
// runner would store and score it, and a resumed run would never ask
// again.
func TestBuiltinCancelledIsAnError(t *testing.T) {
	e, err := engine.Open("../../../../shared/fixtures/gguf/tiny-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b := NewBuiltin(e, "tiny", BuiltinOptions{})
	req, p := Request{Prompt: "hello world"}, Params{MaxTokens: 8}
	if r, err := b.Generate(context.Background(), req, p); err != nil || r.FinishReason == "cancelled" {
		t.Fatalf("live context: %+v %v", r, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := b.Generate(ctx, req, p); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %+v, error %v (want context.Canceled)", r, err)
	}
}
