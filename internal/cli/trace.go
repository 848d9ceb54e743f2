package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/target"
	"github.com/longctx/longctx/internal/trace"
)

// traceCmd finds which passages of a document made the model give an
// answer (AttnTrace, TracLLM, CAM), or runs the traceback benchmark.
func traceCmd(env *Env) error {
	fs := newFlags(env, "trace", "[-m FILE] -f DOCUMENT --question Q [--answer A] [--method M] [flags]\n       longctx trace --target URL --model NAME -f DOCUMENT --question Q [flags]\n       longctx trace --bench [--lengths 2k,4k] [--methods attntrace,tracllm] [flags]")
	mf := addModelFlags(fs)
	mask := addMaskFlags(fs)
	docFile := fs.String("f", "", "the document (`file`, '-' for stdin)")
	question := fs.String("question", "", "the question asked about the document (or give it as arguments)")
	answer := fs.String("answer", "", "the answer to trace (default: the model's greedy answer)")
	method := fs.String("method", "attntrace", "attntrace, tracllm (its default: the ensemble of stc, loo and denoised Shapley), denoised, loo, shapley, stc, ensemble (= tracllm) or cam")
	segment := fs.String("segment", "words:100", "how the document is cut: words:N, sentence, paragraph or sep:STRING")
	top := fs.Int("top", 5, "segments reported, and the segments TracLLM's search keeps per level")
	format := fs.String("format", "text", "output: text, json or html")
	outFile := fs.String("o", "", "write the report to `file` instead of standard output")
	color := fs.String("color", "auto", "text output: highlight the document in colour: auto (on a terminal), always or never")
	seed := fs.Uint64("seed", 1, "seed of AttnTrace's subsampling and Shapley's permutations")
	topTokens := fs.Int("top-tokens", 5, "AttnTrace: a segment's score is the mean of its K best tokens")
	fraction := fs.Float64("fraction", 0.4, "AttnTrace: share of the segments in each subsampled pass")
	rounds := fs.Int("rounds", 30, "AttnTrace: subsampled passes")
	perms := fs.Int("permutations", 20, "Shapley: permutations (>= n! enumerates them all)")
	beta := fs.Float64("beta", 0.2, "denoised Shapley: the top share of marginal contributions averaged")
	tplText := fs.String("template", trace.DefaultTemplate, "prompt template holding {document} and {question}")
	kvType := fs.String("kv-type", "f32", "KV cache element type: f32 or f16")
	ubatch := fs.Int("ubatch", 512, "most tokens per forward pass")
	n := fs.Int("n", 64, "most tokens in a generated answer")
	targetURL := fs.String("target", "", "OpenAI-compatible base URL: trace a black-box model from prompt log-probabilities (TracLLM methods)")
	modelName := fs.String("model", "", "model name sent to --target")
	keyEnv := fs.String("api-key-env", "OPENAI_API_KEY", "environment variable holding --target's API key")
	bench := fs.Bool("bench", false, "run the traceback benchmark (generated cases with known sources) instead")
	lengths := fs.String("lengths", "2k,4k", "bench: prompt lengths in tokens")
	cases := fs.Int("cases", 10, "bench: cases per kind and length")
	kinds := fs.String("kinds", strings.Join(trace.BenchKinds, ","), "bench: case kinds ("+strings.Join(trace.BenchKinds, ", ")+")")
	methods := fs.String("methods", "attntrace,tracllm", "bench: methods compared")
	args, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if *top < 1 || *n < 1 || *ubatch < 1 || *topTokens < 1 || *rounds < 1 || *perms < 1 || *cases < 1 {
		return fmt.Errorf("%w: --top, -n, --ubatch, --top-tokens, --rounds, --permutations and --cases must be positive", errUsage)
	}
	// NaN fails these too.
	if !(*fraction > 0 && *fraction <= 1) || !(*beta > 0 && *beta <= 1) {
		return fmt.Errorf("%w: --fraction and --beta must be in (0, 1]", errUsage)
	}
	if *format != "text" && *format != "json" && *format != "html" {
		return fmt.Errorf("%w: --format %q (want text, json or html)", errUsage, *format)
	}
	if *color != "auto" && *color != "always" && *color != "never" {
		return fmt.Errorf("%w: --color %q (want auto, always or never)", errUsage, *color)
	}
	if !*bench && !slices.Contains(trace.Methods, *method) {
		return fmt.Errorf("%w: --method %q (want %s)", errUsage, *method, strings.Join(trace.Methods, ", "))
	}
	at := trace.AttnTraceOptions{TopTokens: *topTokens, Fraction: *fraction, Rounds: *rounds, Seed: *seed}
	tl := trace.TracLLMOptions{K: *top, Permutations: *perms, Beta: *beta, Seed: *seed}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	out := env.Stdout
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}

	if *bench {
		// The benchmark generates its own cases and traces the local
		// model: flags of a single trace would be silently ignored.
		var unused []string
		fs.Visit(func(f *flag.Flag) {
			if slices.Contains([]string{"f", "question", "answer", "method", "template", "n", "color", "target", "model", "api-key-env"}, f.Name) {
				unused = append(unused, "--"+f.Name)
			}
		})
		if len(unused) > 0 || len(args) > 0 {
			return fmt.Errorf("%w: --bench generates its own cases on the local model; it takes no %s%s (compare methods with --methods)",
				errUsage, strings.Join(unused, ", "), map[bool]string{true: " or arguments"}[len(args) > 0])
		}
		if *format == "html" {
			return fmt.Errorf("%w: --bench writes a text or json table, not html", errUsage)
		}
		for _, k := range splitList(*kinds) {
			if !slices.Contains(trace.BenchKinds, k) {
				return fmt.Errorf("%w: --kinds: unknown kind %q (want %s)", errUsage, k, strings.Join(trace.BenchKinds, ", "))
			}
		}
		return traceBench(ctx, env, out, mf, mask, *format, *seed, trace.BenchOptions{
			Cases: *cases, Kinds: splitList(*kinds), Methods: splitList(*methods), Segment: *segment, K: *top, AttnTrace: at, TracLLM: tl,
		}, *lengths, *kvType, *ubatch)
	}

	q := *question
	if q == "" {
		q = strings.TrimSpace(strings.Join(args, " "))
	} else if len(args) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q (the question is --question)", errUsage, args)
	}
	if q == "" || *docFile == "" {
		return fmt.Errorf("%w: -f DOCUMENT and --question Q are required", errUsage)
	}
	doc, err := readTextFlag(env, *docFile)
	if err != nil {
		return err
	}
	doc = strings.TrimRight(doc, "\n")
	tpl, err := trace.ParseTemplate(*tplText)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	p, err := trace.NewProblem(doc, *segment, q, *answer, tpl)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	fmt.Fprintf(env.Stderr, "%d segments (%s)\n", len(p.Segments), *segment)

	var res *trace.Result
	if *targetURL != "" {
		if mask.spec != "" {
			return fmt.Errorf("%w: --mask-heads needs the local model, not --target", errUsage)
		}
		if res, err = traceEndpoint(ctx, env, p, *targetURL, *modelName, os.Getenv(*keyEnv), *method, *n, tl); err != nil {
			return err
		}
	} else {
		elem, err := parseKVType(*kvType)
		if err != nil {
			return err
		}
		e, err := mf.open(env.Stderr)
		if err != nil {
			return err
		}
		defer e.Close()
		l := &trace.Local{Model: e.Model, Tok: e.Tokenizer, KVType: elem, Ubatch: *ubatch}
		if l.Mask, l.MaskMode, err = mask.resolve(l.Geometry(), *seed); err != nil {
			return err
		}
		var ids []int32
		if p.Answer == "" {
			if ids, err = l.GenerateAnswer(ctx, p, *n); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "answer (generated): %s\n", strings.TrimSpace(p.Answer))
		}
		b, err := l.Bind(p, ids)
		if err != nil {
			return err
		}
		prompt, _ := p.Prompt(p.All())
		if ids, err := e.Tokenizer.Encode(prompt, true, false); err == nil && len(ids)+b.AnswerTokens() > e.Model.Config.CtxMax() {
			fmt.Fprintf(env.Stderr, "warning: the prompt and answer are %d tokens, more than the %d %s is meant for (%s)\n",
				len(ids)+b.AnswerTokens(), e.Model.Config.CtxMax(), mf.name(), e.Model.Config.RopeString())
		}
		if res, err = trace.Run(ctx, b, *method, trace.Options{AttnTrace: at, TracLLM: tl}); err != nil {
			return err
		}
	}
	rep := trace.NewReport(p, res, *top)
	switch *format {
	case "json":
		return rep.WriteJSON(out)
	case "html":
		return rep.WriteHTML(out, p.Document)
	}
	useColor := *color == "always" || (*color == "auto" && *outFile == "" && isTerminal(env.Stdout))
	return rep.WriteText(out, p.Document, useColor)
}

