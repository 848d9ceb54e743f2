package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/eval/dataset"
	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/report"
	"github.com/longctx/longctx/internal/eval/runner"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/eval/target"
	"github.com/longctx/longctx/internal/eval/tracesuite"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/trace"
)

// fileSuites are the benchmarks read from their published files, with the
// flag that names the file.
var fileSuites = []string{"longbench", "longbench2", "leval", "loogle"}

// evalCmd runs long-context benchmarks against the built-in engine or an
// OpenAI-compatible server; "eval compare A B" and "eval report DIR" work
// on finished runs.
func evalCmd(env *Env) error {
	if len(env.Args) > 0 {
		sub := &Env{Args: env.Args[1:], Stdin: env.Stdin, Stdout: env.Stdout, Stderr: env.Stderr}
		switch env.Args[0] {
		case "compare":
			return evalCompareCmd(sub)
		case "report":
			return evalReportCmd(sub)
		}
	}
	fs := newFlags(env, "eval", "--suite niah,ruler --lengths 4k,8k (--target URL --model NAME | -m FILE) [flags]\n"+
		"       longctx eval compare RUN_A RUN_B\n       longctx eval report RUN")
	suites := fs.String("suite", "niah", "suites, comma-separated: "+strings.Join(append(gen.Suites(), append(fileSuites, tracesuite.Suite)...), ", "))
	tasks := fs.String("tasks", "", "only these tasks, comma-separated, as task or suite:task (default: all; RULER qa_1/qa_2 need --squad/--hotpotqa)")
	lengths := fs.String("lengths", "4k", "context lengths in tokens, comma-separated (4096, 4k, 128k)")
	samples := fs.Int("samples", 10, "samples per task (or NIAH cell) and length; file-based tasks: at most this many items")
	depths := fs.String("depths", "0,10,20,30,40,50,60,70,80,90,100", "NIAH needle depths in percent, comma-separated")
	targetURL := fs.String("target", "", "OpenAI-compatible base URL, or 'builtin'")
	modelName := fs.String("model", "", "model name sent to the server")
	mf := addModelFlags(fs)
	endpoint := fs.String("endpoint", "chat", "chat (/v1/chat/completions) or completions (/v1/completions)")
	keyEnv := fs.String("api-key-env", "OPENAI_API_KEY", "environment variable holding the API key")
	concurrency := fs.Int("concurrency", 4, "requests in flight at once")
	seed := fs.Uint64("seed", 42, "generator seed")
	out := fs.String("out", "eval-out", "directory for results.sqlite, summary.json, run.json, report.html")
	asJSON := fs.Bool("json", false, `print the summary on stdout as JSON {"suite": {"task": {"length": score}}}`)
	noCache := fs.Bool("no-cache", false, "ask the target again even for requests already stored")
	timeout := fs.Duration("timeout", 10*time.Minute, "per-request timeout")
	retries := fs.Int("retries", 5, "retries on 429/5xx/timeouts")
	haystack := fs.String("haystack", "", "text file to use as the essay haystack instead of the generated essay")
	niahHay := fs.String("niah-haystack", "essay", "NIAH haystack: essay or noise")
	niahNeedle := fs.String("niah-needle", "kamradt", "NIAH needle: kamradt (one fixed sentence, free-form question) or passkey (RULER's niah_single_1 needle, question and answer prefix, a new key and number per sample)")
	squad := fs.String("squad", "", "SQuAD v2 dev JSON for RULER qa_1")
	hotpot := fs.String("hotpotqa", "", "HotpotQA dev (distractor) JSON for RULER qa_2")
	paths := map[string]*string{
		"longbench":  fs.String("longbench", "", "LongBench v1/-E jsonl file or directory (suite longbench)"),
		"longbench2": fs.String("longbench2", "", "LongBench v2 data.json or jsonl (suite longbench2)"),
		"leval":      fs.String("leval", "", "L-Eval task jsonl file or directory (suite leval)"),
		"loogle":     fs.String("loogle", "", "LooGLE jsonl file or directory (suite loogle)"),
	}
	lbByLength := fs.Bool("longbench-by-length", false, "split LongBench tasks into LongBench-E's length buckets (task@0-4k, @4-8k, @8k+)")
	lb2By := fs.String("longbench2-by", "domain", "LongBench v2 tasks: domain, difficulty or length (same requests: regrouping reruns from the store)")
	tokenizer := fs.String("tokenizer", "auto", "length fitting: auto (the model's tokenizer, or the server's /tokenize, else an estimate) or estimate")
	bytesPerTok := fs.Float64("bytes-per-token", 3, "bytes per token for the estimate (lower = shorter, safer prompts)")
	reserve := fs.Int("reserve", -1, "tokens kept free for the chat template (default: its measured size + 8, or 64 if it cannot be measured; 0 for completions)")
	temperature := fs.Float64("temperature", 0, "sampling temperature (0 = greedy)")
	traceMethods := fs.String("trace-methods", "attntrace,tracllm", "suite trace: traceback methods ("+strings.Join(trace.Methods, ", ")+"; with --target only "+strings.Join(tracesuite.EndpointMethods, ", ")+")")
	builtinOptions := builtinFlags(fs)
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}

	// Without --target the built-in engine runs -m, or the embedded model.
	builtin := *targetURL == "builtin" || *targetURL == ""
	if !builtin && *modelName == "" {
		return fmt.Errorf("%w: --target URL needs --model NAME", errUsage)
	}
	meta := &report.Meta{Seed: *seed, Samples: *samples, Suites: splitList(*suites)}
	var lens []int
	for _, l := range splitList(*lengths) {
		n, err := gen.ParseLength(l)
		if err != nil {
			return fmt.Errorf("%w: --lengths: %v", errUsage, err)
		}
		lens = append(lens, n)
	}
	var ds []int
	for _, d := range splitList(*depths) {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 100 {
			return fmt.Errorf("%w: --depths: %q is not a percentage 0..100", errUsage, d)
		}
		ds = append(ds, n)
	}
	if *tokenizer != "auto" && *tokenizer != "estimate" {
		return fmt.Errorf("%w: --tokenizer %q (want auto or estimate)", errUsage, *tokenizer)
	}
	if *niahNeedle != "kamradt" && *niahNeedle != "passkey" {
		return fmt.Errorf("%w: --niah-needle %q (want kamradt or passkey)", errUsage, *niahNeedle)
	}
	if *samples <= 0 || len(lens) == 0 || len(meta.Suites) == 0 {
		return fmt.Errorf("%w: need --samples > 0, a length and a suite", errUsage)
	}
	var answerSuites []string // all but trace, which runner does not run
	for _, s := range meta.Suites {
		if !slices.Contains(gen.Suites(), s) && !slices.Contains(fileSuites, s) && s != tracesuite.Suite {
			return fmt.Errorf("%w: unknown suite %q (have %s)", errUsage, s, strings.Join(append(gen.Suites(), append(fileSuites, tracesuite.Suite)...), ", "))
		}
		if s != tracesuite.Suite {
			answerSuites = append(answerSuites, s)
		}
	}
	meta.Lengths = lens
	filter := splitList(*tasks)
	var tb *evalTrace
	if slices.Contains(meta.Suites, tracesuite.Suite) {
		var err error
		if tb, filter, err = newEvalTrace(filter, *traceMethods, !builtin); err != nil {
			return err
		}
	}

	var eng *engine.Engine
	if builtin {
		var err error
		if eng, err = mf.open(env.Stderr); err != nil {
			return err
		}
		defer eng.Close()
		if eng.Template == nil && *endpoint == "chat" {
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
	meta.Mode = mode
	// reserveFor sets the tokens kept for the chat template: as given, else
	// the template's measured overhead plus a margin for tokens merging at
	// its seams, else 64 (an estimate, noted).
	reserveFor := func(measure func() (int, error)) {
		switch {
		case *reserve >= 0:
		case mode == runner.ModeCompletion:
			*reserve = 0
		default:
			if n, err := measure(); err == nil {
				*reserve = n + 8
			} else {
				*reserve = 64
				meta.Notes = append(meta.Notes, fmt.Sprintf("chat template overhead not measurable (%v); 64 tokens reserved", err))
			}
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var client target.Target
	var tok gen.Tokenizer
	rawOK := false
	if builtin {
		opt, desc, err := builtinOptions(eng)
		if err != nil {
			return err
		}
		b := target.NewBuiltin(eng, mf.name(), opt)
		client, tok, rawOK, meta.Options = b, b, true, desc
		reserveFor(b.ChatOverhead)
		meta.Tokenizer = "the model's own tokenizer"
		if mode == runner.ModeChat {
			meta.Template = fmt.Sprintf("the model's chat template (%d tokens reserved for it)", *reserve)
		} else {
			meta.Template = "none: raw prompts (the model has no chat template, or --endpoint completions)"
		}
	} else {
		if *retries < 0 {
			return fmt.Errorf("%w: --retries %d is negative", errUsage, *retries)
		}
		maxRetries := *retries
		if maxRetries == 0 {
			maxRetries = -1 // OpenAIConfig reads 0 as its default and -1 as none
		}
		oa, err := target.NewOpenAI(target.OpenAIConfig{BaseURL: *targetURL, Model: *modelName, APIKey: os.Getenv(*keyEnv),
			Endpoint: *endpoint, Concurrency: *concurrency, Timeout: *timeout, MaxRetries: maxRetries})
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		client = oa
		meta.Template = "none: raw prompts to /v1/completions"
		switch *tokenizer {
		case "auto":
			if rt, err := oa.Tokenizer(ctx); err == nil {
				tok, meta.Tokenizer = rt, "the server's /tokenize"
				reserveFor(func() (int, error) { return rt.ChatOverhead(ctx) })
			} else {
				meta.Notes = append(meta.Notes, fmt.Sprintf("the server has no usable /tokenize (%v)", err))
			}
		}
		reserveFor(func() (int, error) { return 0, errors.New("no tokenizer to measure it with") })
		if mode == runner.ModeChat {
			meta.Template = fmt.Sprintf("the server's chat template (%d tokens reserved for it)", *reserve)
		}
	}
	if tok == nil || *tokenizer == "estimate" {
		if !(*bytesPerTok >= 0.5 && *bytesPerTok <= 64) {
			return fmt.Errorf("%w: --bytes-per-token %g: want 0.5 to 64", errUsage, *bytesPerTok)
		}
		est := gen.Estimate{BytesPerToken: *bytesPerTok}
		tok, meta.Tokenizer, meta.Estimated = est, est.String(), true
	}
	meta.Target = client.Name()
	if meta.Estimated {
		fmt.Fprintf(env.Stderr, "eval: WARNING: lengths use %s\n", meta.Tokenizer)
	} else {
		fmt.Fprintf(env.Stderr, "eval: lengths fitted with %s\n", meta.Tokenizer)
	}
	fmt.Fprintf(env.Stderr, "eval: target %s; prompt mode %s; chat template: %s\n", client.Name(), mode, meta.Template)

	gcfg := gen.Config{Seed: *seed, Tokenizer: tok, Reserve: *reserve, NIAH: gen.NIAHOptions{Haystack: *niahHay, PassKey: *niahNeedle == "passkey"}}
	if *haystack != "" {
		b, err := os.ReadFile(*haystack)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("%w: --haystack %s is empty", errUsage, *haystack)
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
	g, err := gen.New(gcfg)
	if err != nil {
		return err
	}
	missingQA := map[string]string{}
	if gcfg.SQuAD == nil {
		missingQA["qa_1"] = "--squad"
	}
	if gcfg.HotpotQA == nil {
		missingQA["qa_2"] = "--hotpotqa"
	}
	load := fileLoaders{lbByLength: *lbByLength, lb2By: *lb2By}
	srcs, notes, err := evalSources(g, answerSuites, filter, ds, missingQA, paths, load, tok, *reserve)
	if err != nil {
		return err
	}
	meta.Notes = append(meta.Notes, notes...)
	for _, n := range notes {
		fmt.Fprintln(env.Stderr, "eval: "+n)
	}

	if tb != nil {
		o := trace.BenchOptions{Lengths: lens, Cases: *samples, Kinds: tb.kinds, Methods: tb.methods, Seed: *seed,
			AttnTrace: trace.AttnTraceOptions{Seed: *seed}, TracLLM: trace.TracLLMOptions{Seed: *seed}}
		if tb.opt, err = o.WithDefaults(); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if builtin {
			opt, _, err := builtinOptions(eng)
			if err != nil {
				return err
			}
			if opt.NewCache != nil {
				return fmt.Errorf("%w: --suite trace traces the model's own (dense) attention; drop --attention", errUsage)
			}
			if opt.KVType != tensor.F32 && opt.KVType != tensor.F16 {
				return fmt.Errorf("%w: --suite trace needs --kv-type f32 or f16 (attention probabilities are read back from the cache)", errUsage)
			}
			tb.tracer = &tracesuite.Local{L: &trace.Local{Model: eng.Model, Tok: eng.Tokenizer, KVType: opt.KVType}, Model: strings.TrimPrefix(meta.Target, "builtin:")}
			tb.count = func(s string) (int, error) {
				ids, err := eng.Tokenizer.Encode(s, true, false)
				return len(ids), err
			}
		} else {
			tb.tracer = &tracesuite.Endpoint{E: &trace.Endpoint{BaseURL: *targetURL, Model: *modelName, APIKey: os.Getenv(*keyEnv)}}
			tb.count = tok.Count
		}
		meta.Options = withOption(meta.Options, "trace", fmt.Sprintf("methods %s, %s segments, recall@%d, seed %d",
			strings.Join(tb.opt.Methods, ","), tb.opt.Segment, tb.opt.K, *seed))
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	st, err := store.Open(filepath.Join(*out, "results.sqlite"))
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := runner.Config{Target: client, Store: st, Mode: mode, RawOK: rawOK, Sources: srcs, Lengths: lens, Samples: *samples,
		Concurrency: *concurrency, NoCache: *noCache, Temperature: *temperature}
	if isTerminal(env.Stderr) {
		cfg.Progress = env.Stderr
	}
	meta.Started = time.Now()
	sum, stats := runner.Summary{}, runner.Stats{}
	if len(srcs) > 0 {
		sum, stats, err = runner.Run(ctx, cfg)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted; %d answers are in %s, rerun the same command to resume", stats.Requested+stats.Cached, filepath.Join(*out, "results.sqlite"))
			}
			return err
		}
	}
	if tb != nil {
		cells, rows, ts, err := tb.run(ctx, env, st, *noCache)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted; %d traces are in %s, rerun the same command to resume", ts.Traced+ts.Cached, filepath.Join(*out, "results.sqlite"))
			}
			return err
		}
		sum[tracesuite.Suite], meta.Trace = cells, rows
		stats.Requested += ts.Traced
		stats.Cached += ts.Cached
	}
	meta.Finished = time.Now()
	stats.Elapsed = meta.Finished.Sub(meta.Started)
	meta.Requested, meta.Cached, meta.Truncated = stats.Requested, stats.Cached, stats.Truncated
	if stats.Truncated > 0 {
		meta.Notes = append(meta.Notes, fmt.Sprintf("%d prompts were cut by their benchmark's truncation rule", stats.Truncated))
	}
	if err := writeRun(*out, &report.Run{Dir: *out, Meta: meta, Summary: sum}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "eval: %d requests sent, %d answered from the store, %d prompts truncated; took %s; report %s\n",
		stats.Requested, stats.Cached, stats.Truncated, stats.Elapsed.Round(time.Second), filepath.Join(*out, "report.html"))
	if *asJSON {
		b, err := json.Marshal(sum)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.Stdout, string(b))
		return err
	}
	answers := maps.Clone(sum)
	delete(answers, tracesuite.Suite)
	runner.WriteTable(env.Stdout, answers, lens)
	report.WriteAggregates(env.Stdout, answers)
	if tb != nil {
		fmt.Fprintln(env.Stdout, tracesuite.Suite)
		return trace.WriteBenchTable(env.Stdout, meta.Trace)
	}
	return nil
}

