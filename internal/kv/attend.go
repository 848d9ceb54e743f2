package kv

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/longctx/longctx/internal/parallel"
	"github.com/longctx/longctx/internal/tensor"
)

// tileReader gives attention the stored groups of one block.
type tileReader interface {
	// keys returns groups [g0, g1) of the keys in block b's tile for
	// (layer, kvHead). It may read into buf, which holds a whole tile.
	keys(layer, kvHead, b, g0, g1 int, buf []byte) ([]byte, error)
	// values is keys for the values.
	values(layer, kvHead, b, g0, g1 int, buf []byte) ([]byte, error)
	// warm prefetches those groups' keys (or values) if they are in
	// memory.
	warm(layer, kvHead, b, g0, g1 int, values bool)
}

// chunkPositions is how many positions one partial softmax covers before
// it is merged with the others. It is fixed (not derived from the thread
// count) so results are the same on every machine, for every batch size,
// and whether the chunks run in parallel (decode) or one after another
// (prefill).
const chunkPositions = 1024

// rowsPerUnit is roughly how many query rows (token, head) one work unit
// serves: every block it reads is used for all of them.
const rowsPerUnit = 64

// attention computes blockwise ("flash") attention over a tileReader.
//
// Work is split into units of (KV head, run of query tokens, run of
// chunks). A unit serves all its rows (the query heads of the KV head
// times its tokens) from each block it reads, with kernels that load each
// stored key and value once for four rows. Each chunk of chunkPositions
// positions yields a partial softmax (max, sum, normalized output) per row,
// and partials are merged in chunk order. When there are few units
// (decode), every chunk becomes its own unit, so a long context is read by
// all threads at once (split-K); the merge is then done after the parallel
// loop with the same arithmetic.
type attention struct {
	l       *layout
	k       kernelSet
	scratch sync.Pool
}

func newAttention(l *layout) *attention {
	return &attention{l: l, k: kernelsFor(l.typ, l.hd)}
}

// attendArgs is one Attend call.
type attendArgs struct {
	layer, pos, n, nHead int
	q, out               []float32
	scale                float32
	spans                [][]Span // per query head; nil: every position
	read                 atomic.Int64
}

// run is a range of groups of one block that pass 1 of a chunk computed.
type run struct {
	b, g0, g1 int // block and groups
	off       int // where its scores start in a row
	active    []bool
}

// unitScratch is one worker's buffers.
type unitScratch struct {
	q         []float32 // rows padded to quads, hd each
	s         []float32 // scores and weights, rows × chunk
	o         []float32 // a chunk's output per row
	run, part []float32 // partials: rows × (max, sum, output)
	h16       []uint16
	ivals     [][]Span // visible intervals per row in the current block
	active    []bool   // rows that see something in the current block
	marks     []bool   // groups of the current block some row sees
	runs      []run
	ranges    []Span // score offsets of adjacent runs taken together
	buf       []byte
}

func (a *attention) getScratch(rows, chunkBlocks int) *unitScratch {
	s, _ := a.scratch.Get().(*unitScratch)
	if s == nil {
		s = &unitScratch{h16: make([]uint16, 256)}
	}
	l := a.l
	padded := (rows + quad - 1) / quad * quad
	grow := func(x []float32, n int) []float32 {
		if cap(x) < n {
			return make([]float32, n)
		}
		return x[:n]
	}
	s.q = grow(s.q, padded*l.hd)
	s.s = grow(s.s, padded*chunkBlocks*l.block)
	s.o = grow(s.o, padded*l.hd)
	s.run = grow(s.run, rows*(2+l.hd))
	s.part = grow(s.part, rows*(2+l.hd))
	for len(s.ivals) < rows {
		s.ivals = append(s.ivals, nil)
	}
	if cap(s.active) < padded {
		s.active = make([]bool, padded)
	}
	s.active = s.active[:padded]
	if len(s.marks) != l.block/groupLen {
		s.marks = make([]bool, l.block/groupLen)
	}
	if len(s.buf) < l.tileBytes {
		s.buf = make([]byte, l.tileBytes)
	}
	return s
}

