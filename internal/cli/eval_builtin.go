package cli

import (
	"flag"
	"fmt"
	"strings"

	"github.com/longctx/longctx/internal/attention"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/eval/target"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// builtinFlags registers the built-in target's engine options on fs and
// returns the function that turns them into target.BuiltinOptions once the
// engine is open, with a name=value description of each for the report.
// Options that change answers (KV type, attention policy, budget...) go
// here: everything in BuiltinOptions.Variant is part of the cache key.
func builtinFlags(fs *flag.FlagSet) func(e *engine.Engine) (target.BuiltinOptions, map[string]string, error) {
	kvType := fs.String("kv-type", "f16", "built-in target: KV cache type, f32, f16, q8_0 or q4_0")
	attn := attention.DefaultConfig()
	attn.RegisterFlags(fs)
	return func(e *engine.Engine) (target.BuiltinOptions, map[string]string, error) {
		opt := target.BuiltinOptions{}
		elem, err := tensor.ParseType(*kvType)
		if err != nil || (elem != tensor.F32 && elem != tensor.F16 && elem != tensor.Q8_0 && elem != tensor.Q4_0) {
			return opt, nil, fmt.Errorf("%w: --kv-type %q (want f32, f16, q8_0 or q4_0)", errUsage, *kvType)
		}
		opt.KVType = elem
		name := strings.ToLower(elem.String())
		id := modelID(e.Model)
		desc := map[string]string{"kv": name, "model": id}
		// The model's identity keys the store too: two files of the same
		// name, or one file under another --rope-scaling, answer
		// differently.
		opt.Variant = "model=" + id + ",kv=" + name
		if attn.Name != attention.Dense {
			if err := attn.Validate(); err != nil {
				return opt, nil, fmt.Errorf("%w: %v", errUsage, err)
			}
			m, cfg := e.Model, attn
			info := attention.InfoFromModel(m)
			opt.NewCache = func(ctx int) (kv.Cache, error) {
				inner, err := m.NewCache(cfg.CacheCtx(ctx), elem)
				if err != nil {
					return nil, err
				}
				return attention.Wrap(cfg, inner, info)
			}
			// Every resolved setting (block size, block score, sinks...)
			// changes answers, so all of them key the store.
			desc["attention"] = attn.String()
			desc["budget"] = fmt.Sprint(attn.Budget)
			opt.Variant += ",attention=" + strings.ReplaceAll(attn.String(), " ", ",")
		}
		return opt, desc, nil
	}
}
