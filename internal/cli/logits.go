package cli

import (
	"bufio"
	"fmt"
	"math"
	"strconv"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
)

func logitsCmd(env *Env) error {
	fs := newFlags(env, "logits", "-m FILE --tokens 1,2,3 [--all]")
	modelPath := fs.String("m", "", "model `file` (GGUF)")
	tokens := fs.String("tokens", "", "comma-separated token `ids`, fed as given (no BOS added)")
	all := fs.Bool("all", false, "print the logits of every position, not only the last")
	kvType := fs.String("kv-type", "f32", "KV cache element type: f32 or f16")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("%w: -m FILE is required", errUsage)
	}
	ids, err := parseIDs(*tokens)
	if err != nil {
		return err
	}
	elem, err := parseKVType(*kvType)
	if err != nil {
		return err
	}
	f, m, err := openModel(*modelPath)
	if err != nil {
		return err
	}
	defer f.Close()
	cache, err := m.NewCache(len(ids), elem)
	if err != nil {
		return err
	}
	logits, err := m.Forward(ids, 0, cache, *all)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(env.Stdout)
	fmt.Fprintf(w, `{"n_vocab":%d,"logits":[`, m.Config.Vocab)
	var buf []byte
	for r := 0; r < len(logits)/m.Config.Vocab; r++ {
		if r > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('[')
		for i, x := range logits[r*m.Config.Vocab : (r+1)*m.Config.Vocab] {
			if i > 0 {
				w.WriteByte(',')
			}
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				w.WriteString("null") // JSON has no NaN or infinity
				continue
			}
			buf = strconv.AppendFloat(buf[:0], float64(x), 'g', -1, 32)
			w.Write(buf)
		}
		w.WriteByte(']')
	}
	w.WriteString("]}\n")
	return w.Flush()
}

func parseKVType(s string) (tensor.Type, error) {
	switch s {
	case "f32", "F32":
		return tensor.F32, nil
	case "f16", "F16":
		return tensor.F16, nil
	case "q8_0", "Q8_0":
		return tensor.Q8_0, nil
	case "q4_0", "Q4_0":
		return tensor.Q4_0, nil
	}
	return 0, fmt.Errorf("%w: --kv-type %q: want f32, f16, q8_0 or q4_0", errUsage, s)
}

// openModel maps a GGUF file and loads its model.
func openModel(path string) (*gguf.File, *model.Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := model.Load(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, m, nil
}