// unit is one piece of work: a KV head, query tokens [t0, t1), chunks
// [c0, c1); slot is where a split unit leaves its partial (-1: none).
type unit struct {
	kvh, t0, t1, c0, c1, slot int
}

// run computes attention for args and returns the bytes of keys and
// values it read. Callers have checked the arguments.
func (a *attention) run(src tileReader, args *attendArgs) (int64, error) {
	if args.n == 1 && args.spans != nil {
		return a.runSelected(src, args)
	}
	l := a.l
	nkv, hd := l.kvHeads, l.hd
	group := args.nHead / nkv
	tokPer := max(1, min(args.n, rowsPerUnit/group))
	chunkBlocks := l.chunkBlocks()
	chunkLen := chunkBlocks * l.block
	nChunks := func(t1 int) int { return (args.pos + t1 + chunkLen - 1) / chunkLen }

	var units []unit
	nTok := (args.n + tokPer - 1) / tokPer
	split := nkv*nTok < 2*parallel.Threads()
	slots := 0
	for kvh := 0; kvh < nkv; kvh++ {
		for t0 := 0; t0 < args.n; t0 += tokPer {
			t1 := min(args.n, t0+tokPer)
			nc := nChunks(t1)
			if !split || nc == 1 {
				units = append(units, unit{kvh, t0, t1, 0, nc, -1})
				continue
			}
			for c := 0; c < nc; c++ {
				units = append(units, unit{kvh, t0, t1, c, c + 1, slots})
				slots++
			}
		}
	}
	w := 2 + hd
	stride := tokPer * group * w
	var partial []float32
	if slots > 0 {
		partial = make([]float32, slots*stride)
	}
	// Units get long with the context; one at a time keeps threads even.
	err := eachParallel(len(units), func(i int) error {
		u := units[i]
		var p []float32
		if u.slot >= 0 {
			p = partial[u.slot*stride : (u.slot+1)*stride]
		}
		return a.runUnit(src, args, u, chunkBlocks, p)
	})
	if err != nil {
		return args.read.Load(), err
	}
	// Merge the split units' partials in chunk order, as runUnit does for
	// an unsplit one.
	for i := 0; i < len(units); {
		u := units[i]
		j := i + 1
		for j < len(units) && units[j].kvh == u.kvh && units[j].t0 == u.t0 {
			j++
		}
		if u.slot >= 0 {
			rows := (u.t1 - u.t0) * group
			run := partial[u.slot*stride : (u.slot+1)*stride]
			for _, v := range units[i+1 : j] {
				next := partial[v.slot*stride : (v.slot+1)*stride]
				for r := 0; r < rows; r++ {
					mergeRow(run[r*w:(r+1)*w], next[r*w:(r+1)*w])
				}
			}
			for r := 0; r < rows; r++ {
				tok, h := u.t0+r/group, u.kvh*group+r%group
				finish(args.out[(tok*args.nHead+h)*hd:(tok*args.nHead+h+1)*hd], run[r*w:(r+1)*w])
			}
		}
		i = j
	}
	return args.read.Load(), nil
}

// eachParallel runs fn(0..n-1) on the worker pool, one index at a time,
// and returns the first error.
func eachParallel(n int, fn func(i int) error) error {
	var mu sync.Mutex
	var first error
	parallel.Run(n, 1, parallel.Func(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}
	}))
	return first
}

