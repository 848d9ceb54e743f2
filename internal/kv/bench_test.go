package kv

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// Figures on the development machine (2 cores of an AMD EPYC shared with a
// training run at higher priority, ~24 GB/s read bandwidth; runs vary by
// ±30%), go test -run X -bench 'Decode|Kernels|Prefill' -benchtime 200x:
//
//	kernels, positions/s per thread for 4 rows of 64 dims: f32 105M,
//	  f16 102M, q8_0 86M, q4_0 77M (per thread f16 consumes 26 GB/s of
//	  KV, q8_0 12, q4_0 5.5: on a quiet machine decode is memory-bound)
//	decode, ms per layer at depth 16K (32 heads, 8 KV heads of 64),
//	  best of several runs: f16 4.1, q8_0 2.8, q4_0 2.6 (contiguous);
//	  paged the same within noise; 3/4 spilled +0-40%
//	  (training paused, f16 kernels: AVX2 2.40 ms = 14.0 GB/s, AVX-512
//	  1.63-1.68 ms = 20.0-20.6 GB/s; kernels/F16 102 -> 107-111 Mpos/s, the
//	  FMA ceiling: 4 rows x 64 dims x 2 = 32 512-bit FMAs per position;
//	  q8_0 with AVX-512 kernels 1.45-1.57 ms against f16 1.84-2.16 in the
//	  same runs of a slower hour, AVX2 q8_0 1.83-2.29)
//	prefill, 512 queries at depth 4K: 1500-1600 tok/s per layer (f16,
//	  q8_0), the previous per-(token, head) kernel 221
//
// benchLayers is how many layers the decode benchmarks cycle through, so
// the KV read comes from memory, not from the last-level cache.
const benchLayers = 4

// fillCache stores depth random positions in every layer of c.
func fillCache(b *testing.B, c Cache, s Shape, depth int) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	const chunk = 512
	k, v := randVec(r, chunk*s.KVDim()), randVec(r, chunk*s.KVDim())
	for l := 0; l < s.Layers; l++ {
		for pos := 0; pos < depth; pos += chunk {
			if err := c.Store(l, pos, k, v, min(chunk, depth-pos)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchDecode times one decode step's attention per layer on a
// Llama-3.2-1B-shaped layer (32 query heads, 8 KV heads of 64) and reports
// the KV read rate and the attention-only token rate of a 16-layer model.
func benchDecode(b *testing.B, c Cache, depth int) {
	const nHead, hd = 32, 64
	r := rand.New(rand.NewPCG(2, 2))
	q := randVec(r, nHead*hd)
	out := make([]float32, nHead*hd)
	before := c.(Meter).Stats().Read
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Attend(i%benchLayers, depth-1, q, 1, nHead, 0.125, out); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	read := c.(Meter).Stats().Read - before
	b.ReportMetric(float64(read)/sec/1e9, "GB/s")
	b.ReportMetric(float64(b.N)/sec/16, "tok/s@16layers")
}

func BenchmarkDecodeContiguous(b *testing.B) {
	for _, depth := range []int{4096, 16384} {
		for _, typ := range []tensor.Type{tensor.F16, tensor.Q8_0, tensor.Q4_0} {
			b.Run(fmt.Sprintf("%s/depth%d", typ, depth), func(b *testing.B) {
				s := Shape{Layers: benchLayers, Ctx: depth, KVHeads: 8, HeadDim: 64, ElemType: typ}
				c, err := NewContiguous(s)
				if err != nil {
					b.Fatal(err)
				}
				fillCache(b, c, s, depth)
				benchDecode(b, c, depth)
			})
		}
	}
}

// BenchmarkKernels times the scores and values kernels on one in-cache
// block of 256 positions (head size 64, four query rows): the compute
// ceiling of attention, in positions per second per thread.
func BenchmarkKernels(b *testing.B) {
	const hd, ng = 64, 16
	for _, typ := range []tensor.Type{tensor.F32, tensor.F16, tensor.Q8_0, tensor.Q4_0} {
		b.Run(typ.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 3))
			l, tile := randomGroups(r, typ, hd, ng)
			k, v := l.keyGroups(tile, 0, ng), l.valueGroups(tile, 0, ng)
			q := randVec(r, quad*hd)
			s := make([]float32, quad*ng*groupLen)
			o := make([]float32, quad*hd)
			ks := kernelsFor(typ, hd)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ks.scores(q, k, ng, hd, s, ng*groupLen, 0.125)
				ks.values(s, ng*groupLen, v, ng, hd, o)
			}
			b.ReportMetric(float64(b.N*ng*groupLen)/b.Elapsed().Seconds()/1e6, "Mpos/s")
		})
	}
}

