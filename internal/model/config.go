package model

import (
	"fmt"
	"math"

	"github.com/longctx/longctx/internal/gguf"
)

// RopeMode says which dimensions RoPE rotates together.
type RopeMode int

const (
	// RopeNorm rotates adjacent pairs (x[2i], x[2i+1]) (llama).
	RopeNorm RopeMode = iota
	// RopeNeox rotates halves (x[i], x[i+d/2]) (qwen2, qwen3).
	RopeNeox
)

func (m RopeMode) String() string {
	if m == RopeNeox {
		return "neox"
	}
	return "norm"
}

// RopeScaling describes how positions are stretched beyond training length.
type RopeScaling struct {
	Type        string  // "none", "linear", "yarn"
	Factor      float32 // context extension factor (freq_scale = 1/Factor)
	OrigCtx     int     // context length the model was trained at
	ExtFactor   float32 // YaRN ramp mix (1 for yarn, 0 otherwise)
	AttnFactor  float32 // YaRN magnitude scale
	BetaFast    float32
	BetaSlow    float32
	FreqFactors []float32 // llama3-style per-dimension divisors (rope_freqs.weight)
}

// Config holds the hyper-parameters of a model.
type Config struct {
	Arch       string
	Vocab      int
	Embd       int
	Layers     int
	Heads      int
	KVHeads    int
	HeadDim    int // key and value head width
	FFN        int
	CtxTrain   int
	RMSEps     float32
	RopeBase   float32
	RopeDims   int
	RopeMode   RopeMode
	Rope       RopeScaling
	QKVBias    bool // qwen2
	QKNorm     bool // qwen3
	TiedOutput bool
}

// Supported lists the architectures this package runs.
var Supported = []string{"llama", "qwen2", "qwen3"}

func readConfig(f *gguf.File) (Config, error) {
	var c Config
	arch, ok := f.String("general.architecture")
	if !ok {
		return c, fmt.Errorf("general.architecture is missing")
	}
	c.Arch = arch
	switch arch {
	case "llama":
		c.RopeMode = RopeNorm
	case "qwen2":
		c.RopeMode, c.QKVBias = RopeNeox, true
	case "qwen3":
		c.RopeMode, c.QKNorm = RopeNeox, true
	default:
		return c, fmt.Errorf("unsupported architecture %q (supported: %v)", arch, Supported)
	}
	var err error
	req := func(key string, dst *int, lo, hi int) {
		if err != nil {
			return
		}
		v, ok := f.Get(arch + "." + key)
		if !ok {
			err = fmt.Errorf("%s.%s is missing", arch, key)
			return
		}
		x, ok := v.Uint()
		if !ok || x < uint64(lo) || x > uint64(hi) {
			err = fmt.Errorf("%s.%s = %s, want an integer in %d..%d", arch, key, v, lo, hi)
			return
		}
		*dst = int(x)
	}
	opt := func(key string, dst *int, def, lo, hi int) {
		if f.Has(arch + "." + key) {
			req(key, dst, lo, hi)
		} else {
			*dst = def
		}
	}
	const big = 1 << 20
	req("embedding_length", &c.Embd, 1, big)
	req("block_count", &c.Layers, 1, 4096)
	req("feed_forward_length", &c.FFN, 1, big)
	req("attention.head_count", &c.Heads, 1, 4096)
	opt("attention.head_count_kv", &c.KVHeads, c.Heads, 1, 4096)
	opt("context_length", &c.CtxTrain, 4096, 1, 1<<30)
	if err != nil {
		return c, err
	}
	var keyLen, valLen int
	opt("attention.key_length", &keyLen, c.Embd/c.Heads, 1, big)
	opt("attention.value_length", &valLen, c.Embd/c.Heads, 1, big)
	if err != nil {
		return c, err
	}
	if keyLen != valLen {
		return c, fmt.Errorf("key_length %d != value_length %d is not supported", keyLen, valLen)
	}
	c.HeadDim = keyLen
	if c.Heads%c.KVHeads != 0 {
		return c, fmt.Errorf("%d attention heads are not a multiple of %d KV heads", c.Heads, c.KVHeads)
	}
	opt("rope.dimension_count", &c.RopeDims, c.HeadDim, 2, c.HeadDim)
	if err != nil {
		return c, err
	}
	if c.RopeDims%2 != 0 {
		return c, fmt.Errorf("rope.dimension_count %d is odd", c.RopeDims)
	}

	optF := func(key string, def float64) (float32, error) {
		v, ok := f.Get(arch + "." + key)
		if !ok {
			return float32(def), nil
		}
		x, ok := v.Float()
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%s.%s = %s is not a finite number", arch, key, v)
		}
		return float32(x), nil
	}
	if c.RMSEps, err = optF("attention.layer_norm_rms_epsilon", 1e-5); err != nil {
		return c, err
	}
	if c.RopeBase, err = optF("rope.freq_base", 10000); err != nil {
		return c, err
	}
	if c.RMSEps <= 0 || c.RopeBase <= 1 {
		return c, fmt.Errorf("bad rms epsilon %g or rope base %g", c.RMSEps, c.RopeBase)
	}
	if err := c.readRopeScaling(f, optF); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Config) readRopeScaling(f *gguf.File, optF func(string, float64) (float32, error)) error {
	r := &c.Rope
	r.Type = "none"
	typed := false
	if s, ok := f.String(c.Arch + ".rope.scaling.type"); ok {
		r.Type, typed = s, true
	}
	var err error
	if r.Factor, err = optF("rope.scaling.factor", 0); err != nil {
		return err
	}
	if !typed && r.Factor > 0 && r.Factor != 1 {
		r.Type = "linear" // llama.cpp's default type when a factor is given
	}
	if r.Factor == 0 {
		// Older files give linear scaling as rope.scale_linear.
		if r.Factor, err = optF("rope.scale_linear", 0); err != nil {
			return err
		}
		if r.Factor != 0 && r.Type == "none" {
			r.Type = "linear"
		}
	}
	orig, ok := f.Uint(c.Arch + ".rope.scaling.original_context_length")
	r.OrigCtx = c.CtxTrain
	if ok && orig > 0 && orig < 1<<30 {
		r.OrigCtx = int(orig)
	}
	if r.AttnFactor, err = optF("rope.scaling.attn_factor", 1); err != nil {
		return err
	}
	// YaRN's ramp is 32/1 for these architectures whatever the file says:
	// llama.cpp reads rope.scaling.yarn_beta_* only for others (grok,
	// mistral3), and logits must match its.
	r.BetaFast, r.BetaSlow = 32, 1
	switch r.Type {
	case "none", "":
		r.Type, r.Factor = "none", 1
	case "linear":
	case "yarn":
		r.ExtFactor = 1
	default:
		return fmt.Errorf("%s.rope.scaling.type %q is not supported (none, linear, yarn)", c.Arch, r.Type)
	}
	if r.Factor <= 0 {
		r.Factor = 1
	}
	return nil
}

