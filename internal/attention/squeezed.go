package attention

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"os"
	"slices"

	"github.com/longctx/longctx/internal/tensor"
)

// Squeezed Attention. A fixed context (the first FixedPrefix positions, or
// everything stored before the first single-token Attend, the first
// decode step) is clustered once: for
// every layer and KV head, the keys of positions [sinks, prefix−window)
// are L2-normalised and grouped by k-means (k-means++ seeding, fixed seed)
// into ⌊clusters·n⌋ clusters, each represented by the mean of its keys as
// stored. The last window positions of the fixed context (the paper's
// observation window) and everything after it are always attended.
//
// A query head scores the centroids of its KV head (q·c: the paper's
// estimate exp(q·c/√d)/Σ N_c·exp(q·c/√d) orders clusters the same way for
// one query) and takes the best clusters while their keys fit the budget
// (budget − sinks − window positions); a chunk of queries uses its mean
// query. The paper's alternative, a global threshold calibrated on the
// observation window's queries, is not implemented: a budget in positions
// is what the other policies are compared at.
//
// Centroids and labels can be saved with the prefix's KV (Config.
// Centroids): the file is read when it exists (and checked against the
// prefix's keys), else written after clustering.
type squeezeState struct {
	cfg      Config
	s        settings
	prefix   int // 0 until known
	built    bool
	from, to int           // positions clustered
	heads    [][]*clusters // [layer][KV head]; nil when nothing was clustered
}

// clusters are one (layer, KV head)'s centroids and members.
type clusters struct {
	centers []float32 // rows of the head width: mean of the member keys
	labels  []int32   // cluster of each position from, from+1, ...
	start   []int32   // members of cluster c: members[start[c]:start[c+1]]
	members []int32   // positions, ascending within a cluster
}

func newClusters(centers []float32, labels []int32, k, from int) *clusters {
	cl := &clusters{centers: centers, labels: labels, start: make([]int32, k+1), members: make([]int32, len(labels))}
	for _, l := range labels {
		cl.start[l+1]++
	}
	for c := range k {
		cl.start[c+1] += cl.start[c]
	}
	next := slices.Clone(cl.start[:k])
	for i, l := range labels {
		cl.members[next[l]] = int32(from + i)
		next[l]++
	}
	return cl
}

func (cl *clusters) size(c int) int { return int(cl.start[c+1] - cl.start[c]) }

func (cl *clusters) bytes() int64 {
	return int64(len(cl.centers))*4 + int64(len(cl.labels)+len(cl.start)+len(cl.members))*4
}

// squeezed is one layer's view of the shared state.
type squeezed struct {
	c     *maskCache
	st    *squeezeState
	layer int
	f, z  []float32
	order []int
	pos   []int
	spans headSpans
}

func newSqueezed(c *maskCache, cfg Config, layer int, s settings) (*squeezed, error) {
	if s.sinks+s.window > cfg.Budget {
		return nil, fmt.Errorf("attention: squeezed sinks %d + window %d exceed the budget %d", s.sinks, s.window, cfg.Budget)
	}
	if c.squeeze == nil {
		c.squeeze = &squeezeState{cfg: cfg, s: s, prefix: cfg.FixedPrefix}
	}
	return &squeezed{c: c, st: c.squeeze, layer: layer}, nil
}

func (q *squeezed) forget(n int) {
	st := q.st
	if st.prefix > 0 && n < st.prefix {
		// The fixed context changed: cluster again when it is complete.
		st.built, st.heads = false, nil
		if st.cfg.FixedPrefix == 0 {
			st.prefix = 0
		}
	}
}

func (q *squeezed) bytes() int64 {
	var b int64
	if q.st.heads != nil {
		for _, cl := range q.st.heads[q.layer] {
			b += cl.bytes()
		}
	}
	return b
}

func (q *squeezed) kept(_, stored int) int { return stored }

func (q *squeezed) attend(c *call) error {
	st := q.st
	if st.prefix == 0 && c.decoding() {
		st.prefix = c.pos // the first decode step ends the fixed context
	}
	T := c.pos + c.n
	if st.prefix == 0 || T <= st.prefix || st.prefix > c.inner.Len() {
		return c.dense()
	}
	if !st.built {
		if err := st.build(c); err != nil {
			return err
		}
	}
	if st.heads == nil {
		return c.dense()
	}
	// Rows inside the fixed context attend densely.
	r0 := max(0, st.prefix-c.pos)
	spans := q.spans.reset(c.nHead)
	if r0 > 0 {
		for h := range spans {
			spans[h] = addSpan(spans[h], 0, st.prefix)
		}
		if err := c.rows(0, r0, spans); err != nil {
			return err
		}
	}
	sub := *c
	sub.q, sub.n, sub.pos = c.q[r0*c.nHead*c.hd:], c.n-r0, c.pos+r0
	fingerprint(&q.f, &sub)

	info := &c.c.info
	group, hd := info.Heads/info.KVHeads, info.HeadDim
	chosen := 0
	spans = q.spans.reset(c.nHead)
	for g, cl := range st.heads[q.layer] {
		k := len(cl.start) - 1
		q.z = grow(q.z, group*k)
		if err := tensor.MatMul(q.z, f32Bytes(cl.centers), tensor.F32, k, hd, q.f[g*group*hd:(g+1)*group*hd], group); err != nil {
			return err
		}
		c.c.selectRead += int64(len(cl.centers)) * 4
		for i := range group {
			h := g*group + i
			z := q.z[i*k : (i+1)*k]
			q.order = q.order[:0]
			for j := range k {
				q.order = append(q.order, j)
			}
			slices.SortStableFunc(q.order, func(a, b int) int {
				switch {
				case z[a] > z[b]:
					return -1
				case z[a] < z[b]:
					return 1
				}
				return 0
			})
			q.pos = q.pos[:0]
			total := 0
			for _, cid := range q.order {
				if total+cl.size(cid) > st.budget() {
					break
				}
				total += cl.size(cid)
				for _, p := range cl.members[cl.start[cid]:cl.start[cid+1]] {
					q.pos = append(q.pos, int(p))
				}
				chosen++
			}
			slices.Sort(q.pos)
			spans[h] = addSpan(spans[h], 0, st.from)
			spans[h] = addRuns(spans[h], q.pos)
			spans[h] = addSpan(spans[h], st.to, T)
		}
	}
	c.st.selections++
	c.st.blocks += float64(chosen) / float64(c.nHead)
	return c.rows(r0, c.n, spans)
}

