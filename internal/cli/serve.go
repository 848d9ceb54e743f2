package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/longctx/longctx/internal/attention"
	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/plan"
	"github.com/longctx/longctx/internal/server"
	"github.com/longctx/longctx/internal/tensor"
)

func serveCmd(env *Env) error {
	fs := newFlags(env, "serve", "[-m FILE] [--addr 127.0.0.1:8080] [--api-key KEY] [--ctx N] [--parallel N] [--kv-ram BYTES | --ram BYTES] ...")
	mf := addModelFlags(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address; a non-loopback address needs an API key")
	apiKey := fs.String("api-key", "", "require this bearer key (default: $LONGCTX_API_KEY)")
	name := fs.String("name", "", "model id served in /v1/models (default: the file name without .gguf)")
	ctxLen := fs.Int("ctx", 0, fmt.Sprintf("most tokens per sequence, prompt plus output (default: the model's trained context, at most %d)", engine.DefaultCtx))
	parallel := fs.Int("parallel", 4, "most sequences decoded together")
	queue := fs.Int("queue", 64, "most requests waiting for a slot; beyond it 429 (0 = none wait)")
	kvRAM := fs.String("kv-ram", "", "KV-cache memory shared by all sequences and the prefix cache, e.g. 4GiB (default: parallel × ctx tokens, shrunk to fit --ram)")
	ramFlag := fs.String("ram", "", "memory for weights, activations and KV (default: the system's available memory); see longctx plan")
	kvType := fs.String("kv-type", "f16", "default KV cache element type: f32, f16, q8_0 or q4_0 (requests may choose with longctx.kv_type)")
	kvBlock := fs.Int("kv-block", kv.DefaultBlockSize, "KV block size in positions (memory is reserved and prefixes shared in blocks)")
	stepTokens := fs.Int("step-tokens", 256, "most tokens per forward pass (decode tokens plus a prefill chunk)")
	maxTokens := fs.Int("max-tokens", 4096, "largest max_tokens accepted (also the default, capped to the context left)")
	maxBody := fs.String("max-body", "8MiB", "largest request body")
	template := fs.String("chat-template", "", "chat template: 'chatml' or a Jinja file (default: the model's own)")
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	args, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
	}
	if *apiKey == "" {
		*apiKey = os.Getenv("LONGCTX_API_KEY")
	}
	if err := checkBind(*addr, *apiKey); err != nil {
		return err
	}
	if *parallel < 1 || *queue < 0 || *ctxLen < 0 || *stepTokens < 1 || *maxTokens < 1 {
		return fmt.Errorf("%w: --parallel, --step-tokens and --max-tokens must be >= 1; --queue and --ctx >= 0", errUsage)
	}
	elem, err := parseCacheType(*kvType)
	if err != nil {
		return err
	}
	cfg := server.Config{
		ModelName: *name, Ctx: *ctxLen, Parallel: *parallel, QueueDepth: *queue, KVType: *kvType, KVBlock: *kvBlock,
		StepTokens: *stepTokens, MaxTokens: *maxTokens, APIKey: *apiKey,
	}
	if cfg.QueueDepth == 0 {
		cfg.QueueDepth = -1 // the server's 0 means "default"
	}
	if cfg.ModelName == "" {
		cfg.ModelName = strings.TrimSuffix(mf.name(), ".gguf")
	}
	if *kvRAM != "" {
		if cfg.KVBytes, err = kv.ParseBytes(*kvRAM); err != nil || cfg.KVBytes == 0 {
			return fmt.Errorf("%w: --kv-ram %q: want a size such as 4GiB", errUsage, *kvRAM)
		}
	}
	var ram int64
	if *ramFlag != "" {
		if ram, err = kv.ParseBytes(*ramFlag); err != nil || ram == 0 {
			return fmt.Errorf("%w: --ram %q: want a size such as 16GiB", errUsage, *ramFlag)
		}
	}
	if cfg.MaxBodyBytes, err = kv.ParseBytes(*maxBody); err != nil || cfg.MaxBodyBytes == 0 {
		return fmt.Errorf("%w: --max-body %q: want a size such as 8MiB", errUsage, *maxBody)
	}
	switch *template {
	case "":
	case "chatml":
		cfg.ChatTemplate = chat.ChatML()
	default:
		src, err := os.ReadFile(*template)
		if err != nil {
			return err
		}
		if cfg.ChatTemplate, err = chat.Parse(string(src)); err != nil {
			return fmt.Errorf("%s: %w", *template, err)
		}
	}

	e, err := mf.open(env.Stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	if cfg.Ctx == 0 {
		cfg.Ctx = min(e.Model.Config.CtxMax(), engine.DefaultCtx)
	}
	if err := fitMemory(env, e, &cfg, elem, ram); err != nil {
		return err
	}
	cfg.Attention = attentionPolicies(e.Model)
	srv, err := server.New(e, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	// Catch SIGTERM before saying where we listen, so a supervisor (or a
	// test) that signals as soon as it sees the address gets a drain.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	c, mem := srv.Config(), srv.Memory()
	fmt.Fprintf(env.Stderr, "longctx serve: http://%s model %q: weights %s, KV %s %d B/token in blocks of %d; ctx %d per sequence, %d parallel, KV budget %s (%d tokens), queue %d\n",
		ln.Addr(), c.ModelName, humanBytes(mem.Model.WeightBytes), c.KVType, mem.KVPerToken(), c.KVBlock, c.Ctx, c.Parallel,
		humanBytes(c.KVBytes), c.KVBytes/mem.KVPerToken(), c.QueueDepth)
	if c.ChatTemplate == nil {
		why := "the model has no chat template"
		if e.TemplateErr != nil {
			why = e.TemplateErr.Error()
		}
		fmt.Fprintf(env.Stderr, "longctx serve: %s: /v1/chat/completions answers 400 (see --chat-template)\n", why)
	}

	// No write timeout: a long prefill or stream must not be cut off.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(env.Stderr, "longctx serve: draining (up to %v)\n", *shutdown)
	srv.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close() // cancels the remaining requests' contexts
		return fmt.Errorf("drain: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// attentionPolicies lets requests choose internal/attention's policies
// (longctx.attention) with a budget (longctx.budget) and the policies'
// options under their flag names, "-" written "_" (longctx.window,
// longctx.sinks, longctx.block_size, ...). A centroids file is not
// accepted from a request: squeezed clusters in memory.
func attentionPolicies(m *model.Model) server.AttentionFunc {
	info := attention.InfoFromModel(m)
	return func(req server.AttentionRequest) (*server.Attention, error) {
		cfg := attention.DefaultConfig()
		fs := flag.NewFlagSet("longctx", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg.RegisterFlags(fs)
		var options []string
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name != "attention" && f.Name != "budget" && f.Name != "centroids" {
				options = append(options, strings.ReplaceAll(f.Name, "-", "_"))
			}
		})
		cfg.Name = strings.ToLower(req.Name)
		if req.Budget > 0 {
			cfg.Budget = req.Budget
		}
		settings := map[string]any{"budget": cfg.Budget}
		keys := make([]string, 0, len(req.Params))
		for k := range req.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(options, k) {
				return nil, fmt.Errorf("unknown option longctx.%s (attention options: %s)", k, strings.Join(options, ", "))
			}
			var v any
			if err := json.Unmarshal(req.Params[k], &v); err != nil {
				return nil, fmt.Errorf("longctx.%s: %v", k, err)
			}
			var text string
			switch x := v.(type) {
			case string:
				text = x
			case float64:
				text = strconv.FormatFloat(x, 'g', -1, 64)
			case bool:
				text = strconv.FormatBool(x)
			default:
				return nil, fmt.Errorf("longctx.%s must be a number, a string or a boolean", k)
			}
			if err := fs.Set(strings.ReplaceAll(k, "_", "-"), text); err != nil {
				return nil, fmt.Errorf("longctx.%s: %v", k, err)
			}
			settings[k] = v
		}
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		// Wrap a small cache now so that settings no cache can use are the
		// request's 400, not a failure after admission.
		c := m.Config
		probe, err := kv.NewContiguous(kv.Shape{Layers: c.Layers, Ctx: 64, KVHeads: c.KVHeads, HeadDim: c.HeadDim, ElemType: tensor.F16})
		if err != nil {
			return nil, err
		}
		if _, err := attention.Wrap(cfg, probe, info); err != nil {
			return nil, err
		}
		return &server.Attention{
			Name: cfg.Name, Settings: settings, CacheCtx: cfg.CacheCtx, MaxChunk: cfg.MaxChunk(),
			Wrap: func(inner kv.Selective) (kv.Cache, error) { return attention.Wrap(cfg, inner, info) },
		}, nil
	}
}

// fitMemory checks the KV budget against the memory the machine has (or
// --ram) with the plan package's model, so the server refuses to start
// rather than be killed: the default budget (parallel × ctx) shrinks to
// fit, with a note; an explicit --kv-ram that does not fit is an error.
func fitMemory(env *Env, e *engine.Engine, cfg *server.Config, elem tensor.Type, ram int64) error {
	p, err := plan.New(plan.FromModel(e.Model), elem, cfg.KVBlock, cfg.StepTokens)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	source := "--ram"
	if ram == 0 {
		if ram, err = plan.AvailableMemory(); err != nil {
			fmt.Fprintf(env.Stderr, "longctx serve: %v; not checking the KV budget against memory (give --ram)\n", err)
			return nil
		}
		source = "available memory"
	}
	fit := p.Fit(ram, cfg.Ctx)
	want := cfg.KVBytes
	if want == 0 {
		want = int64(cfg.Parallel) * fit.SeqKV // the server's default
	}
	if want <= fit.KVBudget {
		return nil
	}
	need := fmt.Sprintf("weights %s + activations %s + KV %s exceed the %s (%s)",
		humanBytes(fit.Weights), humanBytes(fit.Activations), humanBytes(want), source, humanBytes(ram))
	if cfg.KVBytes != 0 || fit.MaxSeqs == 0 {
		return fmt.Errorf("%s; %d sequences of %d tokens fit: lower --kv-ram, --ctx or --parallel, or use --kv-type q8_0 (see longctx plan)",
			need, fit.MaxSeqs, cfg.Ctx)
	}
	cfg.KVBytes = fit.KVBudget
	fmt.Fprintf(env.Stderr, "longctx serve: %s; KV budget shrunk to %s: %d sequences of %d tokens at once (see longctx plan)\n",
		need, humanBytes(fit.KVBudget), fit.MaxSeqs, cfg.Ctx)
	return nil
}

// checkBind refuses to listen beyond loopback without an API key.
func checkBind(addr, key string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: --addr %q: %v", errUsage, addr, err)
	}
	if key != "" || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: --addr %s listens beyond loopback: set --api-key or LONGCTX_API_KEY", errUsage, addr)
}