// RopeScalingTypes are the scalings SetRopeScaling accepts.
var RopeScalingTypes = []string{"none", "linear", "ntk", "yarn"}

// SetRopeScaling replaces the file's RoPE scaling: "none", "linear"
// (positions divided by factor), "ntk" (NTK-aware: the base raised so the
// lowest frequency stretches by factor while the highest stays put) or
// "yarn" (YaRN ramp and attention temperature, beta 32/1). factor must be
// > 1 except for none. Per-dimension frequency factors from the file
// (llama3 style) are kept. The model must not be running a forward pass.
func (m *Model) SetRopeScaling(typ string, factor float32) error {
	c := &m.Config
	r := c.Rope
	base := m.fileRopeBase
	switch typ {
	case "none":
		r.Type, r.Factor, r.ExtFactor = "none", 1, 0
	case "linear", "ntk", "yarn":
		if !(factor > 1 && factor <= 1024) {
			return fmt.Errorf("rope scaling %s needs a factor in (1, 1024], got %g", typ, factor)
		}
		r.Type, r.Factor, r.ExtFactor = typ, factor, 0
		switch typ {
		case "ntk":
			d := float64(c.RopeDims)
			base = float32(float64(base) * math.Pow(float64(factor), d/(d-2)))
		case "yarn":
			r.ExtFactor = 1
			if r.BetaFast == 0 {
				r.BetaFast, r.BetaSlow = 32, 1
			}
		}
	default:
		return fmt.Errorf("rope scaling %q is not one of %v", typ, RopeScalingTypes)
	}
	if r.OrigCtx <= 0 {
		r.OrigCtx = c.CtxTrain
	}
	if r.AttnFactor == 0 {
		r.AttnFactor = 1
	}
	c.Rope, c.RopeBase = r, base
	m.rope = newRopeTable(c)
	return nil
}

// CtxMax is the longest context the model is meant for: the trained
// context, stretched by the RoPE scaling factor when there is one.
func (c *Config) CtxMax() int {
	n := c.CtxTrain
	if c.Rope.Type != "none" && c.Rope.Factor > 1 {
		n = max(n, int(float32(c.Rope.OrigCtx)*c.Rope.Factor))
	}
	return n
}

// RopeString describes the RoPE in use, for reports.
func (c *Config) RopeString() string {
	switch c.Rope.Type {
	case "none":
		return fmt.Sprintf("rope base %g, no scaling", c.RopeBase)
	case "ntk":
		return fmt.Sprintf("rope ntk-aware x%g (from %d-token training), base %g", c.Rope.Factor, c.Rope.OrigCtx, c.RopeBase)
	}
	return fmt.Sprintf("rope %s x%g (from %d-token training), base %g", c.Rope.Type, c.Rope.Factor, c.Rope.OrigCtx, c.RopeBase)
}