// evalTrace is the trace suite's part of an eval run.
type evalTrace struct {
	kinds, methods []string
	opt            trace.BenchOptions
	tracer         tracesuite.Tracer
	count          func(string) (int, error)
}

// newEvalTrace checks --trace-methods (only log-probability methods
// against a server) and takes the trace suite's kinds out of the task
// filter (entries trace:KIND, or a bare KIND); the rest is returned for
// the other suites.
func newEvalTrace(filter []string, methods string, endpoint bool) (*evalTrace, []string, error) {
	tb := &evalTrace{methods: splitList(methods)}
	if len(tb.methods) == 0 {
		return nil, nil, fmt.Errorf("%w: --trace-methods is empty", errUsage)
	}
	for _, m := range tb.methods {
		if !slices.Contains(trace.Methods, m) {
			return nil, nil, fmt.Errorf("%w: --trace-methods: unknown method %q (want %s)", errUsage, m, strings.Join(trace.Methods, ", "))
		}
		if endpoint && !slices.Contains(tracesuite.EndpointMethods, m) {
			return nil, nil, fmt.Errorf("%w: --suite trace with --target traces from the server's prompt log-probabilities, so only %s; %s needs the built-in model's attention (run without --target)",
				errUsage, strings.Join(tracesuite.EndpointMethods, ", "), m)
		}
	}
	var rest []string
	for _, f := range filter {
		suite, kind, ok := strings.Cut(f, ":")
		if !ok {
			kind = f
		}
		if (!ok || suite == tracesuite.Suite) && slices.Contains(trace.BenchKinds, kind) {
			tb.kinds = append(tb.kinds, kind)
			continue
		}
		rest = append(rest, f)
	}
	return tb, rest, nil
}