// runUnit computes one unit. With p non-nil (a split unit) it leaves its
// one chunk's partial there; otherwise it merges its chunks and writes the
// output.
func (a *attention) runUnit(src tileReader, args *attendArgs, u unit, chunkBlocks int, p []float32) error {
	l := a.l
	hd := l.hd
	group := args.nHead / l.kvHeads
	rows := (u.t1 - u.t0) * group
	s := a.getScratch(rows, chunkBlocks)
	defer a.scratch.Put(s)
	a.loadQueries(args, u, s, rows)
	w := 2 + hd // a partial: max, sum, normalized output
	run := s.run[:rows*w]
	for c := u.c0; c < u.c1; c++ {
		part := s.part[:rows*w]
		if p != nil {
			part = p[:rows*w]
		}
		if c == u.c0 && p == nil {
			part = run
		}
		if err := a.chunk(src, args, u, s, c, chunkBlocks, rows, part); err != nil {
			return err
		}
		if c > u.c0 && p == nil {
			for r := 0; r < rows; r++ {
				mergeRow(run[r*w:(r+1)*w], part[r*w:(r+1)*w])
			}
		}
	}
	if p != nil {
		return nil
	}
	for r := 0; r < rows; r++ {
		tok, h := u.t0+r/group, u.kvh*group+r%group
		finish(args.out[(tok*args.nHead+h)*hd:(tok*args.nHead+h+1)*hd], run[r*w:(r+1)*w])
	}
	return nil
}

// loadQueries copies a unit's query rows into s.q, rounded to f16 for an
// f16 cache as llama.cpp does (products of two f16 values are then exact
// in f32).
func (a *attention) loadQueries(args *attendArgs, u unit, s *unitScratch, rows int) {
	hd := a.l.hd
	group := args.nHead / a.l.kvHeads
	clear(s.q[rows*hd:])
	for r := 0; r < rows; r++ {
		tok, h := u.t0+r/group, u.kvh*group+r%group
		dst := s.q[r*hd : (r+1)*hd]
		copy(dst, args.q[(tok*args.nHead+h)*hd:(tok*args.nHead+h+1)*hd])
		if a.l.typ == tensor.F16 {
			roundF16(dst, s.h16)
		}
	}
}

// mergeRow folds partial softmax b = (m, sum, o...) into a, where o is
// the partial's normalized output (zero when sum is).
func mergeRow(a, b []float32) {
	if b[1] == 0 {
		return
	}
	if a[1] == 0 {
		copy(a, b)
		return
	}
	m := max(a[0], b[0])
	wa, wb := a[1]*exp32(a[0]-m), b[1]*exp32(b[0]-m)
	sum := wa + wb
	fa, fb := wa/sum, wb/sum
	a[0], a[1] = m, sum
	for j := 2; j < len(a); j++ {
		a[j] = a[j]*fa + b[j]*fb
	}
}

// finish writes the output of partial p (zeros if no position was
// visible).
func finish(out, p []float32) {
	if p[1] == 0 {
		clear(out)
		return
	}
	copy(out, p[2:])
}

// roundF16 rounds x to f16 precision in place.
func roundF16(x []float32, tmp []uint16) {
	for len(x) > 0 {
		n := min(len(x), len(tmp))
		tensor.F32ToF16Slice(tmp[:n], x[:n])
		tensor.F16ToF32Slice(x[:n], tmp[:n])
		x = x[n:]
	}
}

// visible appends to dst the positions of [from, to) that row r may see.
func visible(dst []Span, args *attendArgs, h, seen, from, to int) []Span {
	to = min(to, seen)
	if from >= to {
		return dst
	}
	if args.spans == nil {
		return append(dst, Span{from, to})
	}
	sp := args.spans[h]
	i := sort.Search(len(sp), func(i int) bool { return sp[i].To > from })
	for ; i < len(sp) && sp[i].From < to; i++ {
		f, t := max(sp[i].From, from), min(sp[i].To, to)
		if f >= t {
			continue
		}
		if k := len(dst) - 1; k >= 0 && dst[k].To == f {
			dst[k].To = t
			continue
		}
		dst = append(dst, Span{f, t})
	}
	return dst
}

