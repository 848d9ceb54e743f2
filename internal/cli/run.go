package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"syscall"

	"github.com/longctx/longctx/internal/chat"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/sample"
)

// samplingFlags registers the sampling flags shared by generating commands.
func samplingFlags(fs interface {
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
	Uint64Var(*uint64, string, uint64, string)
}) func() sample.Params {
	var temp, topP, minP, typP, rep, pres, freq float64
	var topK, lastN int
	var seed uint64
	fs.Float64Var(&temp, "temp", 0.8, "sampling temperature (0 = greedy)")
	fs.IntVar(&topK, "top-k", 40, "keep the k most likely tokens (0 = all)")
	fs.Float64Var(&topP, "top-p", 0.95, "nucleus sampling: keep tokens up to this cumulative probability (1 = off)")
	fs.Float64Var(&minP, "min-p", 0.05, "drop tokens below this fraction of the top probability (0 = off)")
	fs.Float64Var(&typP, "typical-p", 1.0, "locally typical sampling (1 = off)")
	fs.Float64Var(&rep, "repeat-penalty", 1.0, "penalise repeated tokens (1 = off)")
	fs.Float64Var(&pres, "presence-penalty", 0, "presence penalty (0 = off)")
	fs.Float64Var(&freq, "frequency-penalty", 0, "frequency penalty (0 = off)")
	fs.IntVar(&lastN, "repeat-last-n", 64, "tokens of history the penalties look at")
	fs.Uint64Var(&seed, "seed", 0, "random seed (0 = a fresh random seed each run)")
	return func() sample.Params {
		if seed == 0 {
			seed = rand.Uint64()
		}
		return sample.Params{
			Temperature: float32(temp), TopK: topK, TopP: float32(topP), MinP: float32(minP), TypicalP: float32(typP),
			RepeatPenalty: float32(rep), PresencePenalty: float32(pres), FrequencyPenalty: float32(freq),
			RepeatLastN: lastN, Seed: seed,
		}
	}
}

type stopFlag []string

func (s *stopFlag) String() string     { return fmt.Sprint(*s) }
func (s *stopFlag) Set(v string) error { *s = append(*s, v); return nil }

func runCmd(env *Env) error {
	fs := newFlags(env, "run", "[-m FILE] [-p PROMPT | -f FILE] [--chat] [-n N] [sampling flags]")
	mf := addModelFlags(fs)
	prompt := fs.String("p", "", "prompt text")
	promptFile := fs.String("f", "", "read the prompt from `file` ('-' for stdin)")
	useChat := fs.Bool("chat", false, "wrap the prompt as a user message in the model's chat template")
	system := fs.String("system", "", "system message (with --chat)")
	n := fs.Int("n", 128, "most tokens to generate (0 = until end of generation or a full context)")
	ctxLen := fs.Int("ctx", 0, fmt.Sprintf("context size in tokens (default: the model's trained context, at most %d)", engine.DefaultCtx))
	kvf := addKVFlags(fs)
	ubatch := fs.Int("ubatch", 512, "most prompt tokens per forward pass")
	var stops stopFlag
	fs.Var(&stops, "stop", "stop when this string is generated (repeatable)")
	params := samplingFlags(fs)
	args, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q (give the prompt with -p)", errUsage, args[0])
	}
	if *n < 0 || *ctxLen < 0 || *ubatch < 0 {
		return fmt.Errorf("%w: -n, --ctx and --ubatch must not be negative", errUsage)
	}
	text := *prompt
	if *promptFile != "" {
		if text != "" {
			return fmt.Errorf("%w: give -p or -f, not both", errUsage)
		}
		if text, err = readTextFlag(env, *promptFile); err != nil {
			return err
		}
	}
	if text == "" {
		return fmt.Errorf("%w: empty prompt (give -p TEXT or -f FILE)", errUsage)
	}
	if *system != "" && !*useChat {
		return fmt.Errorf("%w: --system needs --chat (a raw prompt has no system message)", errUsage)
	}
	req := engine.Request{MaxTokens: *n, Ctx: *ctxLen, Sampling: params(), Stop: stops, Ubatch: *ubatch}
	// Checked before the model loads and the prompt is prefilled.
	if err := req.Sampling.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if _, err := sample.NewStopMatcher(stops); err != nil {
		return fmt.Errorf("%w: --stop: %v", errUsage, err)
	}
	if *useChat {
		if *system != "" {
			req.Messages = append(req.Messages, chat.Message{Role: "system", Content: *system})
		}
		req.Messages = append(req.Messages, chat.Message{Role: "user", Content: text})
	} else {
		req.Prompt = text
	}

	e, err := mf.open(env.Stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := kvf.apply(e.Model, &req); err != nil {
		return err
	}
	defer kvf.close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	wrote := false
	st, err := e.Generate(ctx, req, func(s string) error {
		wrote = true
		_, err := fmt.Fprint(env.Stdout, s)
		return err
	})
	if wrote {
		fmt.Fprintln(env.Stdout)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr, summary(st))
	if r := kvf.report(); r != "" {
		fmt.Fprintln(env.Stderr, r)
	}
	return nil
}

// summary is the one-line report every generating command ends with.
func summary(st engine.Stats) string {
	return fmt.Sprintf("[%d prompt tokens, prefill %.1f tok/s | %d generated, decode %.1f tok/s | stop: %s | ctx %d, KV %s | peak RSS %s]",
		st.PromptTokens, st.PrefillRate(), st.Generated, st.DecodeRate(), st.StopReason, st.Ctx, humanBytes(st.KVBytes), humanBytes(peakRSS()))
}
