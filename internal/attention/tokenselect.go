package attention

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"github.com/longctx/longctx/internal/parallel"

	"github.com/longctx/longctx/internal/tensor"
)

// tokenSelect is TokenSelect for one layer: the first sinks positions, the
// k middle positions with the highest soft-voted Q·K scores and the last
// window positions (the chunk itself included).
//
// Scores: z_h[j] = f_h·k_{g(h)}[j] (raw dot, no 1/√d) for every query head
// h and candidate j, softmax over j per head, summed over the heads (each
// head votes with one unit of probability, so a few heads with extreme
// logits cannot decide alone), optionally max-pooled, then the top k. One
// selection serves every head of the layer. f is the query, or the mean
// query of a prefill chunk; heads map to KV heads as ⌊h/(H/G)⌋.
//
// Differences from the paper's code, on purpose: keys here are stored
// rotated for their true positions, so scores are the true attention
// logits (up to the mirror's q8_0 rounding) rather than logits at a fixed
// distance, and the selected keys keep their true positions (no
// re-positioning to contiguous indices, so no extrapolation past the
// trained context).
//
// Selection cache: while cos(f, f_last) ≥ threshold the last selection is
// reused and no key is scored.
//
// Granularity: with group > 1 the votes are summed over groups of group
// positions aligned to multiples of group, and the best k/group groups are
// taken whole. The KV cache reads keys and values in aligned groups of 16
// positions, so single tokens scattered over the context read nearly all
// of it (no faster than dense); groups of 16 read only what is attended.
// group = 1 selects single tokens, as the paper.
type tokenSelect struct {
	c                  *maskCache
	sinks, window, k   int
	kernel, group      int
	threshold          float64
	mirror             *keyMirror
	last               []float32 // fingerprint of the cached selection
	sel                []int     // cached selection (sorted positions)
	haveSel            bool
	f, z, vote, pooled []float32
	part               []float32 // per KV head partial votes
	groupVote          []float32
	spans              headSpans
	heap, best         []int
}

func newTokenSelect(c *maskCache, sinks, window, k, kernel, group int, threshold float64) *tokenSelect {
	return &tokenSelect{c: c, sinks: sinks, window: window, k: k, kernel: kernel, group: group, threshold: threshold,
		mirror: newKeyMirror(c.inner.Shape())}
}

func (t *tokenSelect) forget(n int) {
	t.mirror.forget(n)
	t.haveSel = false
}

func (t *tokenSelect) bytes() int64 { return t.mirror.bytes() }

func (t *tokenSelect) kept(_, stored int) int { return stored }

func (t *tokenSelect) attend(c *call) error {
	T := c.pos + c.n
	lo := max(t.sinks, min(c.pos, T-t.window))
	if lo-t.sinks <= t.k {
		return c.dense()
	}
	fingerprint(&t.f, c)
	if !t.haveSel || cosine(t.f, t.last) < t.threshold {
		if err := t.choose(c, lo); err != nil {
			return err
		}
		t.last = append(t.last[:0], t.f...)
		t.haveSel = true
		c.st.selections++
	} else {
		c.st.reused++
	}
	spans := t.spans.reset(c.nHead)
	for h := range spans {
		spans[h] = addSpan(spans[h], 0, t.sinks)
		spans[h] = addRuns(spans[h], t.sel)
		spans[h] = addSpan(spans[h], lo, T)
	}
	return c.sparse(spans)
}

// choose scores the candidates [sinks, lo) and keeps the top k.
func (t *tokenSelect) choose(c *call, lo int) error {
	if err := t.mirror.sync(c.inner, c.layer); err != nil {
		return err
	}
	nc := lo - t.sinks
	info := &c.c.info
	group, hd, nkv := info.Heads/info.KVHeads, info.HeadDim, info.KVHeads
	// KV heads score and vote in parallel, each into its own partial
	// vote; the partials are summed in KV-head order.
	t.z = grow(t.z, nkv*group*nc)
	t.part = grow(t.part, nkv*nc)
	var mu sync.Mutex
	var firstErr error
	parallel.Run(nkv, 1, parallel.Func(func(g0, g1 int) {
		for g := g0; g < g1; g++ {
			z := t.z[g*group*nc : (g+1)*group*nc]
			if err := t.mirror.scores(z, g, t.sinks, lo, t.f[g*group*hd:(g+1)*group*hd], group); err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
				return
			}
			pv := t.part[g*nc : (g+1)*nc]
			clear(pv)
			for i := range group {
				zi := z[i*nc : (i+1)*nc]
				tensor.Softmax(zi)
				for j, p := range zi {
					pv[j] += p
				}
			}
		}
	}))
	if firstErr != nil {
		return firstErr
	}
	t.vote = grow(t.vote, nc)
	copy(t.vote, t.part[:nc])
	for g := 1; g < nkv; g++ {
		for j, p := range t.part[g*nc : (g+1)*nc] {
			t.vote[j] += p
		}
	}
	c.c.selectRead += int64(nc * t.mirror.rowBytes * info.KVHeads)
	s := t.vote
	if t.kernel > 1 {
		t.pooled = grow(t.pooled, nc)
		maxPool(t.pooled, s, t.kernel)
		s = t.pooled
	}
	if t.group == 1 {
		t.sel = topK(t.sel[:0], &t.heap, s, t.k)
		for i := range t.sel {
			t.sel[i] += t.sinks
		}
	} else {
		t.sel = t.chooseGroups(s, lo)
	}
	slices.Sort(t.sel)
	return nil
}