// chunk computes the partial softmax of a unit's rows over chunk c into
// part (rows × (max, sum, normalized output)): scores of every block of
// the chunk, then the softmax, then the weighted values. For an f16
// cache the weights are normalized and rounded to f16 before they multiply
// the values, as llama.cpp does, so a context of one chunk computes what
// llama.cpp's attention computes; other types normalize the output.
func (a *attention) chunk(src tileReader, args *attendArgs, u unit, s *unitScratch, c, chunkBlocks, rows int, part []float32) error {
	B := a.l.block
	nq := (rows + quad - 1) / quad
	cl := chunkBlocks * B // scores row stride

	// Pass 1: scores, masked to what each row may see. The groups some row
	// sees form runs (one per block for dense attention); only those are
	// read and computed.
	nb := 0
	for b := c * chunkBlocks; b < (c+1)*chunkBlocks && b*B < args.pos+u.t1; b++ {
		if !a.markBlock(args, u, s, b, rows) {
			continue
		}
		for r := rows; r < len(s.active); r++ {
			s.active[r] = false
		}
		err := forRuns(s.marks, func(g0, g1 int) error {
			if err := a.scoresRun(src, args, u, s, nb, b, g0, g1, (b-c*chunkBlocks)*B, cl, nq); err != nil {
				return err
			}
			nb++
			return nil
		})
		if err != nil {
			return err
		}
	}

	return a.softmaxValues(src, args, u, s, nb, rows, cl, part)
}

// softmaxValues finishes a chunk whose nb runs of scores pass 1 left in
// s: the softmax per row over the runs, then the weighted values, into
// part (rows × (max, sum, normalized output)).
func (a *attention) softmaxValues(src tileReader, args *attendArgs, u unit, s *unitScratch, nb, rows, cl int, part []float32) error {
	l := a.l
	hd := l.hd
	nq := (rows + quad - 1) / quad
	negInf := float32(math.Inf(-1))
	w := 2 + hd

	// Pass 2: softmax over the chunk, per row, over the runs' scores with
	// adjacent ones taken together (fewer calls; the same arithmetic, as
	// runs are whole groups and the kernels add lane by lane in order).
	s.ranges = s.ranges[:0]
	for _, bi := range s.runs[:nb] {
		end := bi.off + (bi.g1-bi.g0)*groupLen
		if k := len(s.ranges) - 1; k >= 0 && s.ranges[k].To == bi.off {
			s.ranges[k].To = end
			continue
		}
		s.ranges = append(s.ranges, Span{bi.off, end})
	}
	for r := 0; r < nq*quad; r++ {
		row := s.s[r*cl : (r+1)*cl]
		m := negInf
		for _, sp := range s.ranges {
			m = max(m, maxOf(row[sp.From:sp.To]))
		}
		var sum float32
		if m != negInf {
			var lanes [8]float32
			for _, sp := range s.ranges {
				expSub(row[sp.From:sp.To], m, &lanes)
			}
			sum = sumLanes(lanes)
		}
		switch {
		case sum == 0:
			// Nothing visible: zero weights (exp of -Inf - -Inf is NaN).
			for _, sp := range s.ranges {
				clear(row[sp.From:sp.To])
			}
		case l.typ == tensor.F16:
			inv := 1 / sum
			for _, sp := range s.ranges {
				scaleRoundF16(row[sp.From:sp.To], inv)
			}
		}
		if r < rows {
			part[r*w], part[r*w+1] = m, sum
		}
	}

	// Pass 3: weighted values.
	clear(s.o)
	for _, bi := range s.runs[:nb] {
		v, err := src.values(args.layer, u.kvh, bi.b, bi.g0, bi.g1, s.buf)
		if err != nil {
			return err
		}
		ng := bi.g1 - bi.g0
		args.read.Add(int64(ng * l.groupV))
		for qi := 0; qi < nq; qi++ {
			if anyActive(bi.active[qi*quad : (qi+1)*quad]) {
				a.k.values(s.s[qi*quad*cl+bi.off:], cl, v, ng, hd, s.o[qi*quad*hd:(qi+1)*quad*hd])
			}
		}
	}
	for r := 0; r < rows; r++ {
		o := part[r*w+2 : (r+1)*w]
		copy(o, s.o[r*hd:(r+1)*hd])
		if sum := part[r*w+1]; l.typ != tensor.F16 && sum != 0 {
			scaleInPlace(o, 1/sum)
		}
	}
	return nil
}

