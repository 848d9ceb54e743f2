package cli

import (
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/model"
)

// kvFlags are the KV-cache storage flags (type, paging, disk tier,
// save/load) shared by the generating commands.
type kvFlags struct {
	cfg  kv.Config
	pool *kv.Pool
	seq  *kv.Seq
}

func addKVFlags(fs *flag.FlagSet) *kvFlags {
	k := &kvFlags{cfg: kv.DefaultConfig()}
	k.cfg.RegisterFlags(fs)
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
	if err := k.cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	c := &m.Config
	fp := fingerprint(m)
	req.NewCache = func(ctx int) (kv.Cache, error) {
		pool, err := k.cfg.NewPool(c.Layers, c.KVHeads, c.HeadDim, ctx, m)
		if err != nil {
			return nil, err
		}
		seq, toks, err := k.cfg.OpenSeq(pool, fp)
		if err != nil {
			pool.Close()
			return nil, err
		}
		k.pool, k.seq = pool, seq
		if k.cfg.Load != "" {
			return prefixSeq{seq, toks}, nil
		}
		return seq, nil
	}
	if k.cfg.Save != "" {
		req.AfterPrefill = func(_ kv.Cache, prompt []int32) error {
			return k.seq.SaveFile(k.cfg.Save, fp, prompt)
		}
	}
	return nil
}

// report describes the cache after a run: resident, spilled and read bytes.
func (k *kvFlags) report() string {
	if k.seq == nil {
		return ""
	}
	st := k.seq.Stats()
	return fmt.Sprintf("[KV %s: %s in RAM, %s spilled to disk, %s read per token]",
		k.cfg.Type, humanBytes(st.Resident), humanBytes(st.Spilled), humanBytes(int64(st.ReadPerToken())))
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