// chooseGroups sums the votes s of candidates [sinks, lo) over aligned
// groups and returns the candidates of the best k/group groups.
func (t *tokenSelect) chooseGroups(s []float32, lo int) []int {
	G := t.group
	g0 := t.sinks / G
	ng := (lo+G-1)/G - g0
	t.groupVote = grow(t.groupVote, ng)
	clear(t.groupVote)
	for j, v := range s {
		t.groupVote[(t.sinks+j)/G-g0] += v
	}
	t.best = topK(t.best[:0], &t.heap, t.groupVote, t.k/G)
	sel := t.sel[:0]
	for _, b := range t.best {
		for p := max(t.sinks, (g0+b)*G); p < min(lo, (g0+b+1)*G); p++ {
			sel = append(sel, p)
		}
	}
	return sel
}

// fingerprint sets *f to the mean query row of the call.
func fingerprint(f *[]float32, c *call) {
	w := c.nHead * c.hd
	*f = grow(*f, w)
	copy(*f, c.qRow(0))
	if c.n == 1 {
		return
	}
	for i := 1; i < c.n; i++ {
		for j, x := range c.qRow(i) {
			(*f)[j] += x
		}
	}
	inv := 1 / float32(c.n)
	for j := range *f {
		(*f)[j] *= inv
	}
}

// cosine is the cosine similarity of a and b (0 when either is zero or
// their lengths differ).
func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var ab, aa, bb float64
	for i, x := range a {
		y := float64(b[i])
		ab += float64(x) * y
		aa += float64(x) * float64(x)
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// maxPool is a stride-1 max-pool of s with the given kernel: dst[i] is the
// largest s[j] for j in [i-p, i-p+kernel) within s, p = ⌊(kernel−1)/2⌋ (as
// PyTorch's max_pool1d with that padding; for an even kernel the window
// reaches one further right and the output keeps len(s) so that dst[i]
// still belongs to position i).
func maxPool(dst, s []float32, kernel int) {
	p := (kernel - 1) / 2
	for i := range s {
		m := float32(math.Inf(-1))
		for j := max(0, i-p); j < min(len(s), i-p+kernel); j++ {
			m = max(m, s[j])
		}
		dst[i] = m
	}
}

// topK appends to dst the indices of the k largest s (ties: the lower
// index wins), in no particular order. h is scratch for the heap.
func topK(dst []int, h *[]int, s []float32, k int) []int {
	if k >= len(s) {
		for i := range s {
			dst = append(dst, i)
		}
		return dst
	}
	if k <= 0 {
		return dst
	}
	// worse(a, b): a ranks below b.
	worse := func(a, b int) bool { return s[a] < s[b] || (s[a] == s[b] && a > b) }
	heap := (*h)[:0]
	// A min-heap (by rank) of the best k so far.
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(heap) {
				return
			}
			m := l
			if r := l + 1; r < len(heap) && worse(heap[r], heap[l]) {
				m = r
			}
			if !worse(heap[m], heap[i]) {
				return
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
	}
	for i := range k {
		heap = append(heap, i)
		for j := len(heap) - 1; j > 0; {
			p := (j - 1) / 2
			if !worse(heap[j], heap[p]) {
				break
			}
			heap[j], heap[p] = heap[p], heap[j]
			j = p
		}
	}
	// Most scores fall below the worst kept one: one comparison each.
	thr := s[heap[0]]
	for i := k; i < len(s); i++ {
		if s[i] < thr || !worse(heap[0], i) {
			continue
		}
		heap[0] = i
		down(0)
		thr = s[heap[0]]
	}
	*h = heap
	return append(dst, heap...)
}
