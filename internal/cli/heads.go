package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/heads"
	"github.com/longctx/longctx/internal/trace"
	"github.com/longctx/longctx/internal/trace/observe"
)

// maskFlags are the head-masking flags shared by trace and heads (and
// meant for eval and ask, through heads.NewCacheFunc).
type maskFlags struct {
	spec, count, mode string
	random            bool
}

func addMaskFlags(fs *flag.FlagSet) *maskFlags {
	m := &maskFlags{}
	fs.StringVar(&m.spec, "mask-heads", "", "silence attention heads in every pass: `L:H,...` or a report written by 'longctx heads' (its top --mask-count heads)")
	fs.StringVar(&m.count, "mask-count", "5%", "heads taken from a --mask-heads report: N or P% of all heads")
	fs.BoolVar(&m.random, "mask-random", false, "with a --mask-heads report: mask as many random non-retrieval heads instead (the control)")
	fs.StringVar(&m.mode, "mask-mode", "uniform", "how a masked head is silenced: uniform (attention spread evenly, output = mean of values, as the paper's code) or zero (output zeroed)")
	return m
}

// resolve returns the heads to mask (nil when none) and the mode.
func (m *maskFlags) resolve(g observe.Geometry, seed uint64) ([]observe.Head, observe.MaskMode, error) {
	mode, err := observe.ParseMaskMode(m.mode)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: --mask-mode: %v", errUsage, err)
	}
	if m.spec == "" {
		if m.random {
			return nil, 0, fmt.Errorf("%w: --mask-random needs --mask-heads REPORT", errUsage)
		}
		return nil, mode, nil
	}
	hs, err := heads.ResolveMask(m.spec, m.count, m.random, seed, g)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	return hs, mode, nil
}

func parseInts(s, what string, parse func(string) (int, error)) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := parse(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, what, err)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s is empty", errUsage, what)
	}
	return out, nil
}

// loadNeedles returns a built-in needle set or reads one from a JSON file.
func loadNeedles(spec string) ([]heads.Needle, error) {
	switch spec {
	case "kamradt":
		return heads.DefaultNeedles, nil
	case "numbers":
		return heads.NumberNeedles, nil
	}
	b, err := os.ReadFile(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: --needles: %q is neither kamradt, numbers nor a readable file: %v", errUsage, spec, err)
	}
	var ns []heads.Needle
	if err := json.Unmarshal(b, &ns); err != nil {
		return nil, fmt.Errorf("%w: --needles %s: %v", errUsage, spec, err)
	}
	if len(ns) == 0 {
		return nil, fmt.Errorf("%w: --needles %s holds no needles", errUsage, spec)
	}
	for i, n := range ns {
		if strings.TrimSpace(n.Fact) == "" || strings.TrimSpace(n.Question) == "" || len(n.Golds) == 0 {
			return nil, fmt.Errorf("%w: --needles %s: needle %d needs a fact, a question and golds", errUsage, spec, i)
		}
	}
	return ns, nil
}

