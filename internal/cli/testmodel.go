package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/longctx/longctx/internal/testmodel"
)

func testmodelCmd(env *Env) error {
	fs := newFlags(env, "testmodel", "--arch llama|qwen2|qwen3 --shape llama-1b|qwen2-0.5b|tiny --type f32|f16|q8_0|q4_0|q4_k_m -o FILE")
	arch := fs.String("arch", "llama", "architecture: "+strings.Join(testmodel.Archs, ", "))
	shape := fs.String("shape", "tiny", "shape: llama-1b, qwen2-0.5b or tiny")
	typ := fs.String("type", "q8_0", "file type: "+strings.Join(testmodel.Types(), ", "))
	out := fs.String("o", "", "output `file` (GGUF)")
	seed := fs.Uint64("seed", 1, "random seed")
	if _, err := parse(fs, env.Args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: -o FILE is required", errUsage)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n, err := testmodel.Generate(w, testmodel.Options{Arch: *arch, Shape: *shape, Type: *typ, Seed: *seed})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s: %s %s %s, %.2f GB\n", *out, *arch, *shape, *typ, float64(n)/1e9)
	return nil
}
