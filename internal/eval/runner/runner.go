package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/score"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/eval/target"
)

// Prompt modes: how a sample becomes a request.
const (
	// ModeChat sends the system message (if any) and one user message holding
	// the prompt followed by the answer prefix (what RULER's base template
	// amounts to against a chat API).
	ModeChat = "chat"
	// ModeCompletion sends system + prompt + answer prefix as raw text.
	ModeCompletion = "completion"
)

// Config is one run.
type Config struct {
	Gen    *gen.Generator
	Target target.Target
	Store  *store.Store
	Mode   string

	Suites     []string // "niah", "ruler"
	RulerTasks []string // default: all 13
	Lengths    []int
	Depths     []int // NIAH depths in percent
	Samples    int
	NIAH       gen.NIAHOptions

	Concurrency int  // samples in flight (the target bounds its own requests too)
	NoCache     bool // ask the target even when the store has the answer
	Temperature float64
	Progress    io.Writer // one line per finished sample when set
}

// Summary is {"suite": {"task or depth=<p>": {"<length>": score}}}, scores in 0..1.
type Summary map[string]map[string]map[string]float64

// Stats counts what a run did.
type Stats struct{ Requested, Cached int }

type job struct {
	suite, task string
	length      int
	depth       int
	index       int
}

type acc struct{ sum, n float64 }

