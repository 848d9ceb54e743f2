package tracesuite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/trace"
)

// Suite is the suite's name in --suite and in summaries.
const Suite = "trace"

// EndpointMethods are the methods an Endpoint runs: TracLLM's search
// needs only the answer's log-probability, which a server reports.
var EndpointMethods = []string{"tracllm", "denoised", "loo", "shapley", "stc", "ensemble"}

// Tracer traces one problem with one method.
type Tracer interface {
	// Name identifies the model and every option that changes its traces;
	// store keys hold it.
	Name() string
	Trace(ctx context.Context, p *trace.Problem, method string, o trace.Options) (*trace.Result, error)
}

// Local traces on an in-process model with any method.
type Local struct {
	L     *trace.Local
	Model string // the model's name and options, for Name
}

// Name is "trace-local:" and the model.
func (t *Local) Name() string { return "trace-local:" + t.Model }

// Trace teacher-forces p's answer on the model and runs method.
func (t *Local) Trace(ctx context.Context, p *trace.Problem, method string, o trace.Options) (*trace.Result, error) {
	b, err := t.L.Bind(p, nil)
	if err != nil {
		return nil, err
	}
	return trace.Run(ctx, b, method, o)
}

// Endpoint traces with TracLLM's methods over an OpenAI-compatible
// server's prompt log-probabilities (completions echo).
type Endpoint struct{ E *trace.Endpoint }

// Name is "trace-endpoint:" with the server and model.
func (t *Endpoint) Name() string {
	return "trace-endpoint:" + strings.TrimSuffix(t.E.BaseURL, "/") + " model=" + t.E.Model
}

// Trace runs a TracLLM method on the server's log-probabilities.
func (t *Endpoint) Trace(ctx context.Context, p *trace.Problem, method string, o trace.Options) (*trace.Result, error) {
	if !slices.Contains(EndpointMethods, method) {
		return nil, fmt.Errorf("tracesuite: method %q needs the model's attention, which a server does not expose (with a server use %s)", method, strings.Join(EndpointMethods, ", "))
	}
	return trace.RunValue(ctx, t.E.Value(p), len(p.Segments), method, o.TracLLM)
}

// Config is one run of the suite.
type Config struct {
	Tracer Tracer
	// Count sizes the cases: a prompt's tokens (the model's tokenizer, or
	// the server's /tokenize).
	Count func(prompt string) (int, error)
	Store *store.Store
	// Bench sets lengths, cases per kind and length, kinds, methods,
	// segmentation, K and the methods' options (zero fields: defaults).
	Bench trace.BenchOptions
	// NoCache traces again even what the store holds.
	NoCache bool
	// Progress, when set, is called after each trace.
	Progress func(Progress)
}

// Progress is one finished trace.
type Progress struct {
	Done, Total int
	Case        trace.BenchCase
	Method      string
	Top         []int // the best segments, best first
	Hit         bool  // the top segment is a source
	Seconds     float64
	Cached      bool // from the store
}

// Stats counts what a run did.
type Stats struct {
	Traced, Cached int
}

// outcome is a trace as stored: the full ranking (so any K rescoring is
// possible) and its cost.
type outcome struct {
	Ranking []int   `json:"ranking"`
	Passes  int     `json:"passes"`
	Seconds float64 `json:"seconds"`
}

// request is what decides a trace: hashed with the tracer's name into the
// store key, and stored as the record's request.
type request struct {
	Suite     string                 `json:"suite"`
	Method    string                 `json:"method"`
	Kind      string                 `json:"kind"`
	Length    int                    `json:"length"`
	Index     int                    `json:"index"`
	Segment   string                 `json:"segment"`
	Document  string                 `json:"document"`
	Question  string                 `json:"question"`
	Answer    string                 `json:"answer"`
	AttnTrace trace.AttnTraceOptions `json:"attntrace"`
	TracLLM   trace.TracLLMOptions   `json:"tracllm"`
}

// Metric names the stored score (precision@1 of one trace: 0 or 1).
const Metric = "trace_p@1"

