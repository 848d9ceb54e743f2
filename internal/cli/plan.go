package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/plan"
	"github.com/longctx/longctx/internal/tensor"
)

// planReport is `longctx plan --json`.
type planReport struct {
	Model         string  `json:"model"`
	KVType        string  `json:"kv_type"`
	KVBlock       int     `json:"kv_block"`
	KVPerToken    int64   `json:"kv_bytes_per_token"`
	Bandwidth     float64 `json:"bandwidth_bytes_per_s"`
	BWMeasured    bool    `json:"bandwidth_measured"`
	FLOPS         float64 `json:"flops"`
	FLOPSMeasured bool    `json:"flops_measured"`
	Threads       int     `json:"threads"`
	plan.Fit
	Rows []planRow `json:"contexts"`
}

// planRow is the model applied at one context length.
type planRow struct {
	Ctx            int     `json:"ctx"`
	SeqKVBytes     int64   `json:"seq_kv_bytes"`
	MaxSeqs        int     `json:"max_seqs"`
	PrefillSeconds float64 `json:"prefill_s"`
	PrefillBound   string  `json:"prefill_bound"`
	// Decode of one sequence whose cache holds Ctx positions.
	DecodeTokS  float64 `json:"decode_tok_s"`
	DecodeBound string  `json:"decode_bound"`
	// Out tokens after a Ctx-token prompt: prefill plus decode.
	OutTokens     int     `json:"out_tokens"`
	RequestSecond float64 `json:"request_s"`
	// MaxSeqs sequences at depth Ctx decoding together.
	BatchTokS  float64 `json:"batch_decode_tok_s"`
	BatchBound string  `json:"batch_decode_bound"`
}

func planCmd(env *Env) error {
	fs := newFlags(env, "plan", "[-m FILE] [--ctx N] [--ram BYTES] [--kv-type f16] [--out N] [--bw GB/s] [--flops GFLOP/s] [--json]")
	mf := addModelFlags(fs)
	ctxLen := fs.Int("ctx", 0, "tokens per sequence, prompt plus output (default: the model's context)")
	ramFlag := fs.String("ram", "", "memory for weights, activations and KV, e.g. 16GiB (default: the system's available memory)")
	kvType := fs.String("kv-type", "f16", "KV cache element type: f32, f16, q8_0 or q4_0")
	block := fs.Int("kv-block", kv.DefaultBlockSize, "KV cache block size in positions")
	stepTokens := fs.Int("step-tokens", 256, "most tokens per forward pass (as longctx serve --step-tokens)")
	nOut := fs.Int("out", 256, "output tokens per request for the request-time estimate")
	bwFlag := fs.Float64("bw", 0, "read bandwidth in GB/s (default: measured)")
	flopsFlag := fs.Float64("flops", 0, "FLOP rate in GFLOP/s (default: measured on the model's first layer)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	args, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, args[0])
	}
	finite := func(x float64) bool { return x >= 0 && !math.IsInf(x, 1) } // NaN fails too
	if *ctxLen < 0 || *stepTokens < 1 || *nOut < 0 || !finite(*bwFlag) || !finite(*flopsFlag) {
		return fmt.Errorf("%w: --ctx, --out, --bw and --flops must be finite and >= 0, --step-tokens >= 1", errUsage)
	}
	elem, err := parseCacheType(*kvType)
	if err != nil {
		return err
	}
	kvc := kv.Config{Type: elem, BlockSize: *block}
	if err := kvc.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var ram int64
	if *ramFlag != "" {
		if ram, err = kv.ParseBytes(*ramFlag); err != nil || ram == 0 {
			return fmt.Errorf("%w: --ram %q: want a size such as 16GiB", errUsage, *ramFlag)
		}
	} else if ram, err = plan.AvailableMemory(); err != nil {
		return fmt.Errorf("%w (give --ram)", err)
	}
	f, m, err := mf.loadModel()
	if err != nil {
		return err
	}
	defer f.Close()
	if *ctxLen == 0 {
		*ctxLen = m.Config.CtxMax()
	}
	p, err := plan.New(plan.FromModel(m), elem, *block, *stepTokens)
	if err != nil {
		return err
	}
	rep := planReport{Model: mf.name(), KVType: strings.ToLower(elem.String()), KVBlock: p.BlockSize, KVPerToken: p.KVPerToken(),
		Bandwidth: *bwFlag * 1e9, FLOPS: *flopsFlag * 1e9, Threads: parallel.Threads(), Fit: p.Fit(ram, *ctxLen)}
	if rep.Bandwidth == 0 {
		rep.Bandwidth, rep.BWMeasured = plan.MeasureBandwidth(512<<20), true
	}
	if rep.FLOPS == 0 {
		if rep.FLOPS, err = plan.MeasureFLOPS(m, 64, 300*time.Millisecond); err != nil {
			return err
		}
		rep.FLOPSMeasured = true
	}
	rates := plan.Rates{Bandwidth: rep.Bandwidth, FLOPS: rep.FLOPS}
	bound := func(c plan.Cost) string {
		if c.ComputeBound(rates) {
			return "compute"
		}
		return "memory"
	}
	var ctxs []int
	for c := 4096; c < *ctxLen; c *= 2 {
		ctxs = append(ctxs, c)
	}
	for _, c := range append(ctxs, *ctxLen) {
		fit := p.Fit(ram, c)
		pre := p.Prefill(0, c, rates)
		dec := p.DecodeStep([]int{c}, rates)
		out := min(*nOut, c-1)
		r := planRow{Ctx: c, SeqKVBytes: fit.SeqKV, MaxSeqs: fit.MaxSeqs,
			PrefillSeconds: pre.Seconds, PrefillBound: bound(pre),
			DecodeTokS: 1 / dec.Seconds, DecodeBound: bound(dec), OutTokens: out,
			RequestSecond: p.Prefill(0, c-out, rates).Seconds + p.Decode(c-out, out, rates).Seconds}
		if fit.MaxSeqs > 0 {
			depths := make([]int, fit.MaxSeqs)
			for i := range depths {
				depths[i] = c
			}
			b := p.DecodeStep(depths, rates)
			r.BatchTokS, r.BatchBound = float64(fit.MaxSeqs)/b.Seconds, bound(b)
		}
		rep.Rows = append(rep.Rows, r)
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(rep)
	}
	writePlan(env, &rep, p, m.Config.Arch)
	return nil
}

