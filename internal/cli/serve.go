package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/server"
	"github.com/longctx/longctx/internal/tensor"
)

func serveCmd(env *Env) error {
	fs := newFlags(env, "serve", "-m FILE [--addr 127.0.0.1:8080] [--api-key KEY] [--ctx N] [--parallel N] [--kv-ram BYTES] ...")
	modelPath := fs.String("m", "", "model `file` (GGUF)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address; a non-loopback address needs an API key")
	apiKey := fs.String("api-key", "", "require this bearer key (default: $LONGCTX_API_KEY)")
	name := fs.String("name", "", "model id served in /v1/models (default: the file name without .gguf)")
	ctxLen := fs.Int("ctx", 0, fmt.Sprintf("most tokens per sequence, prompt plus output (default: the model's trained context, at most %d)", engine.DefaultCtx))
	parallel := fs.Int("parallel", 4, "most sequences decoded together")
	queue := fs.Int("queue", 64, "most requests waiting for a slot; beyond it 429 (0 = none wait)")
	kvRAM := fs.String("kv-ram", "", "KV-cache memory shared by all sequences, e.g. 4GiB (default: parallel × ctx tokens)")
	kvType := fs.String("kv-type", "f16", "KV cache element type: f16 or f32")
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
	if *modelPath == "" {
		return fmt.Errorf("%w: -m FILE is required", errUsage)
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
	elem, err := parseKVType(*kvType)
	if err != nil {
		return err
	}
	cfg := server.Config{
		ModelName: *name, Ctx: *ctxLen, Parallel: *parallel, QueueDepth: *queue, KVF32: elem == tensor.F32,
		StepTokens: *stepTokens, MaxTokens: *maxTokens, APIKey: *apiKey,
	}
	if cfg.QueueDepth == 0 {
		cfg.QueueDepth = -1 // the server's 0 means "default"
	}
	if cfg.ModelName == "" {
		cfg.ModelName = strings.TrimSuffix(filepath.Base(*modelPath), ".gguf")
	}
	if *kvRAM != "" {
		if cfg.KVBytes, err = parseBytes(*kvRAM); err != nil {
			return fmt.Errorf("%w: --kv-ram: %v", errUsage, err)
		}
	}
	if cfg.MaxBodyBytes, err = parseBytes(*maxBody); err != nil {
		return fmt.Errorf("%w: --max-body: %v", errUsage, err)
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

	e, err := engine.Open(*modelPath)
	if err != nil {
		return err
	}
	defer e.Close()
	srv, err := server.New(e, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	c, mem := srv.Config(), srv.Memory()
	fmt.Fprintf(env.Stderr, "longctx serve: http://%s model %q: weights %.1f MiB, KV %d B/token; ctx %d per sequence, %d parallel, KV budget %.1f MiB (%d tokens), queue %d\n",
		ln.Addr(), c.ModelName, float64(mem.WeightBytes)/(1<<20), mem.KVPerToken, c.Ctx, c.Parallel,
		float64(c.KVBytes)/(1<<20), c.KVBytes/mem.KVPerToken, c.QueueDepth)
	if c.ChatTemplate == nil {
		fmt.Fprintln(env.Stderr, "longctx serve: the model has no chat template: /v1/chat/completions answers 400 (see --chat-template)")
	}

	// No write timeout: a long prefill or stream must not be cut off.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// parseBytes reads a size such as 1048576, 512MiB, 4GiB, 2G or 100KB.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mul    int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) && len(t) > len(u.suffix) {
			t, mul = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mul
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mul) > 1<<62 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512MiB or 4GiB)", s)
	}
	return int64(v * float64(mul)), nil
}
