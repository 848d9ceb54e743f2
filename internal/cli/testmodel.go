package cli

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
	_, knownShape := testmodel.Shapes[*shape]
	if !slices.Contains(testmodel.Archs, *arch) || !knownShape || !slices.Contains(testmodel.Types(), *typ) {
		return fmt.Errorf("%w: --arch %q, --shape %q, --type %q (want %s; %s; %s)", errUsage, *arch, *shape, *typ,
			strings.Join(testmodel.Archs, ", "), strings.Join(slices.Sorted(maps.Keys(testmodel.Shapes)), ", "), strings.Join(testmodel.Types(), ", "))
	}
	// Written beside the target and renamed at the end: a failed run
	// leaves an existing file as it was.
	f, err := os.CreateTemp(filepath.Dir(*out), ".testmodel-*.gguf")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Chmod(0o644) // as os.Create would make it
	w := bufio.NewWriterSize(f, 1<<20)
	n, err := testmodel.Generate(w, testmodel.Options{Arch: *arch, Shape: *shape, Type: *typ, Seed: *seed})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote %s: %s %s %s, %.2f GB\n", *out, *arch, *shape, *typ, float64(n)/1e9)
	return nil
}