// markBlock sets, for block b, each row's visible intervals (s.ivals),
// whether it sees anything (s.active) and the groups some row sees
// (s.marks); it reports whether any row sees any position.
func (a *attention) markBlock(args *attendArgs, u unit, s *unitScratch, b, rows int) bool {
	B := a.l.block
	group := args.nHead / a.l.kvHeads
	t0 := b * B
	any := false
	clear(s.marks)
	for r := 0; r < rows; r++ {
		tok, h := u.t0+r/group, u.kvh*group+r%group
		s.ivals[r] = visible(s.ivals[r][:0], args, h, args.pos+tok+1, t0, t0+B)
		s.active[r] = len(s.ivals[r]) > 0
		for _, iv := range s.ivals[r] {
			any = true
			for g := (iv.From - t0) / groupLen; g < (iv.To-t0+groupLen-1)/groupLen; g++ {
				s.marks[g] = true
			}
		}
	}
	return any
}

// forRuns calls fn for each run [g0, g1) of consecutive marked groups.
func forRuns(marks []bool, fn func(g0, g1 int) error) error {
	for g0 := 0; g0 < len(marks); {
		if !marks[g0] {
			g0++
			continue
		}
		g1 := g0 + 1
		for g1 < len(marks) && marks[g1] {
			g1++
		}
		if err := fn(g0, g1); err != nil {
			return err
		}
		g0 = g1
	}
	return nil
}

// scoresRun computes the scores of groups [g0, g1) of block b (whose
// scores start at boff in a row) as run nr of the chunk, and masks them.
func (a *attention) scoresRun(src tileReader, args *attendArgs, u unit, s *unitScratch, nr, b, g0, g1, boff, cl, nq int) error {
	l := a.l
	hd := l.hd
	if nr == len(s.runs) {
		s.runs = append(s.runs, run{})
	}
	ru := &s.runs[nr]
	ru.b, ru.g0, ru.g1, ru.off = b, g0, g1, boff+g0*groupLen
	ru.active = append(ru.active[:0], s.active...)
	k, err := src.keys(args.layer, u.kvh, b, g0, g1, s.buf)
	if err != nil {
		return err
	}
	ng := g1 - g0
	args.read.Add(int64(ng * l.groupK))
	for qi := 0; qi < nq; qi++ {
		if anyActive(ru.active[qi*quad : (qi+1)*quad]) {
			a.k.scores(s.q[qi*quad*hd:], k, ng, hd, s.s[qi*quad*cl+ru.off:], cl, args.scale)
		}
	}
	negInf := float32(math.Inf(-1))
	rs, re := b*l.block+g0*groupLen, b*l.block+g1*groupLen // positions of the run
	for r := 0; r < nq*quad; r++ {
		sr := s.s[r*cl+ru.off : r*cl+ru.off+ng*groupLen]
		if !ru.active[r] {
			fill(sr, negInf)
			continue
		}
		prev := rs
		for _, iv := range s.ivals[r] {
			f, t := max(iv.From, rs), min(iv.To, re)
			if f >= t {
				continue
			}
			fill(sr[prev-rs:f-rs], negInf)
			prev = t
		}
		fill(sr[prev-rs:], negInf)
	}
	return nil
}

func anyActive(b []bool) bool {
	for _, x := range b {
		if x {
			return true
		}
	}
	return false
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// checkAttend validates an Attend call against a cache holding stored
// positions of a shape.
func checkAttend(l *layout, layer, pos, n, nHead, stored int, q, out []float32) error {
	if layer < 0 || layer >= l.layers {
		return fmt.Errorf("kv: layer %d out of range", layer)
	}
	if pos < 0 || n < 0 {
		return fmt.Errorf("kv: bad positions %d..%d", pos, pos+n)
	}
	if nHead <= 0 || nHead%l.kvHeads != 0 {
		return fmt.Errorf("kv: %d query heads do not group over %d KV heads", nHead, l.kvHeads)
	}
	if len(q) < n*nHead*l.hd || len(out) < n*nHead*l.hd {
		return fmt.Errorf("kv: attend of %d queries needs %d floats", n, n*nHead*l.hd)
	}
	if pos+n > stored {
		return fmt.Errorf("kv: attending position %d but only %d are stored", pos+n-1, stored)
	}
	return nil
}
