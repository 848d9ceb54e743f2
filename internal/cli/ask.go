package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/longctx/longctx/internal/curriculum"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/trace"
)

// askCmd answers a question about a long document: the document and the
// question are rendered in the default model's QA format (the one it was
// trained on), decoded greedily to the end of the answer line.
func askCmd(env *Env) error {
	fs := newFlags(env, "ask", `[-m FILE] -f DOCUMENT [flags] "question"`)
	mf := addModelFlags(fs)
	docFile := fs.String("f", "", "the document to read (`file`, '-' for stdin)")
	n := fs.Int("n", 64, "most tokens in the answer")
	ctxLen := fs.Int("ctx", 0, "context size in tokens (default: the prompt plus -n, up to the model's context)")
	kvf := addKVFlags(fs)
	ubatch := fs.Int("ubatch", 512, "most prompt tokens per forward pass")
	temp := fs.Float64("temp", 0, "sampling temperature (0 = greedy, the default: answers are copied facts)")
	seed := fs.Uint64("seed", 1, "random seed (with --temp, and AttnTrace's subsampling)")
	traceTop := fs.Int("trace", 0, "also print the `K` passages that produced the answer (AttnTrace over sentences)")
	args, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(args, " "))
	if question == "" {
		return fmt.Errorf(`%w: give the question as an argument: longctx ask -f DOCUMENT "question"`, errUsage)
	}
	if *docFile == "" {
		return fmt.Errorf("%w: -f DOCUMENT is required", errUsage)
	}
	if *n <= 0 || *ctxLen < 0 || *ubatch < 0 || *temp < 0 {
		return fmt.Errorf("%w: -n must be positive; --ctx, --ubatch and --temp must not be negative", errUsage)
	}
	doc, err := readTextFlag(env, *docFile)
	if err != nil {
		return err
	}
	doc = strings.TrimRight(doc, "\n")
	if strings.TrimSpace(doc) == "" {
		return fmt.Errorf("%w: the document %s is empty", errUsage, *docFile)
	}
	e, err := mf.open(env.Stderr)
	if err != nil {
		return err
	}
	defer e.Close()

	req := engine.Request{Prompt: curriculum.QAPrompt(doc, question), MaxTokens: *n, Ubatch: *ubatch, Stop: []string{"\n"}}
	req.Sampling = sample.DefaultParams(*seed)
	req.Sampling.Temperature = float32(*temp)
	if err := kvf.apply(e.Model, &req); err != nil {
		return err
	}
	defer kvf.close()
	tokens, err := e.PromptTokens(&req)
	if err != nil {
		return err
	}
	req.Tokens = tokens
	req.Ctx = *ctxLen
	if req.Ctx == 0 {
		limit := e.Model.Config.CtxMax()
		if len(tokens)+*n > limit {
			return fmt.Errorf("the document and question are %d tokens and the answer may take %d more, but %s is meant for %d tokens (%s); pass --ctx N to run longer anyway, or shorten the document",
				len(tokens), *n, mf.name(), limit, e.Model.Config.RopeString())
		}
		req.Ctx = len(tokens) + *n
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var answer strings.Builder
	st, err := e.Generate(ctx, req, func(s string) error {
		answer.WriteString(s)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, strings.TrimSpace(answer.String()))
	fmt.Fprintln(env.Stderr, summary(st))
	if *traceTop > 0 {
		if err := askTrace(ctx, env, e, doc, question, answer.String(), *traceTop, *seed); err != nil {
			return err
		}
	}
	if r := kvf.report(); r != "" {
		fmt.Fprintln(env.Stderr, r)
	}
	return nil
}

// askTrace prints the k sentences of doc that AttnTrace finds produced the
// answer (the prompt layout is the QA format ask used).
func askTrace(ctx context.Context, env *Env, e *engine.Engine, doc, question, answer string, k int, seed uint64) error {
	if strings.TrimSpace(answer) == "" {
		return fmt.Errorf("the answer is empty: nothing to trace")
	}
	tpl, err := trace.ParseTemplate(trace.DefaultTemplate)
	if err != nil {
		return err
	}
	p, err := trace.NewProblem(doc, "sentence", question, answer, tpl)
	if err != nil {
		return err
	}
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer, KVType: tensor.F16}
	b, err := l.Bind(p, nil)
	if err != nil {
		return err
	}
	o := trace.Options{AttnTrace: trace.AttnTraceOptions{TopTokens: 5, Fraction: 0.4, Rounds: 30, Seed: seed}}
	res, err := trace.Run(ctx, b, "attntrace", o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nPassages behind the answer (AttnTrace, %d sentences):\n", len(p.Segments))
	return trace.NewReport(p, res, k).WriteText(env.Stdout, doc, false)
}
