package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/runner"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/eval/target"
	"github.com/longctx/longctx/internal/tensor"
)

// evalCmd runs long-context benchmarks against an OpenAI-compatible server
// or the built-in engine.
func evalCmd(env *Env) error {
	fs := newFlags(env, "eval", "--suite niah,ruler --lengths 4k,8k --target URL --model NAME [flags]")
	suites := fs.String("suite", "niah", "suites to run, comma-separated: niah, ruler")
	tasks := fs.String("tasks", "", "RULER tasks, comma-separated (default all 13; qa_1/qa_2 only with --squad/--hotpotqa)")
	lengths := fs.String("lengths", "4k", "context lengths in tokens, comma-separated (4096, 4k, 128k)")
	samples := fs.Int("samples", 10, "samples per task (or NIAH cell) and length")
	depths := fs.String("depths", "0,10,20,30,40,50,60,70,80,90,100", "NIAH needle depths in percent, comma-separated")
	targetURL := fs.String("target", "", "OpenAI-compatible base URL, or 'builtin'")
	modelName := fs.String("model", "", "model name sent to the server")
	modelFile := fs.String("m", "", "GGUF model file (builtin target)")
	endpoint := fs.String("endpoint", "chat", "chat (/v1/chat/completions) or completions (/v1/completions)")
	keyEnv := fs.String("api-key-env", "OPENAI_API_KEY", "environment variable holding the API key")
	concurrency := fs.Int("concurrency", 4, "requests in flight at once")
	seed := fs.Uint64("seed", 42, "generator seed")
	out := fs.String("out", "eval-out", "directory for results.sqlite and summary.json")
	asJSON := fs.Bool("json", false, "print the summary as JSON on stdout")
	noCache := fs.Bool("no-cache", false, "ask the target again even for requests already stored")
	timeout := fs.Duration("timeout", 10*time.Minute, "per-request timeout")
	retries := fs.Int("retries", 5, "retries on 429/5xx/timeouts")
	haystack := fs.String("haystack", "", "text file to use as the essay haystack instead of the generated essay")
	niahHay := fs.String("niah-haystack", "essay", "NIAH haystack: essay or noise")
	squad := fs.String("squad", "", "SQuAD v2 dev JSON for RULER qa_1")
	hotpot := fs.String("hotpotqa", "", "HotpotQA dev (distractor) JSON for RULER qa_2")
	tokenizer := fs.String("tokenizer", "auto", "length fitting: auto (server /tokenize, else an estimate) or estimate")
	bytesPerTok := fs.Float64("bytes-per-token", 3, "bytes per token for the estimate (lower = shorter, safer prompts)")
	reserve := fs.Int("reserve", -1, "tokens kept free for the chat template (default 64 for chat, 0 for completions)")
	temperature := fs.Float64("temperature", 0, "sampling temperature (0 = greedy)")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}

	builtin := *targetURL == "builtin" || (*targetURL == "" && *modelFile != "")
	if builtin && *modelFile == "" {
		return fmt.Errorf("%w: --target builtin needs -m FILE", errUsage)
	}
	if !builtin && (*targetURL == "" || *modelName == "") {
		return fmt.Errorf("%w: --target URL and --model NAME are required (or -m FILE for the built-in engine)", errUsage)
	}
	var eng *engine.Engine
	if builtin {
		var err error
		if eng, err = engine.Open(*modelFile); err != nil {
			return err
		}
		defer eng.Close()
		if eng.Template == nil && *endpoint == "chat" {
			fmt.Fprintln(env.Stderr, "eval: the model has no chat template; sending raw prompts (completions mode)")
			*endpoint = "completions"
		}
	}
	mode := runner.ModeChat
	switch *endpoint {
	case "chat":
	case "completions":
		mode = runner.ModeCompletion
	default:
		return fmt.Errorf("%w: --endpoint %q (want chat or completions)", errUsage, *endpoint)
	}
	cfg := runner.Config{Mode: mode, Samples: *samples, Concurrency: *concurrency, NoCache: *noCache,
		Temperature: *temperature, NIAH: gen.NIAHOptions{Haystack: *niahHay}}
	cfg.Suites = splitList(*suites)
	cfg.RulerTasks = splitList(*tasks)
	for _, l := range splitList(*lengths) {
		n, err := gen.ParseLength(l)
		if err != nil {
			return fmt.Errorf("%w: --lengths: %v", errUsage, err)
		}
		cfg.Lengths = append(cfg.Lengths, n)
	}
	for _, d := range splitList(*depths) {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 100 {
			return fmt.Errorf("%w: --depths: %q is not a percentage 0..100", errUsage, d)
		}
		cfg.Depths = append(cfg.Depths, n)
	}
	if *samples <= 0 || len(cfg.Lengths) == 0 {
		return fmt.Errorf("%w: need --samples > 0 and at least one length", errUsage)
	}

	gcfg := gen.Config{Seed: *seed, Reserve: *reserve}
	if gcfg.Reserve < 0 {
		gcfg.Reserve = map[string]int{runner.ModeChat: 64, runner.ModeCompletion: 0}[mode]
	}
	if *haystack != "" {
		b, err := os.ReadFile(*haystack)
		if err != nil {
			return err
		}
		gcfg.Haystack = string(b)
	}
	var err error
	if *squad != "" {
		if gcfg.SQuAD, err = loadQA(*squad, gen.ParseSQuAD); err != nil {
			return err
		}
	}
	if *hotpot != "" {
		if gcfg.HotpotQA, err = loadQA(*hotpot, gen.ParseHotpotQA); err != nil {
			return err
		}
	}
	if len(cfg.RulerTasks) == 0 {
		for _, t := range gen.RulerTasks() {
			if (t == "qa_1" && gcfg.SQuAD == nil) || (t == "qa_2" && gcfg.HotpotQA == nil) {
				fmt.Fprintf(env.Stderr, "eval: skipping RULER %s (no %s file given)\n", t, map[string]string{"qa_1": "--squad", "qa_2": "--hotpotqa"}[t])
				continue
			}
			cfg.RulerTasks = append(cfg.RulerTasks, t)
		}
	}

	var client target.Target
	var builtinTarget *target.Builtin
	var openai *target.OpenAI
	if builtin {
		builtinTarget = target.NewBuiltin(eng, filepath.Base(*modelFile), tensor.F16)
		client = builtinTarget
	} else {
		if openai, err = target.NewOpenAI(target.OpenAIConfig{BaseURL: *targetURL, Model: *modelName, APIKey: os.Getenv(*keyEnv),
			Endpoint: *endpoint, Concurrency: *concurrency, Timeout: *timeout, MaxRetries: *retries}); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		client = openai
	}
	cfg.Target = client

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch {
	case builtin:
		gcfg.Tokenizer = builtinTarget
		fmt.Fprintln(env.Stderr, "eval: lengths fitted with the model's own tokenizer")
	case *tokenizer == "auto":
		if tok, err := openai.Tokenizer(ctx); err == nil {
			gcfg.Tokenizer = tok
			fmt.Fprintf(env.Stderr, "eval: lengths fitted with the server's /tokenize (chat template tokens: %d reserved)\n", gcfg.Reserve)
		} else {
			est := gen.Estimate{BytesPerToken: *bytesPerTok}
			gcfg.Tokenizer = est
			fmt.Fprintf(env.Stderr, "eval: WARNING: server has no usable /tokenize (%v); lengths use %s\n", err, est)
		}
	case *tokenizer == "estimate":
		est := gen.Estimate{BytesPerToken: *bytesPerTok}
		gcfg.Tokenizer = est
		fmt.Fprintf(env.Stderr, "eval: WARNING: lengths use %s\n", est)
	default:
		return fmt.Errorf("%w: --tokenizer %q (want auto or estimate)", errUsage, *tokenizer)
	}
	if cfg.Gen, err = gen.New(gcfg); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "eval: target %s, prompt mode %s (answer prefix at the end of the %s)\n",
		client.Name(), mode, map[string]string{runner.ModeChat: "user message", runner.ModeCompletion: "raw prompt"}[mode])

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(*out, "results.sqlite"))
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.Store = st
	if !*asJSON {
		cfg.Progress = env.Stderr
	}
	sum, stats, err := runner.Run(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; finished results are in %s, rerun the same command to resume", filepath.Join(*out, "results.sqlite"))
		}
		return err
	}
	if err := runner.WriteJSON(filepath.Join(*out, "summary.json"), sum); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "eval: %d requests sent, %d answered from the store\n", stats.Requested, stats.Cached)
	if *asJSON {
		b, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.Stdout, string(b))
		return err
	}
	runner.WriteTable(env.Stdout, sum, cfg.Lengths)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func loadQA(path string, parse func([]byte) (*gen.QASet, error)) (*gen.QASet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	set, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}
