package attention

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
)

// BenchmarkDecode is one layer of decode attention at a depth of 16384
// positions with a budget of 1024, per policy, on Llama-3.2-1B's attention
// geometry (32 query heads, 8 KV heads of 64) and an f16 cache. tok/s is
// decode steps per second of this one layer (a 16-layer model's
// attention takes 16 times as long); B/token is the bytes attention and
// selection read per step. Keys, values and queries are random (a new
// query every step, so tokenselect's selection cache never hits; in
// tokenselect-similar each query is the previous one plus noise of 0.3
// its scale, a cosine of about 0.96, so the cache serves about two steps
// in three).
// Squeezed clusters with 1% centroids and 3 k-means iterations to keep
// the untimed setup short.
//
// Run: go test -run XXX -bench Decode -benchtime 30x ./internal/attention/
//
// On the 2-core development machine, idle, 30 steps (session 5, after
// quest and tokenselect choose in parallel; times vary by ±20% between
// hours, bytes are exact):
//
//	policy               ms/token   MB read/token   positions
//	dense                  1.96          33.6          16400
//	sink+window            0.28           2.14          1024
//	lm-infinite            0.17           2.14          1024
//	tokenselect            1.52          10.9 (8.8 scoring)  1011
//	tokenselect-similar    0.71           3.57          1011
//	quest                  0.78           4.19 (2.1 bounds)   1016
//	squeezed               4.16          33.0            997
//	snapkv                 1.68          12.4           1040
//	knorm                  2.61          21.6           1040
//	streaming              0.23           2.18          1040
//	expected-attention     3.12          21.7           1040
//
// Window and block policies read what they attend; tokenselect's scoring
// reads its q8_0 key copy (a quarter of the f16 keys and values) unless
// the selection cache serves; the token-scattered selections (squeezed,
// knorm, expected-attention, snapkv's per-head picks) touch most
// 16-position groups the cache reads in, so they read nearly as much as
// dense attention.
func BenchmarkDecode(b *testing.B) {
	const depth, chunk = 16384, 64
	g := geom{layers: 1, heads: 32, kvHeads: 8, hd: 64, ctx: depth + 4096}
	for _, variant := range []string{Dense, SinkWindow, LMInfinite, TokenSelect, "tokenselect-similar", Quest, "quest-refine1.5", "quest-refine2", "quest-refine4", Squeezed, SnapKV, KNorm, Streaming, ExpectedAttention} {
		b.Run(variant, func(b *testing.B) {
			name, similar := variant, variant == "tokenselect-similar"
			if similar {
				name = TokenSelect
			}
			cfg := DefaultConfig()
			if r, ok := strings.CutPrefix(variant, "quest-refine"); ok {
				name = Quest
				cfg.Refine, _ = strconv.ParseFloat(r, 64)
			}
			cfg.Name, cfg.Budget = name, 1024
			cfg.Clusters, cfg.KMeansIters = 0.01, 3
			inner := g.cache(b, tensor.F16)
			r := rand.New(rand.NewPCG(1, 2))
			rows := func(n, w int) []float32 {
				x := make([]float32, n*w)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				return x
			}
			kvw, qw := g.kvHeads*g.hd, g.heads*g.hd
			scale := float32(1 / math.Sqrt(float64(g.hd)))
			var c kv.Cache
			var err error
			if name == SinkWindow {
				// Streamed through a cache of CacheCtx positions.
				small, err := kv.NewContiguous(kv.Shape{Layers: 1, Ctx: cfg.CacheCtx(g.ctx), KVHeads: g.kvHeads, HeadDim: g.hd, ElemType: tensor.F16})
				if err != nil {
					b.Fatal(err)
				}
				if c, err = Wrap(cfg, small, g.info()); err != nil {
					b.Fatal(err)
				}
				for p := 0; p < depth-chunk; p += 256 {
					if err := c.Store(0, p, rows(256, kvw), rows(256, kvw), min(256, depth-chunk-p)); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				// The context straight into the cache, but the last chunk
				// through the policy (presses record its queries).
				for p := 0; p < depth-chunk; p += 1024 {
					n := min(1024, depth-chunk-p)
					if err := inner.Store(0, p, rows(n, kvw), rows(n, kvw), n); err != nil {
						b.Fatal(err)
					}
				}
				if c, err = Wrap(cfg, inner, g.info()); err != nil {
					b.Fatal(err)
				}
			}
			out := make([]float32, chunk*qw)
			if err := c.Store(0, depth-chunk, rows(chunk, kvw), rows(chunk, kvw), chunk); err != nil {
				b.Fatal(err)
			}
			if err := c.Attend(0, depth-chunk, rows(chunk, qw), chunk, g.heads, scale, out); err != nil {
				b.Fatal(err)
			}
			pos := depth
			q := rows(1, qw)
			step := func() {
				if pos == g.ctx {
					c.Truncate(depth)
					pos = depth
				}
				if err := c.Store(0, pos, rows(1, kvw), rows(1, kvw), 1); err != nil {
					b.Fatal(err)
				}
				if similar {
					for i := range q {
						q[i] += 0.3 * float32(r.NormFloat64())
					}
				} else {
					q = rows(1, qw)
				}
				if err := c.Attend(0, pos, q, 1, g.heads, scale, out); err != nil {
					b.Fatal(err)
				}
				pos++
			}
			step() // first decode step: presses compress, squeezed clusters, mirrors fill
			r0 := c.(Reporter).Report()
			b.ResetTimer()
			for range b.N {
				step()
			}
			b.StopTimer()
			r1 := c.(Reporter).Report()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
			read := (r1.ReadBytes + r1.SelectBytes) - (r0.ReadBytes + r0.SelectBytes)
			b.ReportMetric(float64(read)/float64(r1.Tokens-r0.Tokens), "B/token")
			b.ReportMetric(r1.Layers[0].DecodeKept, "positions")
		})
	}
}
