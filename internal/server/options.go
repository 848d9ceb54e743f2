package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/plan"
	"github.com/longctx/longctx/internal/tensor"
)

// AttentionRequest is a request's choice of attention policy: the
// "attention" and "budget" fields of its "longctx" object, and every
// other field there that the server does not handle itself (sinks,
// window, ...), for the policy to read.
type AttentionRequest struct {
	Name   string
	Budget int // 0 when not given
	Params map[string]json.RawMessage
}

// Attention is a policy a request runs with.
type Attention struct {
	// Name is the policy's canonical name, echoed back.
	Name string
	// Settings are echoed back ("longctx"."attention_settings") so users
	// see what ran, defaults included.
	Settings map[string]any
	// Wrap puts the policy around a sequence's cache (a paged kv.Seq).
	Wrap func(inner kv.Selective) (kv.Cache, error)
	// CacheCtx, when set, is how many positions the inner cache holds for
	// a sequence of n positions (fewer for a policy that evicts, such as
	// sink+window): what admission reserves.
	CacheCtx func(n int) int
	// MaxChunk, when positive, bounds the positions one prefill pass
	// stores (a policy that evicts needs the chunk to fit beside what it
	// keeps).
	MaxChunk int
}

// AttentionFunc resolves a request's attention policy. An error is
// answered as a 400 naming longctx.attention with the error's text, so it
// should say what was wrong and what is accepted.
type AttentionFunc func(AttentionRequest) (*Attention, error)

// denseNames are the names of full attention, which needs no policy.
var denseNames = []string{"dense", "full"}

// ropeEcho is the RoPE scaling a request runs with.
type ropeEcho struct {
	Type    string  `json:"type"`
	Factor  float32 `json:"factor"`
	OrigCtx int     `json:"original_max_position_embeddings"`
}

// runOptions are the long-context settings a request runs with, echoed
// back in its response as "longctx".
type runOptions struct {
	Attention   string         `json:"attention"`
	Budget      *int           `json:"budget"`
	Settings    map[string]any `json:"attention_settings,omitempty"`
	KVType      string         `json:"kv_type"`
	RopeScaling ropeEcho       `json:"rope_scaling"`
	Ctx         int            `json:"ctx"`
	PrefixCache bool           `json:"prefix_cache"`

	elem     tensor.Type
	wrap     func(kv.Selective) (kv.Cache, error)
	cacheCtx func(int) int
	maxChunk int
}

// holds is how many positions a sequence of n positions keeps in its
// cache.
func (o *runOptions) holds(n int) int {
	if o.cacheCtx == nil {
		return n
	}
	return max(1, min(n, o.cacheCtx(n)))
}

// variant names what a sequence's KV depends on besides its tokens: only
// sequences of one variant share prefixes. Sparse policies change what
// later positions' keys and values are, and may keep state of their own,
// so only dense attention is cached ("" means not cacheable).
func (o *runOptions) variant() string {
	if o.wrap != nil || !o.PrefixCache {
		return ""
	}
	return o.KVType
}

// cacheTypes are the KV element types a request may ask for.
var cacheTypes = map[string]tensor.Type{"f32": tensor.F32, "f16": tensor.F16, "q8_0": tensor.Q8_0, "q4_0": tensor.Q4_0}