// Run traces every case with every method, from the store where it holds
// the trace. It returns the suite's summary cells, {"<method>/<kind>/p@1"
// and "<method>/<kind>/r@K": {"<length>": value}}, and the rows.
func Run(ctx context.Context, cfg Config) (map[string]map[string]float64, []trace.BenchRow, Stats, error) {
	var stats Stats
	o, err := cfg.Bench.WithDefaults()
	if err != nil {
		return nil, nil, stats, err
	}
	cases, err := trace.BenchCasesCounted(cfg.Count, o)
	if err != nil {
		return nil, nil, stats, err
	}
	type key struct {
		method, kind string
		length       int
	}
	rows := map[key]*trace.BenchRow{}
	var order []key
	done, total := 0, len(cases)*len(o.Methods)
	for _, c := range cases {
		for _, m := range o.Methods {
			if err := ctx.Err(); err != nil {
				return nil, nil, stats, err
			}
			out, cached, err := traceOne(ctx, cfg, o, c, m)
			if err != nil {
				return nil, nil, stats, fmt.Errorf("trace %s %s %s #%d: %w", m, c.Kind, gen.FormatLength(c.Length), c.Index, err)
			}
			if cached {
				stats.Cached++
			} else {
				stats.Traced++
			}
			k := key{m, c.Kind, c.Length}
			row := rows[k]
			if row == nil {
				row = &trace.BenchRow{Method: m, Kind: c.Kind, Length: c.Length, K: o.K}
				rows[k] = row
				order = append(order, k)
			}
			top1, recall := trace.HitRanking(out.Ranking, c.Gold, o.K)
			row.Add(top1, recall, out.Seconds, out.Passes, c.Tokens)
			done++
			if cfg.Progress != nil {
				cfg.Progress(Progress{Done: done, Total: total, Case: c, Method: m, Top: out.Ranking[:min(3, len(out.Ranking))],
					Hit: top1, Seconds: out.Seconds, Cached: cached})
			}
		}
	}
	cells := map[string]map[string]float64{}
	var out []trace.BenchRow
	for _, k := range order {
		r := rows[k]
		r.Mean()
		out = append(out, *r)
		l := gen.FormatLength(r.Length)
		for name, v := range map[string]float64{"p@1": r.PrecisionAt1, "r@" + strconv.Itoa(r.K): r.RecallAtK} {
			cell := r.Method + "/" + r.Kind + "/" + name
			if cells[cell] == nil {
				cells[cell] = map[string]float64{}
			}
			cells[cell][l] = v
		}
	}
	return cells, out, stats, nil
}

// traceOne returns c traced by method, from the store when it holds it.
func traceOne(ctx context.Context, cfg Config, o trace.BenchOptions, c trace.BenchCase, method string) (outcome, bool, error) {
	opts := trace.Options{AttnTrace: o.AttnTrace, TracLLM: o.TracLLM}
	opts.TracLLM.K = o.K // as trace.Bench: K is the search's K too
	if score, ok := trace.TracLLMScore(method); ok {
		// In the key: what a method name runs has changed before.
		opts.TracLLM.Score = score
	}
	body, err := json.Marshal(request{Suite: Suite, Method: method, Kind: c.Kind, Length: c.Length, Index: c.Index, Segment: o.Segment,
		Document: c.Problem.Document, Question: c.Problem.Question, Answer: c.Problem.Answer, AttnTrace: opts.AttnTrace, TracLLM: opts.TracLLM})
	if err != nil {
		return outcome{}, false, err
	}
	name := cfg.Tracer.Name()
	k := store.Key(name, body)
	var out outcome
	if !cfg.NoCache {
		rec, ok, err := cfg.Store.Get(k)
		if err != nil {
			return out, false, err
		}
		if ok {
			if err := json.Unmarshal(rec.Response, &out); err != nil {
				return out, false, fmt.Errorf("stored trace %s: %w", k, err)
			}
			return out, true, nil
		}
	}
	r, err := cfg.Tracer.Trace(ctx, c.Problem, method, opts)
	if err != nil {
		return out, false, err
	}
	out = outcome{Ranking: r.Ranking(), Passes: r.Passes, Seconds: r.Seconds}
	resp, err := json.Marshal(out)
	if err != nil {
		return out, false, err
	}
	top1, _ := trace.HitRanking(out.Ranking, c.Gold, 1)
	score := 0.0
	if top1 {
		score = 1
	}
	golds := make([]string, len(c.Gold))
	for i, g := range c.Gold {
		golds[i] = strconv.Itoa(g)
	}
	top := out.Ranking[:min(o.K, len(out.Ranking))]
	err = cfg.Store.Put(store.Record{
		Key: k, Target: name, Suite: Suite, Task: method + "/" + c.Kind, Cell: method + "/" + c.Kind, Length: c.Length, Index: c.Index,
		Request: body, Response: resp, Text: strings.Trim(strings.Join(strings.Fields(fmt.Sprint(top)), ","), "[]"), Golds: golds,
		Metric: Metric, Score: score, PromptTokens: c.Tokens, FittedTokens: c.Tokens, Duration: time.Duration(r.Seconds * float64(time.Second)),
	})
	return out, false, err
}