// traceEndpoint traces with TracLLM over a server's prompt log-probabilities,
// generating the answer there first when none is given.
func traceEndpoint(ctx context.Context, env *Env, p *trace.Problem, url, model, key, method string, n int, o trace.TracLLMOptions) (*trace.Result, error) {
	if model == "" {
		return nil, fmt.Errorf("%w: --target needs --model NAME", errUsage)
	}
	if p.Answer == "" {
		t, err := target.NewOpenAI(target.OpenAIConfig{BaseURL: url, Model: model, APIKey: key, Endpoint: "completions"})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		prompt, _ := p.Prompt(p.All())
		r, err := t.Generate(ctx, target.Request{Prompt: prompt}, target.Params{MaxTokens: n, TopP: 1, Stop: []string{"\n"}})
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(r.Text) == "" {
			return nil, fmt.Errorf("the model's answer is empty; pass the answer to trace with --answer")
		}
		p.SetAnswer(r.Text)
		fmt.Fprintf(env.Stderr, "answer (generated by %s): %s\n", model, strings.TrimSpace(p.Answer))
	}
	ep := &trace.Endpoint{BaseURL: url, Model: model, APIKey: key}
	return trace.RunValue(ctx, ep.Value(p), len(p.Segments), method, o)
}

// traceBench runs the traceback benchmark on the local model.
func traceBench(ctx context.Context, env *Env, out io.Writer, mf *modelFlags, mask *maskFlags, format string, seed uint64, o trace.BenchOptions, lengths, kvType string, ubatch int) error {
	var err error
	if o.Lengths, err = parseInts(lengths, "--lengths", gen.ParseLength); err != nil {
		return err
	}
	elem, err := parseKVType(kvType)
	if err != nil {
		return err
	}
	e, err := mf.open(env.Stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer, KVType: elem, Ubatch: ubatch}
	if l.Mask, l.MaskMode, err = mask.resolve(l.Geometry(), seed); err != nil {
		return err
	}
	rows, err := trace.Bench(ctx, l, o, func(done, total int, c trace.BenchCase, r *trace.Result) {
		top1, _ := trace.Hit(r, c.Gold, 1)
		fmt.Fprintf(env.Stderr, "[%d/%d] %s %s len %d #%d: top %v, sources %v, hit %v, %.2f s\n",
			done, total, r.Method, c.Kind, c.Length, c.Index, r.Top(3), c.Gold, top1, r.Seconds)
	})
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return trace.WriteBenchTable(out, rows)
}