// run traces the cases, printing a line per trace on stderr.
func (tb *evalTrace) run(ctx context.Context, env *Env, st *store.Store, noCache bool) (map[string]map[string]float64, []trace.BenchRow, tracesuite.Stats, error) {
	return tracesuite.Run(ctx, tracesuite.Config{Tracer: tb.tracer, Count: tb.count, Store: st, Bench: tb.opt, NoCache: noCache,
		Progress: func(p tracesuite.Progress) {
			from := ""
			if p.Cached {
				from = " (stored)"
			}
			fmt.Fprintf(env.Stderr, "eval: trace [%d/%d] %s %s %s #%d: top %v, sources %v, hit %v, %.3f s%s\n",
				p.Done, p.Total, p.Method, p.Case.Kind, gen.FormatLength(p.Case.Length), p.Case.Index, p.Top, p.Case.Gold, p.Hit, p.Seconds, from)
		}})
}

// withOption returns opts with k=v added (opts may be nil).
func withOption(opts map[string]string, k, v string) map[string]string {
	if opts == nil {
		opts = map[string]string{}
	}
	opts[k] = v
	return opts
}

// fileLoaders are the loaders' grouping options.
type fileLoaders struct {
	lbByLength bool
	lb2By      string
}

// evalSources makes one runner.Source per suite, applying the task filter
// (entries are task or suite:task and must each match a chosen suite).
// missingQA names the RULER QA tasks without their file and the flag that
// gives it.
func evalSources(g *gen.Generator, suites, filter []string, depths []int, missingQA map[string]string,
	paths map[string]*string, load fileLoaders, tok gen.Tokenizer, reserve int) ([]runner.Source, []string, error) {
	used := make([]bool, len(filter))
	want := func(suite string, have []string) []string {
		var out []string
		for i, f := range filter {
			s, t, ok := strings.Cut(f, ":")
			if !ok {
				s, t = suite, f
			}
			if s == suite && slices.Contains(have, t) {
				out = append(out, t)
				used[i] = true
			}
		}
		return out
	}
	var srcs []runner.Source
	var notes []string
	for _, suite := range suites {
		var src runner.Source
		var err error
		switch {
		case suite == "niah":
			src, err = runner.Generated(g, suite, gen.DepthTasks(depths))
		case slices.Contains(gen.Suites(), suite):
			tasks := want(suite, gen.Tasks(suite))
			if suite == "ruler" && len(tasks) == 0 {
				for _, t := range gen.RulerTasks() {
					if flag, ok := missingQA[t]; ok {
						notes = append(notes, fmt.Sprintf("RULER %s skipped (no %s file given)", t, flag))
						continue
					}
					tasks = append(tasks, t)
				}
			}
			src, err = runner.Generated(g, suite, tasks)
		default:
			path := *paths[suite]
			if path == "" {
				return nil, nil, fmt.Errorf("%w: suite %s needs --%s PATH (the benchmark's published files)", errUsage, suite, suite)
			}
			var set *dataset.Set
			switch suite {
			case "longbench":
				set, err = dataset.LoadLongBench(path, load.lbByLength)
			case "longbench2":
				set, err = dataset.LoadLongBench2(path, load.lb2By)
			case "leval":
				var n []string
				set, n, err = dataset.LoadLEval(path)
				notes = append(notes, n...)
			case "loogle":
				set, err = dataset.LoadLooGLE(path)
			}
			if err != nil {
				return nil, nil, err
			}
			tasks := want(suite, set.Tasks())
			for _, t := range set.Tasks() {
				if (len(tasks) == 0 || slices.Contains(tasks, t)) && slices.Contains([]string{"multifieldqa_zh", "dureader", "vcsum"}, strings.TrimSuffix(t, "_e")) {
					notes = append(notes, "longbench "+t+": scored with a character segmenter instead of jieba, not comparable with published numbers")
				}
			}
			src, err = runner.Only(set.Bind(tok, reserve), tasks)
		}
		if err != nil {
			return nil, nil, err
		}
		srcs = append(srcs, src)
	}
	for i, f := range filter {
		if !used[i] {
			return nil, nil, fmt.Errorf("%w: --tasks: %q is not a task of the chosen suites", errUsage, f)
		}
	}
	return srcs, notes, nil
}

// writeRun writes summary.json, run.json, report.html and, for niah, the
// heatmap PNG, each atomically.
func writeRun(dir string, r *report.Run) error {
	if err := runner.WriteJSON(filepath.Join(dir, "summary.json"), r.Summary); err != nil {
		return err
	}
	if r.Meta != nil {
		if err := runner.WriteJSON(filepath.Join(dir, "run.json"), r.Meta); err != nil {
			return err
		}
	}
	return writeReport(dir, r)
}

// writeReport writes a run's report.html and NIAH heatmap from what it
// holds; the run's own files are left as they are.
func writeReport(dir string, r *report.Run) error {
	var html strings.Builder
	if err := report.WriteHTML(&html, r); err != nil {
		return err
	}
	if err := runner.WriteFileAtomic(filepath.Join(dir, "report.html"), []byte(html.String())); err != nil {
		return err
	}
	if niah, ok := r.Summary["niah"]; ok {
		var png strings.Builder
		if err := report.WriteHeatmapPNG(&png, report.NIAHGrid(niah)); err != nil {
			return err
		}
		return runner.WriteFileAtomic(filepath.Join(dir, "niah_heatmap.png"), []byte(png.String()))
	}
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
