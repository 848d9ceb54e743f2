package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/longctx/longctx/internal/eval/gen"
	"github.com/longctx/longctx/internal/eval/runner"
	"github.com/longctx/longctx/internal/trace"
)

type htmlCell struct {
	Text, Color string
}

type htmlRow struct {
	Task  string
	Cells []htmlCell
}

type htmlHeatCell struct {
	Depth, Length, Text, Color string
}

type htmlHeat struct {
	Lengths []string
	Rows    [][]htmlHeatCell
	PNG     template.URL
}

type htmlSuite struct {
	Name    string
	Lengths []string
	Rows    []htmlRow
	Average htmlRow
	Agg     Aggregate
	AggText []string
	Heatmap *htmlHeat
	Trace   []htmlTraceRow
}

// htmlTraceRow is a trace suite row with its numbers formatted.
type htmlTraceRow struct {
	Method, Kind, Length                      string
	Cases                                     int
	Tokens, P1, RK, Seconds, Passes, P1C, RKC string
}

type htmlPage struct {
	Title   string
	Meta    *Meta
	Options []string
	Suites  []htmlSuite
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.heat { width: 3em; height: 1.4em; text-align: center; font-size: 0.8em; }
.note { color: #a33; }
.agg { margin: 0 0 1em 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Meta}}<table class="meta">
<tr><th>target</th><td>{{.Target}}</td></tr>
<tr><th>prompt mode</th><td>{{.Mode}}</td></tr>
<tr><th>chat template</th><td>{{.Template}}</td></tr>
<tr><th>length fitting</th><td{{if .Estimated}} class="note"{{end}}>{{.Tokenizer}}</td></tr>
{{range $.Options}}<tr><th>option</th><td>{{.}}</td></tr>
{{end}}<tr><th>seed</th><td>{{.Seed}}</td></tr>
<tr><th>samples per task and length</th><td>{{.Samples}}</td></tr>
<tr><th>requests</th><td>{{.Requested}} sent, {{.Cached}} from the store{{if .Truncated}}, {{.Truncated}} prompts truncated by their benchmark's rule{{end}}</td></tr>
<tr><th>run</th><td>{{.Started.Format "2006-01-02 15:04:05"}} to {{.Finished.Format "2006-01-02 15:04:05"}}</td></tr>
</table>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{end}}
{{range .Suites}}<h2 id="suite-{{.Name}}">{{.Name}}</h2>
{{with .Heatmap}}<h3>Needle depth × context length</h3>
<table class="heatmap" id="heatmap-niah">
<tr><th>depth \ length</th>{{range .Lengths}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{with index . 0}}<th>{{.Depth}}%</th>{{end}}{{range .}}<td class="heat" data-depth="{{.Depth}}" data-length="{{.Length}}" style="background: {{.Color}}">{{.Text}}</td>{{end}}</tr>
{{end}}</table>
<p><img alt="NIAH heatmap" src="{{.PNG}}"/></p>
{{end}}<table class="scores" data-suite="{{.Name}}">
<tr><th>task</th>{{range .Lengths}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Task}}</td>{{range .Cells}}<td style="background: {{.Color}}">{{.Text}}</td>{{end}}</tr>
{{end}}{{if .Average.Cells}}<tr class="average"><th>{{.Average.Task}}</th>{{range .Average.Cells}}<th style="background: {{.Color}}">{{.Text}}</th>{{end}}</tr>
{{end}}</table>
{{with .AggText}}<p class="agg">{{range .}}{{.}}<br/>{{end}}</p>
{{end}}{{with .Trace}}<h3>Traceback: precision@1, recall@K, seconds and model passes per trace</h3>
<table class="trace" id="trace-rows">
<tr><th>method</th><th>kind</th><th>length</th><th>cases</th><th>prompt tokens</th><th>P@1</th><th>R@K</th><th>s/trace</th><th>passes/trace</th></tr>
{{range .}}<tr><td>{{.Method}}</td><td>{{.Kind}}</td><td>{{.Length}}</td><td>{{.Cases}}</td><td>{{.Tokens}}</td><td style="background: {{.P1C}}">{{.P1}}</td><td style="background: {{.RKC}}">{{.RK}}</td><td>{{.Seconds}}</td><td>{{.Passes}}</td></tr>
{{end}}</table>
<p>Seconds as measured when each trace ran (a rerun from the store keeps them).</p>
{{end}}{{end}}<p>Scores ×100. {{with .Meta}}{{if .Estimated}}<span class="note">Prompt lengths are estimates, not the model's token counts.</span>{{end}}{{end}}</p>
</body>
</html>
`))

// WriteHTML writes the run as one self-contained HTML page: run details,
// per suite a task × length table with its average row, the RULER-style
// aggregates, and for niah the depth × length heatmap as a colored table
// and an embedded PNG.
func WriteHTML(w io.Writer, r *Run) error {
	p := htmlPage{Title: "longctx eval report", Meta: r.Meta}
	if r.Meta != nil {
		keys := make([]string, 0, len(r.Meta.Options))
		for k := range r.Meta.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.Options = append(p.Options, k+" = "+r.Meta.Options[k])
		}
	}
	for _, suite := range runner.Suites(r.Summary) {
		tasks := r.Summary[suite]
		hs := htmlSuite{Name: suite, Agg: AggregateOf(tasks, RulerThreshold)}
		for _, l := range hs.Agg.Lengths {
			hs.Lengths = append(hs.Lengths, gen.FormatLength(l))
		}
		for _, t := range runner.Rows(suite, tasks) {
			row := htmlRow{Task: t}
			for _, l := range hs.Lengths {
				v, ok := tasks[t][l]
				if !ok {
					v = math.NaN()
				}
				row.Cells = append(row.Cells, scoreCell(v))
			}
			hs.Rows = append(hs.Rows, row)
		}
		if suite == TraceSuite {
			// Its cells are different metrics of different methods: no
			// average over them, no effective length.
			if r.Meta != nil {
				hs.Trace = traceRows(r.Meta.Trace)
			}
			p.Suites = append(p.Suites, hs)
			continue
		}
		hs.Average = htmlRow{Task: "average"}
		for _, v := range hs.Agg.PerLength {
			hs.Average.Cells = append(hs.Average.Cells, scoreCell(v))
		}
		a := hs.Agg
		hs.AggText = []string{
			fmt.Sprintf("Average over lengths: %s; weighted by length, increasing: %s, decreasing: %s.", pct(a.Avg), pct(a.WAvgInc), pct(a.WAvgDec)),
			fmt.Sprintf("Effective length (longest length averaging above %.1f, RULER's threshold): %s.", 100*a.Threshold, a.Effective),
		}
		if suite == "niah" {
			h, err := heat(tasks)
			if err != nil {
				return err
			}
			hs.Heatmap = h
		}
		p.Suites = append(p.Suites, hs)
	}
	return page.Execute(w, p)
}

// TraceSuite is the traceback suite's name (tracesuite.Suite), whose
// table is not averaged.
const TraceSuite = "trace"

func traceRows(rows []trace.BenchRow) []htmlTraceRow {
	var out []htmlTraceRow
	for _, r := range rows {
		out = append(out, htmlTraceRow{Method: r.Method, Kind: r.Kind, Length: gen.FormatLength(r.Length), Cases: r.Cases,
			Tokens: fmt.Sprintf("%.0f", r.MeanTokens), P1: pct(r.PrecisionAt1), RK: pct(r.RecallAtK) + " (K=" + strconv.Itoa(r.K) + ")",
			Seconds: fmt.Sprintf("%.3f", r.SecondsPerTrace), Passes: fmt.Sprintf("%.1f", r.PassesPerTrace),
			P1C: Hex(ScoreColor(r.PrecisionAt1)), RKC: Hex(ScoreColor(r.RecallAtK))})
	}
	return out
}

func heat(tasks map[string]map[string]float64) (*htmlHeat, error) {
	g := NIAHGrid(tasks)
	var buf bytes.Buffer
	if err := WriteHeatmapPNG(&buf, g); err != nil {
		return nil, err
	}
	h := &htmlHeat{PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))}
	for _, l := range g.Lengths {
		h.Lengths = append(h.Lengths, gen.FormatLength(l))
	}
	for i, d := range g.Depths {
		var row []htmlHeatCell
		for j := range g.Lengths {
			c := scoreCell(g.Score[i][j])
			row = append(row, htmlHeatCell{Depth: strconv.Itoa(d), Length: h.Lengths[j], Text: c.Text, Color: c.Color})
		}
		h.Rows = append(h.Rows, row)
	}
	return h, nil
}

func scoreCell(v float64) htmlCell {
	return htmlCell{Text: pct(v), Color: Hex(ScoreColor(v))}
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100*v)
}