// headsCmd detects retrieval heads, saves the ranked list and optionally
// verifies causally that masking them breaks retrieval.
func headsCmd(env *Env) error {
	fs := newFlags(env, "heads", "[-m FILE] [-o heads.json] [--lengths 1k,2k] [--depths 0,25,50,75,100] [--verify] [flags]")
	mf := addModelFlags(fs)
	mask := addMaskFlags(fs)
	out := fs.String("o", "heads.json", "where to save the ranked heads (JSON)")
	lengths := fs.String("lengths", "1000,2000", "needle-in-a-haystack prompt lengths in tokens (4k = 4096)")
	depths := fs.String("depths", "0,25,50,75,100", "needle depths in percent")
	maxNew := fs.Int("max-new", 50, "most answer tokens per prompt")
	seed := fs.Uint64("seed", 1, "haystack seed (and the random heads of --verify / --mask-random)")
	draws := fs.Int("random-draws", 3, "verify: random head sets drawn for the control (seeds --seed, --seed+1, ...); the drop reported is their mean")
	keepAll := fs.Bool("keep-all", false, "score every prompt, not only correct retrievals (for weak models)")
	kvType := fs.String("kv-type", "f32", "KV cache element type: f32 or f16")
	verify := fs.Bool("verify", false, "after detection, compare NIAH accuracy unmasked, with the top --mask-count heads masked and with as many random non-retrieval heads masked")
	report := fs.String("report", "", "verify a saved report instead of detecting (implies --verify)")
	accuracy := fs.Bool("accuracy", false, "only measure NIAH accuracy on the grid, with --mask-heads applied")
	needles := fs.String("needles", "kamradt", "needles hidden in the grid: kamradt (sentences, the paper's shape), numbers (seven-digit numbers under word keys) or a JSON `file` of [{fact, question, golds}]")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}
	o := heads.Options{MaxNew: *maxNew, Seed: *seed, KeepAll: *keepAll}
	var err error
	if o.Needles, err = loadNeedles(*needles); err != nil {
		return err
	}
	if o.Lengths, err = parseInts(*lengths, "--lengths", gen.ParseLength); err != nil {
		return err
	}
	if o.Depths, err = parseInts(*depths, "--depths", strconv.Atoi); err != nil {
		return err
	}
	for _, d := range o.Depths {
		if d < 0 || d > 100 {
			return fmt.Errorf("%w: --depths: %d is not a percentage 0..100", errUsage, d)
		}
	}
	if *maxNew < 1 {
		return fmt.Errorf("%w: --max-new must be positive", errUsage)
	}
	if (*verify || *report != "") && *draws < 1 {
		return fmt.Errorf("%w: --random-draws %d: want at least 1", errUsage, *draws)
	}
	elem, err := parseKVType(*kvType)
	if err != nil {
		return err
	}
	e, err := mf.open(env.Stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer, KVType: elem}
	if l.Mask, l.MaskMode, err = mask.resolve(l.Geometry(), *seed); err != nil {
		return err
	}
	g := l.Geometry()
	maskCount := 0 // checked now, not after the detection grid has run
	if *verify || *report != "" {
		if maskCount, err = heads.ParseCount(mask.count, g.Layers*g.Heads); err != nil {
			return fmt.Errorf("%w: --mask-count: %v", errUsage, err)
		}
	}
	if len(l.Mask) > 0 {
		fmt.Fprintf(env.Stderr, "masking %d heads: %v\n", len(l.Mask), l.Mask)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	if *accuracy {
		acc, err := heads.Accuracy(ctx, l, o, l.Mask)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "NIAH accuracy %.3f with %d heads masked\n", acc, len(l.Mask))
		return nil
	}
	var rep *heads.Report
	if *report != "" {
		if rep, err = heads.Load(*report); err != nil {
			return err
		}
		*verify = true
	} else {
		var progress func(done, total int, output string)
		if isTerminal(env.Stderr) { // progress only where someone watches it
			progress = func(done, total int, output string) {
				fmt.Fprintf(env.Stderr, "\rsample %d/%d", done, total)
				if done == total {
					fmt.Fprintln(env.Stderr)
				}
			}
		}
		rep, err = heads.Detect(ctx, l, mf.name(), o, progress)
		if err != nil {
			return err
		}
		if err := rep.Save(*out); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d of %d samples scored (%.1f s); ranked heads saved to %s\n", rep.Kept, rep.Samples, rep.Seconds, *out)
		if rep.Kept == 0 {
			fmt.Fprintln(env.Stdout, "no sample was answered correctly, so every score is 0; try --keep-all or shorter --lengths")
		}
		fmt.Fprintf(env.Stdout, "%-6s %-7s %s\n", "rank", "head", "retrieval score")
		for i, h := range rep.Heads[:min(10, len(rep.Heads))] {
			fmt.Fprintf(env.Stdout, "%-6d %-7s %.3f\n", i+1, strconv.Itoa(h.Layer)+":"+strconv.Itoa(h.Head), h.Score)
		}
	}
	if !*verify {
		return nil
	}
	l.Mask = nil // Verify chooses the masks
	checks, err := heads.Verify(ctx, l, rep, o, maskCount, *seed, *draws)
	if err != nil {
		return err
	}
	for _, c := range checks {
		fmt.Fprintf(env.Stdout, "NIAH accuracy, %-6s heads masked: %.3f  %v\n", c.Label, c.Accuracy, c.Heads)
	}
	base := checks[0].Accuracy
	var drops []string
	var mean float64
	for _, c := range checks[2:] {
		drops = append(drops, strconv.FormatFloat(100*(base-c.Accuracy), 'f', 1, 64))
		mean += 100 * (base - c.Accuracy) / float64(len(checks)-2)
	}
	fmt.Fprintf(env.Stdout, "drop: top %.1f points, random %.1f points (mean of %d draws: %s)\n", 100*(base-checks[1].Accuracy), mean, len(drops), strings.Join(drops, ", "))
	return nil
}
