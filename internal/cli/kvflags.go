package cli

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/longctx/longctx/internal/attention"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
)

// kvFlags are the KV-cache storage flags (type, paging, disk tier,
// save/load) and the attention-policy flags shared by the generating
// commands.
type kvFlags struct {
	cfg   kv.Config
	attn  attention.Config
	pool  *kv.Pool
	seq   *kv.Seq
	cache kv.Cache
}

func addKVFlags(fs *flag.FlagSet) *kvFlags {
	k := &kvFlags{cfg: kv.DefaultConfig(), attn: attention.DefaultConfig()}
	k.cfg.RegisterFlags(fs)
	k.attn.RegisterFlags(fs)
	return k
}

// prefixSeq is a loaded sequence with the prompt tokens it holds.
type prefixSeq struct {
	*kv.Seq
	tokens []int32
}

func (p prefixSeq) PrefixTokens() []int32 { return p.tokens }

// apply makes req use a paged cache as configured (loading and saving a
// prefix when asked). Call close when the request is done.
func (k *kvFlags) apply(m *model.Model, req *engine.Request) error {
	newCache, err := k.newCacheFunc(m)
	if err != nil {
		return err
	}
	req.NewCache = newCache
	if k.cfg.Save != "" {
		fp := fingerprint(m)
		req.AfterPrefill = func(_ kv.Cache, prompt []int32) error {
			return k.seq.SaveFile(k.cfg.Save, fp, prompt)
		}
	}
	return nil
}

// newCacheFunc makes caches as configured: a paged sequence (loaded from
// --kv-load when given) wrapped by the attention policy.
func (k *kvFlags) newCacheFunc(m *model.Model) (func(ctx int) (kv.Cache, error), error) {
	if err := k.cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := k.attn.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	// A saved prefix is the dense KV of its tokens: a policy may evict
	// positions (sink+window) or compress them (presses) before it is
	// written.
	if (k.cfg.Load != "" || k.cfg.Save != "") && k.attn.Name != attention.Dense {
		return nil, fmt.Errorf("%w: --kv-load and --kv-save work with dense attention only", errUsage)
	}
	c := &m.Config
	fp := fingerprint(m)
	return func(ctx int) (kv.Cache, error) {
		pool, err := k.cfg.NewPool(c.Layers, c.KVHeads, c.HeadDim, k.attn.CacheCtx(ctx), m)
		if err != nil {
			return nil, err
		}
		seq, toks, err := k.cfg.OpenSeq(pool, fp)
		if err != nil {
			pool.Close()
			return nil, err
		}
		k.pool, k.seq = pool, seq
		var cache kv.Cache = seq
		if k.attn.Name != attention.Dense {
			if cache, err = attention.Wrap(k.attn, seq, attention.InfoFromModel(m)); err != nil {
				pool.Close()
				return nil, err
			}
		}
		k.cache = cache
		if k.cfg.Load != "" {
			return prefixSeq{seq, toks}, nil
		}
		return cache, nil
	}, nil
}

// report describes the cache after a run: resident, spilled and read bytes.
func (k *kvFlags) report() string {
	if k.seq == nil {
		return ""
	}
	st := k.seq.Stats()
	s := fmt.Sprintf("[KV %s: %s in RAM, %s spilled to disk, %s read per token]",
		k.cfg.Type, humanBytes(st.Resident), humanBytes(st.Spilled), humanBytes(int64(st.ReadPerToken())))
	if r, ok := k.cache.(attention.Reporter); ok {
		s += "\n" + r.Report().String()
	}
	return s
}

func (k *kvFlags) close() {
	if k.pool != nil {
		k.pool.Close()
	}
}

// fingerprint names a model for saved KV files: its geometry and RoPE,
// and checksums of the start of its embedding and output matrices (a
// different model almost surely differs there; hashing whole files of
// gigabytes on every load would not be worth it).
func fingerprint(m *model.Model) string {
	c := &m.Config
	sum := func(w *model.Weight) uint32 {
		return crc32.ChecksumIEEE(w.Data[:min(len(w.Data), 1<<16)])
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], sum(&m.Embedding))
	binary.LittleEndian.PutUint32(b[4:], sum(&m.Output))
	return fmt.Sprintf("%s/%d/%d/%d/%d/%d/%d/%s/%x", c.Arch, c.Vocab, c.Embd, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.RopeString(), b)
}

// modelID is a short name for a model and its settings in result-store
// keys: its fingerprint (geometry, RoPE as overridden, the embedding's and
// output's first bytes) and the first bytes of every layer's weights.
func modelID(m *model.Model) string {
	h := crc32.NewIEEE()
	io.WriteString(h, fingerprint(m))
	for li := range m.Layers {
		ly := &m.Layers[li]
		for _, w := range []*model.Weight{&ly.Q, &ly.K, &ly.V, &ly.O, &ly.Gate, &ly.Up, &ly.Down} {
			h.Write(w.Data[:min(len(w.Data), 4096)])
		}
	}
	return fmt.Sprintf("%08x", h.Sum32())
}
