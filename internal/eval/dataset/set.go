package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/longctx/longctx/internal/eval/gen"
)

// Item is one question of a file-based benchmark, before truncation. The
// prompt is Head + Doc + Tail; middle truncation cuts the whole of it,
// L-Eval's rule cuts only Doc.
type Item struct {
	Task, ID        string
	System          string
	Head, Doc, Tail string
	Golds, Extra    []string
	Metric          string
	MaxNew          int
	// Raw marks tasks the benchmark runs without a chat template
	// (LongBench's few-shot and code datasets).
	Raw bool
	// KeepEnd makes L-Eval's rule keep the end of the document (code).
	KeepEnd bool
}

// Rule names how a set cuts prompts that are too long.
type Rule string

const (
	// Middle keeps the first and last halves of the whole prompt
	// (LongBench v1/v2, LooGLE).
	Middle Rule = "middle"
	// LEvalWords drops words from the end of the document (from its start
	// for code), 250 at a time (L-Eval).
	LEvalWords Rule = "leval-words"
)

// Set is a loaded benchmark: its suite name, its truncation rule and the
// items of each task in file order.
type Set struct {
	Suite string
	Rule  Rule
	tasks []string
	items map[string][]Item
}

func newSet(suite string, rule Rule) *Set {
	return &Set{Suite: suite, Rule: rule, items: map[string][]Item{}}
}

func (s *Set) add(it Item) {
	if _, ok := s.items[it.Task]; !ok {
		s.tasks = append(s.tasks, it.Task)
	}
	s.items[it.Task] = append(s.items[it.Task], it)
}

// Tasks lists the set's tasks, sorted.
func (s *Set) Tasks() []string {
	out := append([]string(nil), s.tasks...)
	sort.Strings(out)
	return out
}

// Items returns task's items.
func (s *Set) Items(task string) []Item { return s.items[task] }

// Bind fixes the tokenizer that counts and cuts prompts and the tokens
// reserved for a chat template, giving a sample source.
func (s *Set) Bind(tok gen.Tokenizer, reserve int) *Bound {
	return &Bound{set: s, tok: tok, reserve: reserve}
}

// Bound is a Set with a tokenizer: it makes samples at any length.
type Bound struct {
	set     *Set
	tok     gen.Tokenizer
	reserve int
}

// Suite is the set's suite name.
func (b *Bound) Suite() string { return b.set.Suite }

// Tasks lists the tasks.
func (b *Bound) Tasks() []string { return b.set.Tasks() }

// Items is how many samples task has.
func (b *Bound) Items(task string) int { return len(b.set.items[task]) }

// Sample makes item index of task fit length tokens (prompt plus the task's
// output budget plus the reserve) by the set's rule.
func (b *Bound) Sample(task string, length, index int) (gen.Sample, error) {
	items := b.set.items[task]
	if index < 0 || index >= len(items) {
		return gen.Sample{}, fmt.Errorf("dataset: %s/%s has no item %d", b.set.Suite, task, index)
	}
	it := items[index]
	budget := length - it.MaxNew - b.reserve
	if it.System != "" {
		n, err := b.tok.Count(it.System + "\n")
		if err != nil {
			return gen.Sample{}, err
		}
		budget -= n
	}
	var prompt string
	var before int
	var err error
	switch b.set.Rule {
	case Middle:
		prompt, before, err = TruncateMiddle(b.tok, it.Head+it.Doc+it.Tail, budget)
	case LEvalWords:
		var rest, docBefore int
		if rest, err = b.tok.Count(it.Head + it.Tail); err == nil {
			var doc string
			doc, docBefore, err = truncateWords(b.tok, it.Doc, budget-rest, it.KeepEnd)
			prompt, before = it.Head+doc+it.Tail, docBefore+rest
		}
	default:
		err = fmt.Errorf("dataset: unknown truncation rule %q", b.set.Rule)
	}
	if err != nil {
		return gen.Sample{}, fmt.Errorf("dataset: %s/%s item %d at %d tokens: %w", b.set.Suite, task, index, length, err)
	}
	s := gen.Sample{
		Suite: b.set.Suite, Task: task, Cell: task, Length: length, Index: index,
		System: it.System, Prompt: prompt, Golds: it.Golds, Extra: it.Extra, Metric: it.Metric,
		MaxNewTokens: it.MaxNew, Raw: it.Raw,
	}
	full := prompt
	if it.System != "" {
		full = it.System + "\n" + prompt
	}
	if s.PromptTokens, err = b.tok.Count(full); err != nil {
		return gen.Sample{}, err
	}
	if s.PromptTokens+it.MaxNew+b.reserve > length {
		return gen.Sample{}, fmt.Errorf("dataset: %s/%s item %d: %d prompt tokens do not fit %d: %w", b.set.Suite, task, index, s.PromptTokens, length, gen.ErrTooShort)
	}
	if prompt != it.Head+it.Doc+it.Tail {
		s.TruncatedFrom = before
	}
	return s, nil
}

// files returns path itself, or the files in directory path with one of
// the extensions, sorted.
func files(path string, exts ...string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		for _, x := range exts {
			if !e.IsDir() && strings.HasSuffix(e.Name(), x) {
				out = append(out, filepath.Join(path, e.Name()))
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset: no %s files in %s", strings.Join(exts, " or "), path)
	}
	return out, nil
}

// jsonLines splits a jsonl file into its non-blank lines and their
// line numbers in the file (counted from 1, blank lines included), for
// errors that point at the right line.
func jsonLines(data []byte) (lines []string, lineNo []int) {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			lines, lineNo = append(lines, l), append(lineNo, i+1)
		}
	}
	return lines, lineNo
}

var errEmpty = errors.New("no items")

// taskName is a file's base name without its extension.
func taskName(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// jsonErrAt adds the line a JSON decoding error happened on, when it
// says where.
func jsonErrAt(data []byte, err error) error {
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	return fmt.Errorf("line %d: %w", 1+bytes.Count(data[:off], []byte("\n")), err)
}