func writePlan(env *Env, rep *planReport, p plan.Plan, arch string) {
	w := env.Stdout
	pm := p.Model
	measured := func(b bool) string {
		if b {
			return "measured"
		}
		return "given"
	}
	fmt.Fprintf(w, "model %s: %s, %d layers, %d heads / %d KV heads of %d, %.3g weights per token, %s of weights\n",
		rep.Model, arch, pm.Layers, pm.Heads, pm.KVHeads, pm.HeadDim, float64(pm.Params()), humanBytes(pm.WeightBytes))
	fmt.Fprintf(w, "machine: read bandwidth %.1f GB/s (%s), %.1f GFLOP/s (%s), %d threads\n",
		rep.Bandwidth/1e9, measured(rep.BWMeasured), rep.FLOPS/1e9, measured(rep.FLOPSMeasured), rep.Threads)
	fmt.Fprintf(w, "KV cache: %s in blocks of %d positions, %d B per token (2 x %d layers x %d KV heads x %d-wide rows)\n",
		rep.KVType, rep.KVBlock, rep.KVPerToken, pm.Layers, pm.KVHeads, pm.HeadDim)
	fit := rep.Fit
	fmt.Fprintf(w, "memory %s = weights %s + activations %s + KV budget %s\n",
		humanBytes(fit.RAM), humanBytes(fit.Weights), humanBytes(fit.Activations), humanBytes(fit.KVBudget))
	if fit.MaxSeqs == 0 {
		fmt.Fprintf(w, "  -> not one sequence of %d tokens fits (%s of KV each): lower --ctx, use a smaller --kv-type, or add memory\n",
			fit.Ctx, humanBytes(fit.SeqKV))
	} else {
		fmt.Fprintf(w, "  -> %d concurrent sequences of %d tokens (%s of KV each)\n", fit.MaxSeqs, fit.Ctx, humanBytes(fit.SeqKV))
		// serve needs a step's tokens to exceed its sequences (each
		// decoding one token leaves room for prefill).
		par := min(fit.MaxSeqs, p.StepTokens-1)
		fmt.Fprintf(w, "  longctx serve --ctx %d --parallel %d --kv-ram %d --kv-type %s --step-tokens %d",
			fit.Ctx, par, fit.KVBudget, rep.KVType, p.StepTokens)
		if par < fit.MaxSeqs {
			fmt.Fprintf(w, "  (--parallel below --step-tokens; a larger --step-tokens admits more)")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ctx\tKV/seq\tmax seqs\tprefill s\t1-seq decode tok/s\tbatch decode tok/s\trequest s (ctx-out prompt, out tokens)\t")
	for _, r := range rep.Rows {
		batch := "-"
		if r.MaxSeqs > 0 {
			batch = fmt.Sprintf("%.1f (%s)", r.BatchTokS, r.BatchBound)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.3g (%s)\t%.3g (%s)\t%s\t%.3g (%d out)\t\n", r.Ctx, humanBytes(r.SeqKVBytes), r.MaxSeqs,
			r.PrefillSeconds, r.PrefillBound, r.DecodeTokS, r.DecodeBound, batch, r.RequestSecond, r.OutTokens)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nprefill: (2 x weights x tokens + causal attention FLOPs) / FLOP rate; decode step: max((weights + KV of every sequence) / bandwidth, FLOPs / FLOP rate);")
	fmt.Fprintln(w, "batch decode: the max sequences at depth ctx share one read of the weights per step. The FLOP rate is measured with 64-token")
	fmt.Fprintln(w, "batches (prefill); small decode batches run below it, so compute-bound batch figures are upper bounds. Measured rates on a busy machine vary.")
}

// parseCacheType reads a KV element type the paged cache stores.
func parseCacheType(s string) (tensor.Type, error) {
	t, err := tensor.ParseType(s)
	if err != nil || (t != tensor.F32 && t != tensor.F16 && t != tensor.Q8_0 && t != tensor.Q4_0) {
		return 0, fmt.Errorf("%w: --kv-type %q: want f32, f16, q8_0 or q4_0", errUsage, s)
	}
	return t, nil
}
