package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/runner"
	"github.com/longctx/longctx/internal/trace"
)

// Meta describes how a run was made; `longctx eval` writes it as run.json
// beside summary.json so reports and comparisons can say what they show.
type Meta struct {
	Target string `json:"target"`
	Mode   string `json:"mode"` // chat or completion
	// Template says how the prompt reached the model: the built-in chat
	// template, raw text for a base model, or the server's own template.
	Template string `json:"template"`
	// Tokenizer says what fitted lengths; Estimated marks a byte estimate.
	Tokenizer string            `json:"tokenizer"`
	Estimated bool              `json:"estimated,omitempty"`
	Options   map[string]string `json:"options,omitempty"` // target options (KV type, attention policy...)
	Seed      uint64            `json:"seed"`
	Lengths   []int             `json:"lengths"`
	Samples   int               `json:"samples"`
	Suites    []string          `json:"suites"`
	Notes     []string          `json:"notes,omitempty"`
	Started   time.Time         `json:"started"`
	Finished  time.Time         `json:"finished"`
	Requested int               `json:"requested"`
	Cached    int               `json:"cached"`
	Truncated int               `json:"truncated,omitempty"`
	// Trace holds the trace suite's rows: precision@1 and recall@K (also
	// in the summary) with seconds and model passes per trace.
	Trace []trace.BenchRow `json:"trace,omitempty"`
}

// Run is a finished run as stored in its directory.
type Run struct {
	Dir     string
	Meta    *Meta // nil when the directory has no run.json
	Summary runner.Summary
}

// Load reads a run from its output directory (or from a summary.json path).
func Load(path string) (*Run, error) {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	} else {
		path = filepath.Join(dir, "summary.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir}
	if err := json.Unmarshal(b, &r.Summary); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Summary == nil {
		return nil, fmt.Errorf("%s: empty summary", path)
	}
	// Lengths are keyed as the runner writes them (4k, 1536): another
	// spelling of a length is renamed, a key that is no length refused.
	for suite, tasks := range r.Summary {
		for task, byLen := range tasks {
			for k, v := range byLen {
				n, err := gen.ParseLength(k)
				if err != nil {
					return nil, fmt.Errorf("%s: %s/%s: %w", path, suite, task, err)
				}
				if c := gen.FormatLength(n); c != k {
					delete(byLen, k)
					byLen[c] = v
				}
			}
		}
	}
	mb, err := os.ReadFile(filepath.Join(dir, "run.json"))
	switch {
	case err == nil:
		r.Meta = &Meta{}
		if err := json.Unmarshal(mb, r.Meta); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "run.json"), err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return r, nil
}
