package observe

// ColumnSum adds every observed probability into its key column: after a
// pass, Sum[j]/Rows is the attention key col0+j received, averaged over
// the observed layers, heads and query rows.
type ColumnSum struct {
	Col0 int       // first key position summed
	Sum  []float64 // per key position from Col0
	Rows int       // (layer, head, row) triples observed
}

// NewColumnSum sums key positions col0..col0+width-1.
func NewColumnSum(col0, width int) *ColumnSum {
	return &ColumnSum{Col0: col0, Sum: make([]float64, width)}
}

// Observe implements Reducer.
func (c *ColumnSum) Observe(_, _, _, col0 int, probs []float32) {
	off := col0 - c.Col0
	for i, p := range probs {
		if j := off + i; j >= 0 && j < len(c.Sum) {
			c.Sum[j] += float64(p)
		}
	}
	c.Rows++
}

// Mean returns Sum/Rows (zeros before any observation).
func (c *ColumnSum) Mean() []float64 {
	out := make([]float64, len(c.Sum))
	if c.Rows == 0 {
		return out
	}
	for j, s := range c.Sum {
		out[j] = s / float64(c.Rows)
	}
	return out
}

// Argmax keeps, per (layer, head), the key position of the highest
// probability in the last row observed (the earliest position on ties).
type Argmax struct {
	Pos [][]int // [layer][head]; -1 until observed
}

// NewArgmax makes an Argmax for the geometry.
func NewArgmax(g Geometry) *Argmax {
	a := &Argmax{Pos: make([][]int, g.Layers)}
	for l := range a.Pos {
		a.Pos[l] = make([]int, g.Heads)
	}
	a.Reset()
	return a
}

// Reset forgets every observation.
func (a *Argmax) Reset() {
	for _, row := range a.Pos {
		for h := range row {
			row[h] = -1
		}
	}
}

// Observe implements Reducer.
func (a *Argmax) Observe(layer, head, _, col0 int, probs []float32) {
	best := -1
	for i, p := range probs {
		if best < 0 || p > probs[best] {
			best = i
		}
	}
	if best >= 0 {
		a.Pos[layer][head] = col0 + best
	}
}
