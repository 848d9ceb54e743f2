package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	Target target.Target
	Store  *store.Store
	Mode   string
	// RawOK says the target also takes raw prompts in chat mode (the
	// built-in engine does); samples marked Raw are then sent without a
	// chat template, as LongBench does for its few-shot and code tasks.
	RawOK bool

	Sources []Source
	Lengths []int
	// Samples per task and length (file-based tasks: at most that many of
	// their items, in file order).
	Samples int

	Concurrency int  // samples in flight (the target bounds its own requests too)
	NoCache     bool // ask the target even when the store has the answer
	Temperature float64
	// Progress, when set, gets a progress bar with an ETA, redrawn in
	// place: give it a terminal only.
	Progress io.Writer
}

// Summary is {"suite": {"task or depth=<p>": {"<length>": score}}}, scores in 0..1.
type Summary map[string]map[string]map[string]float64

// Stats counts what a run did.
type Stats struct {
	Requested, Cached int
	// Truncated counts samples a file-based suite's rule cut to fit.
	Truncated int
	Elapsed   time.Duration
}

type job struct {
	src    Source
	task   string
	length int
	index  int
}

type acc struct{ sum, n float64 }

// Run executes cfg. On cancellation it returns ctx's error; every result
// finished before that is already in the store.
func Run(ctx context.Context, cfg Config) (Summary, Stats, error) {
	start := time.Now()
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
	)
	var bar *progress
	if cfg.Progress != nil {
		bar = newProgress(cfg.Progress, len(jobs), time.Now)
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	for range max(cfg.Concurrency, 1) {
		wg.Go(func() {
			for j := range ch {
				rec, cached, cut, err := runOne(ctx, cfg, j)
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
				if cut {
					stats.Truncated++
				}
				if bar != nil {
					bar.add(cached)
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
	if bar != nil {
		bar.finish()
	}
	stats.Elapsed = time.Since(start)
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
	if cfg.Samples <= 0 || len(cfg.Lengths) == 0 || len(cfg.Sources) == 0 {
		return nil, errors.New("runner: need at least one suite, length and sample")
	}
	var jobs []job
	for _, src := range cfg.Sources {
		for _, l := range cfg.Lengths {
			for _, t := range src.Tasks() {
				n := cfg.Samples
				if items := src.Items(t); items > 0 {
					n = min(n, items)
				}
				for i := range n {
					jobs = append(jobs, job{src: src, task: t, length: l, index: i})
				}
			}
		}
	}
	if len(jobs) == 0 {
		return nil, errors.New("runner: the suites have no samples")
	}
	return jobs, nil
}

// BuildRequest turns a sample into a request for mode; rawOK sends Raw
// samples as raw text even in chat mode.
func BuildRequest(s gen.Sample, mode string, rawOK bool) target.Request {
	if mode == ModeCompletion || s.Raw && rawOK {
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

// Key is the store key of a request: what decides the answer (target with
// model, mode, request, parameters), hashed.
func Key(targetName, mode string, req target.Request, p target.Params) (key string, body []byte, err error) {
	body, err = json.Marshal(struct {
		Mode   string         `json:"mode"`
		Req    target.Request `json:"request"`
		Params target.Params  `json:"params"`
	}{mode, req, p})
	if err != nil {
		return "", nil, err
	}
	return store.Key(targetName, body), body, nil
}

func runOne(ctx context.Context, cfg Config, j job) (rec store.Record, cached, cut bool, err error) {
	s, err := j.src.Sample(j.task, j.length, j.index)
	if err != nil {
		return store.Record{}, false, false, err
	}
	cut = s.TruncatedFrom > 0
	req := BuildRequest(s, cfg.Mode, cfg.RawOK)
	params := target.Params{MaxTokens: s.MaxNewTokens, Temperature: cfg.Temperature, TopP: 1}
	key, keyBody, err := Key(cfg.Target.Name(), cfg.Mode, req, params)
	if err != nil {
		return store.Record{}, false, cut, err
	}
	if !cfg.NoCache {
		if rec, ok, err := cfg.Store.Get(key); err != nil {
			return store.Record{}, false, cut, err
		} else if ok {
			// The stored answer is this request's, but where it counts and
			// how it is scored come from this run: a rerun may group tasks
			// differently, and a fixed scorer applies to old answers.
			rec.Suite, rec.Task, rec.Cell, rec.Length, rec.Index = s.Suite, s.Task, s.Cell, s.Length, s.Index
			if rec.Score, err = score.Apply(s.Metric, rec.Text, s.Golds, s.Extra); err != nil {
				return store.Record{}, false, cut, err
			}
			return rec, true, cut, nil
		}
	}
	start := time.Now()
	resp, err := cfg.Target.Generate(ctx, req, params)
	if err != nil {
		return store.Record{}, false, cut, fmt.Errorf("%s %s %s #%d: %w", s.Suite, s.Cell, gen.FormatLength(s.Length), s.Index, err)
	}
	sc, err := score.Apply(s.Metric, resp.Text, s.Golds, s.Extra)
	if err != nil {
		return store.Record{}, false, cut, err
	}
	rec = store.Record{
		Key: key, Target: cfg.Target.Name(), Suite: s.Suite, Task: s.Task, Cell: s.Cell, Length: s.Length, Index: s.Index,
		Request: resp.RequestBody, Response: resp.ResponseBody, Text: resp.Text, Golds: s.Golds, Metric: s.Metric, Score: sc,
		PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens, FittedTokens: s.PromptTokens,
		Duration: time.Since(start),
	}
	if rec.Request == nil {
		rec.Request = keyBody
	}
	if err := cfg.Store.Put(rec); err != nil {
		return store.Record{}, false, cut, err
	}
	return rec, false, cut, nil
}

// WriteJSON writes v as indented JSON atomically (temp file, fsync,
// rename), so an interrupted write never leaves a half file.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory that is synced and renamed over path.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
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
