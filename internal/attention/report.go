package attention

import (
	"fmt"
	"strings"

	"github.com/longctx/longctx/internal/kv"
)

// Reporter is a cache that reports what its policy kept. Every cache Wrap
// returns is one.
type Reporter interface {
	Report() Report
}

// Report is what a policy kept and what attention cost.
type Report struct {
	Policy string
	Layers []LayerReport
	// Tokens is the number of query tokens attended (counted in layer 0).
	Tokens int64
	// ResidentBytes is the KV bytes the inner cache holds in RAM (its
	// Stats when it reports them, else its size).
	ResidentBytes int64
	// KeptBytes is the KV bytes of the positions the policy can still
	// attend to: what a cache that dropped the rest would hold (equal to
	// the stored positions' bytes except for presses and sink+window).
	KeptBytes int64
	// PolicyBytes is the memory of the policy's own data (key mirrors,
	// block bounds, centroids), on top of ResidentBytes.
	PolicyBytes int64
	// ReadBytes is the KV bytes attention read from the inner cache since
	// the policy wrapped it (0 when the inner cache does not count them).
	ReadBytes int64
	// SelectBytes is the bytes the policy read to choose positions.
	SelectBytes int64
}

// LayerReport is one layer's share of a Report.
type LayerReport struct {
	Layer int
	// Kept is the mean number of positions a query head attended to per
	// token; Visible what dense attention would have attended to.
	Kept, Visible float64
	// DecodeKept and DecodeVisible are the same means over the tokens
	// attended one at a time (decode steps) only.
	DecodeKept, DecodeVisible float64
	// Selections is how many selections the policy computed, Reused how
	// many it took from its selection cache instead.
	Selections, Reused int64
	// Blocks is the mean number of blocks (quest) or clusters (squeezed)
	// a head chose per selection.
	Blocks float64
	// Evicted is the number of (position, KV head) pairs the policy can
	// no longer attend to.
	Evicted int
}

// ReadPerToken is the bytes read per query token, attention and selection
// together.
func (r Report) ReadPerToken() float64 {
	if r.Tokens == 0 {
		return 0
	}
	return float64(r.ReadBytes+r.SelectBytes) / float64(r.Tokens)
}

// String prints the report: totals, then a line per layer.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "attention %s: %d tokens, KV resident %s (kept %s, policy data %s), read %s per token (selection %s)\n",
		r.Policy, r.Tokens, bytesString(r.ResidentBytes), bytesString(r.KeptBytes), bytesString(r.PolicyBytes),
		bytesString(int64(r.ReadPerToken())), bytesString(perToken(r.SelectBytes, r.Tokens)))
	for _, l := range r.Layers {
		fmt.Fprintf(&b, "  layer %2d: %.1f of %.1f positions per head (decode %.1f of %.1f)", l.Layer, l.Kept, l.Visible, l.DecodeKept, l.DecodeVisible)
		if l.Selections+l.Reused > 0 {
			fmt.Fprintf(&b, ", %d selections (%d reused)", l.Selections+l.Reused, l.Reused)
		}
		if l.Blocks > 0 {
			fmt.Fprintf(&b, ", %.1f blocks per head", l.Blocks)
		}
		if l.Evicted > 0 {
			fmt.Fprintf(&b, ", %d evicted", l.Evicted)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func perToken(n, tokens int64) int64 {
	if tokens == 0 {
		return 0
	}
	return n / tokens
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// layerStats accumulates a layer's attention.
type layerStats struct {
	queries           int64   // query rows
	attended, visible float64 // Σ over rows of the mean over heads
	decodes           int64   // rows attended one at a time
	decAtt, decVis    float64 // attended, visible over those rows
	selections        int64
	reused            int64
	blocks            float64 // Σ over selections and heads
}

// add counts rows attending to attended positions (mean over heads) of
// visible ones; single says they were a decode step.
func (s *layerStats) add(rows int, attended, visible float64, single bool) {
	s.queries += int64(rows)
	s.attended += attended
	s.visible += visible
	if single {
		s.decodes += int64(rows)
		s.decAtt += attended
		s.decVis += visible
	}
}

func (s *layerStats) report(layer int) LayerReport {
	r := LayerReport{Layer: layer, Selections: s.selections, Reused: s.reused}
	if s.queries > 0 {
		r.Kept = s.attended / float64(s.queries)
		r.Visible = s.visible / float64(s.queries)
	}
	if s.decodes > 0 {
		r.DecodeKept = s.decAtt / float64(s.decodes)
		r.DecodeVisible = s.decVis / float64(s.decodes)
	}
	if s.selections > 0 {
		r.Blocks = s.blocks / float64(s.selections)
	}
	return r
}

// meterBase remembers what the inner cache had read when it was wrapped,
// so reports count only the policy's share.
type meterBase struct {
	read   int64
	tokens int64 // query tokens attended through the wrapper
}

func newMeterBase(inner kv.Cache) meterBase {
	if m, ok := inner.(kv.Meter); ok {
		return meterBase{read: m.Stats().Read}
	}
	return meterBase{}
}

func (m meterBase) fill(r *Report, inner kv.Cache) {
	r.ResidentBytes = inner.Bytes()
	if mt, ok := inner.(kv.Meter); ok {
		st := mt.Stats()
		r.ResidentBytes = st.Resident
		r.ReadBytes = st.Read - m.read
	}
}