// BenchmarkDecodePaged is BenchmarkDecodeContiguous on a paged sequence
// (blocks of 256), all in memory or with three quarters of its blocks in
// the spill file (read back through the page cache).
func BenchmarkDecodePaged(b *testing.B) {
	for _, depth := range []int{4096, 16384} {
		for _, typ := range []tensor.Type{tensor.F16, tensor.Q8_0, tensor.Q4_0} {
			for _, spill := range []bool{false, true} {
				name := fmt.Sprintf("%s/depth%d/ram", typ, depth)
				if spill {
					name = fmt.Sprintf("%s/depth%d/spilled", typ, depth)
				}
				b.Run(name, func(b *testing.B) {
					s := Shape{Layers: benchLayers, Ctx: depth, KVHeads: 8, HeadDim: 64, ElemType: typ}
					p, err := NewPool(s, PoolOptions{SpillPath: b.TempDir() + "/spill"})
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					if spill {
						p.SetRAM(int64(depth) * s.PositionBytes() / 4)
					}
					sq := p.NewSeq()
					fillCache(b, sq, s, depth)
					benchDecode(b, sq, depth)
				})
			}
		}
	}
}

// BenchmarkPrefill times one prefill step's attention per layer: 512
// queries at positions 3584-4095 (the last ubatch of a 4K prompt) on the
// benchmark layer shape, reporting query tokens per second per layer.
func BenchmarkPrefill(b *testing.B) {
	const nHead, hd, n, depth = 32, 64, 512, 4096
	for _, typ := range []tensor.Type{tensor.F16, tensor.Q8_0} {
		b.Run(typ.String(), func(b *testing.B) {
			s := Shape{Layers: 1, Ctx: depth, KVHeads: 8, HeadDim: hd, ElemType: typ}
			c, err := NewContiguous(s)
			if err != nil {
				b.Fatal(err)
			}
			fillCache(b, c, s, depth)
			r := rand.New(rand.NewPCG(4, 4))
			q := randVec(r, n*nHead*hd)
			out := make([]float32, len(q))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Attend(0, depth-n, q, n, nHead, 0.125, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}

// BenchmarkDecodeSpans times one decode step's attention per layer over
// spans shaped like Quest's choice at depth 16K with a budget of 1024: per
// KV head (shared by its four query heads) the first 4 positions, 60
// scattered blocks of 16 and the last 64 positions. Scattered 16-position
// runs cost more than one contiguous run of as many positions (the
// "contiguous" case), mostly in waiting for memory: a 64 MiB buffer is read
// through the pool before each step, as a model's weights pass through
// the caches between two layers' attention.
//
// Session 8, median µs per layer (8 alternating layers, 2000 steps):
// scattered before runSelected 414, with it 269; contiguous ~145.
func BenchmarkDecodeSpans(b *testing.B) {
	for _, contig := range []bool{false, true} {
		name := "scattered"
		if contig {
			name = "contiguous"
		}
		b.Run(name, func(b *testing.B) { benchSpans(b, contig) })
	}
}

func benchSpans(b *testing.B, contig bool) {
	const nHead, kvHeads, hd, depth = 32, 8, 64, 16384
	s := Shape{Layers: benchLayers, Ctx: depth, KVHeads: kvHeads, HeadDim: hd, ElemType: tensor.F16}
	c, err := NewContiguous(s)
	if err != nil {
		b.Fatal(err)
	}
	fillCache(b, c, s, depth)
	r := rand.New(rand.NewPCG(5, 5))
	spans := make([][]Span, nHead)
	for g := range kvHeads {
		hs := []Span{{0, 4}}
		picks := r.Perm(depth/16 - 8)[:60]
		slices.Sort(picks)
		for _, blk := range picks {
			if blk == 0 {
				continue
			}
			hs = append(hs, Span{blk * 16, blk*16 + 16})
		}
		hs = append(hs, Span{depth - 64, depth})
		if contig {
			hs = []Span{{depth - 1028, depth}}
		}
		for i := range nHead / kvHeads {
			spans[g*nHead/kvHeads+i] = hs
		}
	}
	q := randVec(r, nHead*hd)
	out := make([]float32, nHead*hd)
	flush := make([]byte, 64<<20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Through the pool, as a model's matrix products run: every core's
		// caches are flushed and the workers are awake.
		parallel.Run(len(flush)>>16, 1, parallel.Func(func(lo, hi int) {
			var x byte
			for j := lo << 16; j < hi<<16; j += 64 {
				x += flush[j]
			}
			flush[lo<<16] = x
		}))
		b.StartTimer()
		if err := c.AttendSpans(i%benchLayers, depth-1, q, 1, nHead, 0.125, spans, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "µs/layer")
}

// BenchmarkStore times storing one ubatch's keys and values (512 tokens of
// the benchmark layer shape) in one layer, reporting tokens per second.
func BenchmarkStore(b *testing.B) {
	const kvHeads, hd, n = 8, 64, 512
	for _, typ := range []tensor.Type{tensor.F16, tensor.Q8_0} {
		b.Run(typ.String(), func(b *testing.B) {
			s := Shape{Layers: 1, Ctx: n, KVHeads: kvHeads, HeadDim: hd, ElemType: typ}
			c, err := NewContiguous(s)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 5))
			k, v := randVec(r, n*kvHeads*hd), randVec(r, n*kvHeads*hd)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Store(0, 0, k, v, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