// Run executes cfg. On cancellation it returns ctx's error; every result
// finished before that is already in the store.
func Run(ctx context.Context, cfg Config) (Summary, Stats, error) {
	if cfg.Mode != ModeChat && cfg.Mode != ModeCompletion {
		return nil, Stats{}, fmt.Errorf("runner: mode %q (want %s or %s)", cfg.Mode, ModeChat, ModeCompletion)
	}
	jobs, err := plan(cfg)
	if err != nil {
		return nil, Stats{}, err
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		accs  = map[[3]string]*acc{}
		stats Stats
		first error
		done  int
	)
	ch := make(chan job)
	var wg sync.WaitGroup
	for range max(cfg.Concurrency, 1) {
		wg.Go(func() {
			for j := range ch {
				rec, cached, err := runOne(ctx, cfg, j)
				mu.Lock()
				if err != nil {
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				k := [3]string{rec.Suite, rec.Cell, gen.FormatLength(rec.Length)}
				if accs[k] == nil {
					accs[k] = &acc{}
				}
				accs[k].sum += rec.Score
				accs[k].n++
				if cached {
					stats.Cached++
				} else {
					stats.Requested++
				}
				done++
				if cfg.Progress != nil {
					fmt.Fprintf(cfg.Progress, "[%d/%d] %s %s %s #%d score %.2f%s\n", done, len(jobs), rec.Suite, rec.Cell,
						gen.FormatLength(rec.Length), rec.Index, rec.Score, map[bool]string{true: " (cached)"}[cached])
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if err := parent.Err(); err != nil {
		return nil, stats, err // interrupted: report that, not the requests it aborted
	}
	if first != nil {
		return nil, stats, first
	}
	sum := Summary{}
	for k, a := range accs {
		if sum[k[0]] == nil {
			sum[k[0]] = map[string]map[string]float64{}
		}
		if sum[k[0]][k[1]] == nil {
			sum[k[0]][k[1]] = map[string]float64{}
		}
		sum[k[0]][k[1]][k[2]] = a.sum / a.n
	}
	return sum, stats, nil
}

func plan(cfg Config) ([]job, error) {
	if cfg.Samples <= 0 || len(cfg.Lengths) == 0 || len(cfg.Suites) == 0 {
		return nil, errors.New("runner: need at least one suite, length and sample")
	}
	var jobs []job
	for _, suite := range cfg.Suites {
		switch suite {
		case "niah":
			if len(cfg.Depths) == 0 {
				return nil, errors.New("runner: niah needs depths")
			}
			for _, l := range cfg.Lengths {
				for _, d := range cfg.Depths {
					for i := range cfg.Samples {
						jobs = append(jobs, job{suite: "niah", task: "niah", length: l, depth: d, index: i})
					}
				}
			}
		case "ruler":
			tasks := cfg.RulerTasks
			if len(tasks) == 0 {
				tasks = gen.RulerTasks()
			}
			for _, l := range cfg.Lengths {
				for _, t := range tasks {
					for i := range cfg.Samples {
						jobs = append(jobs, job{suite: "ruler", task: t, length: l, index: i})
					}
				}
			}
		default:
			return nil, fmt.Errorf("runner: unknown suite %q (have niah, ruler)", suite)
		}
	}
	return jobs, nil
}

// BuildRequest turns a sample into a request for mode.
func BuildRequest(s gen.Sample, mode string) target.Request {
	if mode == ModeCompletion {
		p := s.Prompt + s.AnswerPrefix
		if s.System != "" {
			p = s.System + "\n\n" + p
		}
		return target.Request{Prompt: p}
	}
	var msgs []target.Message
	if s.System != "" {
		msgs = append(msgs, target.Message{Role: "system", Content: s.System})
	}
	return target.Request{Messages: append(msgs, target.Message{Role: "user", Content: s.Prompt + s.AnswerPrefix})}
}

// Score applies the sample's metric to an answer.
func Score(metric, answer string, golds []string) (float64, error) {
	answer = score.RulerPostprocess(answer)
	switch metric {
	case "string_match_all":
		return score.StringMatchAll(answer, golds), nil
	case "string_match_part":
		return score.StringMatchPart(answer, golds), nil
	}
	return 0, fmt.Errorf("runner: unknown metric %q", metric)
}

func runOne(ctx context.Context, cfg Config, j job) (store.Record, bool, error) {
	var s gen.Sample
	var err error
	if j.suite == "niah" {
		s, err = cfg.Gen.NIAH(j.length, j.depth, j.index, cfg.NIAH)
	} else {
		s, err = cfg.Gen.Ruler(j.task, j.length, j.index)
	}
	if err != nil {
		return store.Record{}, false, err
	}
	req := BuildRequest(s, cfg.Mode)
	params := target.Params{MaxTokens: s.MaxNewTokens, Temperature: cfg.Temperature, TopP: 1}
	// The key covers what decides the answer: target (with model), mode, request, parameters.
	keyBody, err := json.Marshal(struct {
		Mode   string         `json:"mode"`
		Req    target.Request `json:"request"`
		Params target.Params  `json:"params"`
	}{cfg.Mode, req, params})
	if err != nil {
		return store.Record{}, false, err
	}
	key := store.Key(cfg.Target.Name(), keyBody)
	if !cfg.NoCache {
		if rec, ok, err := cfg.Store.Get(key); err != nil {
			return store.Record{}, false, err
		} else if ok {
			return rec, true, nil
		}
	}
	start := time.Now()
	resp, err := cfg.Target.Generate(ctx, req, params)
	if err != nil {
		return store.Record{}, false, fmt.Errorf("%s %s %s #%d: %w", s.Suite, s.Cell, gen.FormatLength(s.Length), s.Index, err)
	}
	sc, err := Score(s.Metric, resp.Text, s.Golds)
	if err != nil {
		return store.Record{}, false, err
	}
	rec := store.Record{
		Key: key, Target: cfg.Target.Name(), Suite: s.Suite, Task: s.Task, Cell: s.Cell, Length: s.Length, Index: s.Index,
		Request: resp.RequestBody, Response: resp.ResponseBody, Text: resp.Text, Golds: s.Golds, Metric: s.Metric, Score: sc,
		PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens, FittedTokens: s.PromptTokens,
		Duration: time.Since(start),
	}
	if rec.Request == nil {
		rec.Request = keyBody
	}
	if err := cfg.Store.Put(rec); err != nil {
		return store.Record{}, false, err
	}
	return rec, false, nil
}

// WriteJSON writes the summary atomically (temp file + rename), so an
// interrupted write never leaves a half file.
func WriteJSON(path string, s Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".summary-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteTable prints one block per suite: a row per task/depth, a column per
// length, scores ×100 as benchmarks publish them, and RULER's per-length average.
func WriteTable(w io.Writer, s Summary, lengths []int) {
	suites := sortedKeys(s)
	for _, suite := range suites {
		fmt.Fprintf(w, "%s\n%-18s", suite, "task")
		for _, l := range lengths {
			fmt.Fprintf(w, " %8s", gen.FormatLength(l))
		}
		fmt.Fprintln(w)
		rows := sortedKeys(s[suite])
		if suite == "niah" {
			sort.Slice(rows, func(i, j int) bool { return depthOf(rows[i]) < depthOf(rows[j]) })
		}
		avg := map[string]*acc{}
		for _, row := range rows {
			fmt.Fprintf(w, "%-18s", row)
			for _, l := range lengths {
				k := gen.FormatLength(l)
				v, ok := s[suite][row][k]
				if !ok {
					fmt.Fprintf(w, " %8s", "-")
					continue
				}
				if avg[k] == nil {
					avg[k] = &acc{}
				}
				avg[k].sum += v
				avg[k].n++
				fmt.Fprintf(w, " %8.1f", 100*v)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%-18s", "average")
		for _, l := range lengths {
			if a := avg[gen.FormatLength(l)]; a != nil {
				fmt.Fprintf(w, " %8.1f", 100*a.sum/a.n)
			} else {
				fmt.Fprintf(w, " %8s", "-")
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w)
	}
}

func depthOf(cell string) int {
	var d int
	fmt.Sscanf(strings.TrimPrefix(cell, "depth="), "%d", &d)
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
