package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
)

func infoCmd(env *Env) error {
	fs := newFlags(env, "info", "-m FILE [--ctx N] [--kv-type f16|f32]")
	modelPath := fs.String("m", "", "model `file` (GGUF)")
	ctx := fs.Int("ctx", 0, "context length to size the KV cache for (default: the model's training context)")
	kvType := fs.String("kv-type", "f16", "KV cache element type: f32 or f16")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("%w: -m FILE is required", errUsage)
	}
	if *ctx < 0 {
		return fmt.Errorf("%w: --ctx %d is negative", errUsage, *ctx)
	}
	elem, err := parseKVType(*kvType)
	if err != nil {
		return err
	}
	f, err := gguf.Open(*modelPath)
	if err != nil {
		return err
	}
	defer f.Close()
	w := env.Stdout
	fmt.Fprintf(w, "file: %s\nGGUF version %d, %d metadata keys, %d tensors, alignment %d, data at %d, %s\n\n",
		*modelPath, f.Version, len(f.KVs), len(f.Tensors), f.Alignment, f.DataOffset, humanBytes(f.Size()))
	fmt.Fprintln(w, "metadata:")
	for _, kv := range f.KVs {
		s := kv.Value.String()
		if len(s) > 160 {
			s = s[:157] + "..."
		}
		fmt.Fprintf(w, "  %-45s %s\n", kv.Key, strings.ReplaceAll(s, "\n", `\n`))
	}
	if len(f.Tensors) == 0 {
		fmt.Fprintln(w, "\nno tensors (vocabulary-only file)")
		return nil
	}
	fmt.Fprintln(w, "\ntensors:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  name\ttype\tshape\tbytes\toffset")
	byType := map[string]int64{}
	for _, t := range f.Tensors {
		fmt.Fprintf(tw, "  %s\t%s\t%v\t%d\t%d\n", t.Name, t.Type, t.Dims, t.Size, t.Offset)
		byType[t.Type.String()] += t.Size
	}
	tw.Flush()
	m, err := model.Load(f)
	if err != nil {
		fmt.Fprintf(w, "\nnot runnable: %v\n", err)
		return nil
	}
	c := m.Config
	if *ctx <= 0 {
		*ctx = c.CtxTrain
	}
	fmt.Fprintf(w, "\nmodel: %s, vocab %d, embd %d, %d layers, %d heads / %d KV heads (head dim %d), ffn %d, trained context %d\n",
		c.Arch, c.Vocab, c.Embd, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.FFN, c.CtxTrain)
	fmt.Fprintf(w, "rope: %s pairs, %d dims, base %g, scaling %s x%g (original context %d)", c.RopeMode, c.RopeDims, c.RopeBase, c.Rope.Type, c.Rope.Factor, c.Rope.OrigCtx)
	if c.Rope.FreqFactors != nil {
		fmt.Fprint(w, ", llama3 frequency factors")
	}
	fmt.Fprintf(w, "\nrms eps %g, tied output %v\n", c.RMSEps, c.TiedOutput)
	kvBytes := kv.Shape{Layers: c.Layers, Ctx: *ctx, KVHeads: c.KVHeads, HeadDim: c.HeadDim, ElemType: elem}.Bytes()
	fmt.Fprintf(w, "\nmemory: weights %s (mapped from the file), KV cache for %d tokens (%s) %s, total %s\n",
		humanBytes(m.Bytes()), *ctx, elem, humanBytes(kvBytes), humanBytes(m.Bytes()+kvBytes))
	return nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for x := n / unit; x >= unit; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.2f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
