package trace

import (
	"context"
	"fmt"
	"strings"
)

// Methods are the traceback methods Run knows: attntrace and cam need the
// model's attention (a Backend); the rest are TracLLM's search with that
// score function. "tracllm" is TracLLM as its authors run it (their
// experiments' and package's default score functions): the ensemble of
// stc, loo and denoised Shapley; "ensemble" is the same; "denoised" is
// denoised Shapley alone.
var Methods = []string{"attntrace", "tracllm", "denoised", "loo", "shapley", "stc", "ensemble", "cam"}

// Options configure Run.
type Options struct {
	AttnTrace AttnTraceOptions
	TracLLM   TracLLMOptions // Score is set from the method
}

// TracLLMScore maps a TracLLM method name to its score function (false
// for the attention methods).
func TracLLMScore(method string) (string, bool) {
	switch method {
	case "tracllm":
		return "ensemble", true
	case "denoised", "loo", "shapley", "stc", "ensemble":
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
	if score, ok := TracLLMScore(method); ok {
		to := o.TracLLM
		to.Score = score
		if to.Workers == 0 {
			to.Workers = b.concurrency()
		}
		r, err := TracLLM(ctx, b.Value, len(b.P.Segments), to)
		if r != nil {
			r.Method = method
		}
		return r, err
	}
	return nil, fmt.Errorf("trace: unknown method %q (want %s)", method, strings.Join(Methods, ", "))
}

// RunValue traces with a TracLLM method over any value function (an
// endpoint's); attention methods need a local model.
func RunValue(ctx context.Context, v ValueFunc, n int, method string, o TracLLMOptions) (*Result, error) {
	score, ok := TracLLMScore(method)
	if !ok {
		return nil, fmt.Errorf("trace: method %q needs a local model's attention; with an endpoint use tracllm, denoised, loo, shapley, stc or ensemble", method)
	}
	o.Score = score
	r, err := TracLLM(ctx, v, n, o)
	if r != nil {
		r.Method = method // "tracllm" runs the "ensemble" score
	}
	return r, err
}
