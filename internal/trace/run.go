package trace

import (
	"context"
	"fmt"
	"strings"
)

// Methods are the traceback methods Run knows: attntrace and cam need the
// model's attention (a Backend); the rest are TracLLM's search with that score function
// ("tracllm" is denoised Shapley).
var Methods = []string{"attntrace", "tracllm", "loo", "shapley", "stc", "ensemble", "cam"}

// Options configure Run.
type Options struct {
	AttnTrace AttnTraceOptions
	TracLLM   TracLLMOptions // Score is set from the method
}

// tracllmScore maps a TracLLM method name to its score function.
func tracllmScore(method string) (string, bool) {
	switch method {
	case "tracllm":
		return "denoised", true
	case "loo", "shapley", "stc", "ensemble":
		return method, true
	}
	return "", false
}

// Run traces b with the named method.
func Run(ctx context.Context, b *Bound, method string, o Options) (*Result, error) {
	switch method {
	case "attntrace":
		return AttnTrace(ctx, b, o.AttnTrace)
	case "cam":
		return CAM(ctx, b)
	}
	if score, ok := tracllmScore(method); ok {
		to := o.TracLLM
		to.Score = score
		return TracLLM(ctx, b.Value, len(b.P.Segments), to)
	}
	return nil, fmt.Errorf("trace: unknown method %q (want %s)", method, strings.Join(Methods, ", "))
}

// RunValue traces with a TracLLM method over any value function (an
// endpoint's); attention methods need a local model.
func RunValue(ctx context.Context, v ValueFunc, n int, method string, o TracLLMOptions) (*Result, error) {
	score, ok := tracllmScore(method)
	if !ok {
		return nil, fmt.Errorf("trace: method %q needs a local model's attention; with an endpoint use tracllm, loo, shapley, stc or ensemble", method)
	}
	o.Score = score
	return TracLLM(ctx, v, n, o)
}
