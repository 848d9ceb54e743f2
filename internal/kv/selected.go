package kv

import "slices"

// selRun is a run of groups [g0, g1) of block b that some query head of a
// KV head sees.
type selRun struct{ b, g0, g1 int }

// selPiece is a work unit of runSelected: runs [r0, r1) of one KV head,
// whose partial softmax goes to slot.
type selPiece struct{ kvh, r0, r1, slot int }

// runSelected is run for a single query token over spans: a decode step
// of a sparse policy. A sparse selection (Quest's 16-position blocks, say)
// is scattered over the whole context, so run's per-chunk units would
// each hold a few short runs and wait for memory at every one of them (a
// step over 1K selected positions at depth 16K took 2-3 times as long as
// over 1K contiguous ones). Here each KV head's runs are cut into pieces
// of at most one chunk's worth of positions, each piece's groups are
// prefetched together, and its scores are packed side by side.
//
// With spans that cover every position, the pieces are run's chunks and
// the arithmetic is the same, so the result is bit for bit Attend's.
func (a *attention) runSelected(src tileReader, args *attendArgs) (int64, error) {
	l := a.l
	nkv, hd := l.kvHeads, l.hd
	group := args.nHead / nkv
	chunkBlocks := l.chunkBlocks()
	cl := chunkBlocks * l.block
	per := l.block / groupLen
	seen := args.pos + 1

	var runs []selRun
	var pieces []selPiece
	var ivals []Span
	for kvh := range nkv {
		ivals = ivals[:0]
		shared := true
		for i := range group {
			h := kvh*group + i
			if i > 0 && slices.Equal(args.spans[h], args.spans[h-1]) {
				continue // the query heads of a KV head usually share spans
			}
			shared = shared && i == 0
			ivals = visible(ivals, args, h, seen, 0, seen)
		}
		if !shared {
			ivals = unionSpans(ivals)
		}
		start := len(runs)
		for _, iv := range ivals {
			for g, g1 := iv.From/groupLen, (iv.To+groupLen-1)/groupLen; g < g1; {
				b := g / per
				e := min(g1, (b+1)*per)
				if k := len(runs) - 1; k >= start && runs[k].b == b && runs[k].g1 >= g-b*per {
					runs[k].g1 = max(runs[k].g1, e-b*per)
				} else {
					runs = append(runs, selRun{b, g - b*per, e - b*per})
				}
				g = e
			}
		}
		total := 0
		for i := start; i < len(runs); i++ {
			n := (runs[i].g1 - runs[i].g0) * groupLen
			if total > 0 && total+n > cl {
				pieces[len(pieces)-1].r1 = i
				total = 0
			}
			if total == 0 {
				pieces = append(pieces, selPiece{kvh, i, len(runs), len(pieces)})
			}
			total += n
		}
	}

	w := 2 + hd
	stride := group * w
	partial := make([]float32, len(pieces)*stride)
	err := eachParallel(len(pieces), func(i int) error {
		p := pieces[i]
		return a.selectedPiece(src, args, runs[p.r0:p.r1], p.kvh, chunkBlocks, partial[p.slot*stride:(p.slot+1)*stride])
	})
	if err != nil {
		return args.read.Load(), err
	}
	// Merge each KV head's pieces in order, as run merges chunks.
	for kvh, i := 0, 0; kvh < nkv; kvh++ {
		j := i
		for j < len(pieces) && pieces[j].kvh == kvh {
			j++
		}
		for r := range group {
			out := args.out[(kvh*group+r)*hd : (kvh*group+r+1)*hd]
			if i == j {
				clear(out) // nothing visible
				continue
			}
			acc := partial[pieces[i].slot*stride+r*w : pieces[i].slot*stride+(r+1)*w]
			for _, p := range pieces[i+1 : j] {
				mergeRow(acc, partial[p.slot*stride+r*w:p.slot*stride+(r+1)*w])
			}
			finish(out, acc)
		}
		i = j
	}
	return args.read.Load(), nil
}

// selectedPiece computes the partial softmax of KV head kvh's query heads
// over runs into part.
func (a *attention) selectedPiece(src tileReader, args *attendArgs, runs []selRun, kvh, chunkBlocks int, part []float32) error {
	rows := args.nHead / a.l.kvHeads
	u := unit{kvh: kvh, t0: 0, t1: 1, slot: -1}
	s := a.getScratch(rows, chunkBlocks)
	defer a.scratch.Put(s)
	a.loadQueries(args, u, s, rows)
	// Keys first: they are needed first.
	for _, values := range []bool{false, true} {
		for _, r := range runs {
			src.warm(args.layer, kvh, r.b, r.g0, r.g1, values)
		}
	}
	nq := (rows + quad - 1) / quad
	cl := chunkBlocks * a.l.block
	off, marked := 0, -1
	for nb, r := range runs {
		if r.b != marked {
			a.markBlock(args, u, s, r.b, rows)
			for i := rows; i < len(s.active); i++ {
				s.active[i] = false
			}
			marked = r.b
		}
		// Packed: this run's scores start where the previous run's end.
		if err := a.scoresRun(src, args, u, s, nb, r.b, r.g0, r.g1, off-r.g0*groupLen, cl, nq); err != nil {
			return err
		}
		off += (r.g1 - r.g0) * groupLen
	}
	return a.softmaxValues(src, args, u, s, len(runs), rows, cl, part)
}

// unionSpans sorts spans and merges those that overlap or touch.
func unionSpans(sp []Span) []Span {
	slices.SortFunc(sp, func(x, y Span) int { return x.From - y.From })
	out := sp[:0]
	for _, s := range sp {
		if k := len(out) - 1; k >= 0 && s.From <= out[k].To {
			out[k].To = max(out[k].To, s.To)
			continue
		}
		out = append(out, s)
	}
	return out
}
