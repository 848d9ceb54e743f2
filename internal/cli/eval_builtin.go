package cli

import (
	"flag"
	"fmt"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/eval/target"
	"github.com/longctx/longctx/internal/tensor"
)

// builtinFlags registers the built-in target's engine options on fs and
// returns the function that turns them into target.BuiltinOptions once the
// engine is open, with a name=value description of each for the report.
// Options that change answers (KV type, attention policy, budget...) go
// here: everything in BuiltinOptions.Variant is part of the cache key.
func builtinFlags(fs *flag.FlagSet) func(e *engine.Engine) (target.BuiltinOptions, map[string]string, error) {
	kvType := fs.String("kv-type", "f16", "built-in target: KV cache type, f16 or f32")
	return func(e *engine.Engine) (target.BuiltinOptions, map[string]string, error) {
		opt := target.BuiltinOptions{}
		switch *kvType {
		case "f16":
			opt.KVType = tensor.F16
		case "f32":
			opt.KVType = tensor.F32
		default:
			return opt, nil, fmt.Errorf("%w: --kv-type %q (want f16 or f32)", errUsage, *kvType)
		}
		desc := map[string]string{"kv": *kvType}
		opt.Variant = "kv=" + *kvType
		return opt, desc, nil
	}
}