func cacheTypeNames() string {
	names := make([]string, 0, len(cacheTypes))
	for n := range cacheTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseCacheType reads a KV element type name and checks the model can
// use it (quantized types need heads of a multiple of 32).
func (s *Server) parseCacheType(name string) (tensor.Type, error) {
	t, ok := cacheTypes[strings.ToLower(name)]
	if !ok {
		return 0, fmt.Errorf("KV type %q is not one of %s", name, cacheTypeNames())
	}
	if _, err := plan.New(plan.FromModel(s.eng.Model), t, s.cfg.KVBlock, 0); err != nil {
		return 0, fmt.Errorf("KV type %s does not fit this model: %v", name, err)
	}
	return t, nil
}

// parseLongctx validates a request's "longctx" object and fills in the
// server's defaults.
func (s *Server) parseLongctx(raw json.RawMessage) (*runOptions, error) {
	c := s.eng.Model.Config
	o := &runOptions{
		Attention: denseNames[0], KVType: strings.ToLower(s.cfg.KVType), Ctx: s.cfg.Ctx, PrefixCache: true,
		RopeScaling: ropeEcho{Type: c.Rope.Type, Factor: c.Rope.Factor, OrigCtx: c.Rope.OrigCtx},
	}
	o.elem = cacheTypes[o.KVType]
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return o, nil
	}
	var fields map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
		return nil, badRequest("longctx", `"longctx" must be an object such as {"kv_type":"q8_0","ctx":16384}`)
	}
	str := func(k string) (string, error) {
		var v string
		if err := json.Unmarshal(fields[k], &v); err != nil {
			return "", badRequest("longctx."+k, "longctx.%s must be a string", k)
		}
		delete(fields, k)
		return v, nil
	}
	integer := func(k string) (int, error) {
		var v int
		if err := json.Unmarshal(fields[k], &v); err != nil {
			return 0, badRequest("longctx."+k, "longctx.%s must be an integer", k)
		}
		delete(fields, k)
		return v, nil
	}
	if _, ok := fields["kv_type"]; ok {
		name, err := str("kv_type")
		if err != nil {
			return nil, err
		}
		if o.elem, err = s.parseCacheType(name); err != nil {
			return nil, badRequest("longctx.kv_type", "%v", err)
		}
		o.KVType = strings.ToLower(name)
	}
	if _, ok := fields["ctx"]; ok {
		n, err := integer("ctx")
		if err != nil {
			return nil, err
		}
		if n < 2 || n > s.cfg.Ctx {
			return nil, badRequest("longctx.ctx", "longctx.ctx must be in [2, %d] (the server's context per sequence), got %d", s.cfg.Ctx, n)
		}
		o.Ctx = n
	}
	if _, ok := fields["prefix_cache"]; ok {
		if err := json.Unmarshal(fields["prefix_cache"], &o.PrefixCache); err != nil {
			return nil, badRequest("longctx.prefix_cache", "longctx.prefix_cache must be a boolean")
		}
		delete(fields, "prefix_cache")
	}
	if rs, ok := fields["rope_scaling"]; ok {
		if err := s.checkRope(rs, o.RopeScaling); err != nil {
			return nil, err
		}
		delete(fields, "rope_scaling")
	}
	name := denseNames[0]
	if _, ok := fields["attention"]; ok {
		var err error
		if name, err = str("attention"); err != nil {
			return nil, err
		}
	}
	budget := 0
	if _, ok := fields["budget"]; ok {
		var err error
		if budget, err = integer("budget"); err != nil {
			return nil, err
		}
		if budget < 1 {
			return nil, badRequest("longctx.budget", "longctx.budget must be >= 1 (positions attended per head), got %d", budget)
		}
	}
	if slices.Contains(denseNames, strings.ToLower(name)) {
		if budget != 0 {
			return nil, badRequest("longctx.budget", "longctx.budget needs a sparse attention policy; attention %q attends to every position", name)
		}
		for k := range fields {
			return nil, badRequest("longctx."+k, "unknown longctx option %q (known: attention, budget, kv_type, ctx, rope_scaling, prefix_cache, and a sparse policy's own options)", k)
		}
		return o, nil
	}
	if s.cfg.Attention == nil {
		return nil, badRequest("longctx.attention", "attention %q is not available on this server (available: %s)", name, strings.Join(denseNames, ", "))
	}
	a, err := s.cfg.Attention(AttentionRequest{Name: name, Budget: budget, Params: fields})
	if err != nil {
		return nil, badRequest("longctx.attention", "%v", err)
	}
	if a.Wrap == nil {
		return nil, fmt.Errorf("server: attention policy %q has no Wrap", a.Name)
	}
	o.Attention, o.Settings, o.wrap, o.cacheCtx, o.maxChunk = a.Name, a.Settings, a.Wrap, a.CacheCtx, a.MaxChunk
	if budget != 0 {
		o.Budget = &budget
	}
	return o, nil
}

// checkRope accepts a requested RoPE scaling only if it is the one the
// server runs: the rotary tables belong to the loaded model, which every
// running sequence shares.
func (s *Server) checkRope(raw json.RawMessage, have ropeEcho) error {
	var want struct {
		Type   string   `json:"type"`
		Factor *float32 `json:"factor"`
	}
	raw = bytes.TrimSpace(raw)
	var err error
	if len(raw) > 0 && raw[0] == '"' {
		err = json.Unmarshal(raw, &want.Type)
	} else {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		err = dec.Decode(&want)
	}
	if err != nil || want.Type == "" {
		return badRequest("longctx.rope_scaling", `longctx.rope_scaling must be a type ("none", "linear", "ntk", "yarn") or {"type": ..., "factor": ...}`)
	}
	same := strings.EqualFold(want.Type, have.Type) && (want.Factor == nil || *want.Factor == have.Factor)
	if !same {
		got := want.Type
		if want.Factor != nil {
			got = fmt.Sprintf("%s x%g", want.Type, *want.Factor)
		}
		return badRequest("longctx.rope_scaling", "this server runs RoPE scaling %s x%g (from %d trained positions) for every sequence and cannot switch per request to %s; start it with --rope-scaling and --rope-factor",
			have.Type, have.Factor, have.OrigCtx, got)
	}
	return nil
}
