package kv

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/tensor"
)

// Config is how a run keeps its KV cache. RegisterFlags exposes it on a
// command's flag set; NewPool builds the cache from it.
type Config struct {
	Type      tensor.Type // element type: f32, f16, q8_0 or q4_0
	BlockSize int         // positions per block
	RAM       int64       // bytes of blocks kept in memory; 0: no limit
	SpillPath string      // file for blocks over RAM; empty: an anonymous temporary file
	Save      string      // file to save the prompt's KV to after prefill
	Load      string      // file of a saved prefix to start from
}

// DefaultConfig is f16 in blocks of 256 positions, all in memory.
func DefaultConfig() Config {
	return Config{Type: tensor.F16, BlockSize: DefaultBlockSize}
}

// RegisterFlags registers --kv-type, --kv-block, --kv-ram, --kv-spill,
// --kv-save and --kv-load on fs, with c's current values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	if c.Type == 0 && c.BlockSize == 0 {
		*c = DefaultConfig()
	}
	fs.Var((*typeFlag)(&c.Type), "kv-type", "KV cache element type: f32, f16, q8_0 or q4_0")
	fs.IntVar(&c.BlockSize, "kv-block", c.BlockSize, "KV cache block size in positions (16-1024, a power of two)")
	fs.Var((*bytesFlag)(&c.RAM), "kv-ram", "KV cache bytes kept in RAM, e.g. 2GiB (0: no limit); older blocks spill to disk")
	fs.StringVar(&c.SpillPath, "kv-spill", c.SpillPath, "new file for KV blocks over --kv-ram, removed as soon as it is open (an existing file is refused; default: a temporary file)")
	fs.StringVar(&c.Save, "kv-save", c.Save, "save the prompt's KV cache to this file after prefill")
	fs.StringVar(&c.Load, "kv-load", c.Load, "start from a KV cache saved with --kv-save")
}

// Validate reports a setting no cache can use.
func (c Config) Validate() error {
	if err := checkElemType(c.Type, 32); err != nil {
		return err
	}
	// Blocks are allocated whole: a huge one would reserve gigabytes for a
	// short prompt.
	if b := c.BlockSize; b < groupLen || b > chunkPositions || chunkPositions%b != 0 {
		return fmt.Errorf("kv: --kv-block %d: want a power of two from 16 to 1024", b)
	}
	if c.RAM < 0 {
		return fmt.Errorf("kv: --kv-ram %d is negative", c.RAM)
	}
	return nil
}

// NewPool makes a pool for sequences of up to ctx positions of a model
// with the given geometry, as configured. shifter (the model) re-rotates
// keys when a sequence's positions shift; it may be nil if none ever do.
func (c Config) NewPool(layers, kvHeads, headDim, ctx int, shifter KeyShifter) (*Pool, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := Shape{Layers: layers, Ctx: ctx, KVHeads: kvHeads, HeadDim: headDim, ElemType: c.Type}
	return NewPool(s, PoolOptions{BlockSize: c.BlockSize, RAM: c.RAM, SpillPath: c.SpillPath, Shifter: shifter})
}

// OpenSeq starts the run's sequence in p: loaded from c.Load (returning
// the saved tokens, which the caller should check are its prompt's
// prefix) or empty.
func (c Config) OpenSeq(p *Pool, fingerprint string) (*Seq, []int32, error) {
	if c.Load == "" {
		return p.NewSeq(), nil, nil
	}
	return p.LoadFile(c.Load, fingerprint)
}

type typeFlag tensor.Type

func (t *typeFlag) String() string { return strings.ToLower(tensor.Type(*t).String()) }

func (t *typeFlag) Set(s string) error {
	typ, err := tensor.ParseType(s)
	if err == nil {
		err = checkElemType(typ, 32)
	}
	if err != nil {
		return fmt.Errorf("want f32, f16, q8_0 or q4_0, got %q", s)
	}
	*t = typeFlag(typ)
	return nil
}

type bytesFlag int64

func (b *bytesFlag) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *bytesFlag) Set(s string) error {
	n, err := ParseBytes(s)
	if err != nil {
		return err
	}
	*b = bytesFlag(n)
	return nil
}

// ParseBytes reads a size such as 0, 1048576, 512MiB, 4GiB, 2G or 100KB
// (K, M, G, T alone are binary).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mul    float64
	}{
		{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mul := 1.0
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), u.suffix) && len(t) > len(u.suffix) {
			t, mul = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mul
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || v*mul > 1<<62 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512MiB or 4GiB)", s)
	}
	return int64(v * mul), nil
}