// build clusters every layer's fixed context, or loads the clusters.
func (st *squeezeState) build(c *call) error {
	inner := c.inner
	sh := inner.Shape()
	st.built = true
	st.from = st.s.sinks
	st.to = st.prefix - st.s.window
	n := st.to - st.from
	if n <= 0 || n <= st.budget() {
		st.heads = nil // the budget covers the fixed context: dense
		return nil
	}
	hash, err := st.keyHash(c)
	if err != nil {
		return err
	}
	if path := st.cfg.Centroids; path != "" {
		data, err := os.ReadFile(path)
		if err == nil {
			heads, err := parseCentroids(data, centroidHeader{layers: sh.Layers, kvHeads: sh.KVHeads, headDim: sh.HeadDim,
				prefix: st.prefix, from: st.from, to: st.to, keyHash: hash})
			if err != nil {
				return fmt.Errorf("attention: %s: %w", path, err)
			}
			st.heads = heads
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	k := max(1, int(math.Floor(st.cfg.Clusters*float64(n))))
	hd := sh.HeadDim
	keys := make([]float32, n*hd)
	unit := make([]float32, n*hd)
	st.heads = make([][]*clusters, sh.Layers)
	for l := range sh.Layers {
		st.heads[l] = make([]*clusters, sh.KVHeads)
		for g := range sh.KVHeads {
			if err := inner.ReadKeys(l, g, st.from, st.to, keys); err != nil {
				return err
			}
			for i := range n {
				row := keys[i*hd : (i+1)*hd]
				norm := math.Sqrt(float64(tensor.DotF32(row, row)))
				for j, x := range row {
					unit[i*hd+j] = x
					if norm > 0 {
						unit[i*hd+j] = float32(float64(x) / norm)
					}
				}
			}
			_, labels := kmeans(unit, n, hd, k, st.cfg.KMeansIters, uint64(l)<<32|uint64(g))
			st.heads[l][g] = newClusters(clusterMeans(keys, labels, k, hd), labels, k, st.from)
		}
	}
	if path := st.cfg.Centroids; path != "" {
		h := centroidHeader{layers: sh.Layers, kvHeads: sh.KVHeads, headDim: sh.HeadDim, prefix: st.prefix, from: st.from, to: st.to, keyHash: hash}
		if err := writeFileAtomic(path, appendCentroids(nil, h, st.heads)); err != nil {
			return fmt.Errorf("attention: saving centroids: %w", err)
		}
	}
	return nil
}

// budget is the positions of clusters a head may take.
func (st *squeezeState) budget() int { return st.cfg.Budget - st.s.sinks - st.s.window }

// keyHash fingerprints the clustered keys of layer 0 and the clustering
// settings, so saved centroids are only used for the context, --clusters
// and --kmeans-iters they were computed with.
func (st *squeezeState) keyHash(c *call) (uint64, error) {
	sh := c.inner.Shape()
	h := fnv.New64a()
	buf := make([]float32, (st.to-st.from)*sh.HeadDim)
	for g := range sh.KVHeads {
		if err := c.inner.ReadKeys(0, g, st.from, st.to, buf); err != nil {
			return 0, err
		}
		h.Write(f32Bytes(buf))
	}
	fmt.Fprintf(h, "clusters=%g kmeans-iters=%d", st.cfg.Clusters, st.cfg.KMeansIters)
	return h.Sum64(), nil
}

// clusterMeans is the mean of the keys (rows of hd) of each of k clusters.
func clusterMeans(keys []float32, labels []int32, k, hd int) []float32 {
	sums := make([]float64, k*hd)
	counts := make([]int, k)
	for i, l := range labels {
		counts[l]++
		for j, x := range keys[i*hd : (i+1)*hd] {
			sums[int(l)*hd+j] += float64(x)
		}
	}
	out := make([]float32, k*hd)
	for c := range k {
		if counts[c] == 0 {
			continue
		}
		for j := range hd {
			out[c*hd+j] = float32(sums[c*hd+j] / float64(counts[c]))
		}
	}
	return out
}

// writeFileAtomic writes data to path through a temporary file renamed
// into place, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
