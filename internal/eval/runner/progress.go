package runner

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws "[####----] done/total pct cached ETA" in place with a
// carriage return. The ETA extrapolates from answers that needed a request:
// answers from the store come back at once and would make it meaningless.
type progress struct {
	w           io.Writer
	total       int
	now         func() time.Time
	start, last time.Time
	done        int
	cached      int
	drawn       bool
}

const barWidth = 30

func newProgress(w io.Writer, total int, now func() time.Time) *progress {
	p := &progress{w: w, total: total, now: now, start: now()}
	p.draw()
	return p
}

// add records one finished sample and redraws at most ten times a second.
func (p *progress) add(cached bool) {
	p.done++
	if cached {
		p.cached++
	}
	if t := p.now(); p.done == p.total || t.Sub(p.last) >= 100*time.Millisecond {
		p.draw()
	}
}

func (p *progress) draw() {
	p.last = p.now()
	fill := 0
	if p.total > 0 {
		fill = barWidth * p.done / p.total
	}
	line := fmt.Sprintf("\r\x1b[K[%s%s] %d/%d %3d%%", strings.Repeat("#", fill), strings.Repeat("-", barWidth-fill),
		p.done, p.total, 100*p.done/max(p.total, 1))
	if p.cached > 0 {
		line += fmt.Sprintf(" (%d from the store)", p.cached)
	}
	line += " ETA " + p.eta()
	io.WriteString(p.w, line)
	p.drawn = true
}

func (p *progress) eta() string {
	fresh := p.done - p.cached
	left := p.total - p.done
	if left == 0 {
		return "0s"
	}
	if fresh == 0 {
		return "--"
	}
	per := p.last.Sub(p.start) / time.Duration(fresh)
	return (per * time.Duration(left)).Round(time.Second).String()
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.drawn {
		io.WriteString(p.w, "\n")
	}
}
