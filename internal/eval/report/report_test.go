package report

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/longctx/longctx/internal/eval/runner"
	"github.com/longctx/longctx/internal/trace"
)

func byLength(vals ...float64) map[string]float64 {
	out := map[string]float64{}
	for i, v := range vals {
		out[fmt.Sprintf("%dk", 4<<i)] = v / 100
	}
	return out
}

func round1(v float64) float64 { return math.Round(1000*v) / 10 }

// RULER's README table (13-task averages at 4K..128K) gives Avg, wAvg (inc),
// wAvg (dec) and the effective length for each model: the aggregates must
// reproduce them.
func TestAggregateMatchesRulerTable(t *testing.T) {
	for _, c := range []struct {
		name          string
		scores        []float64
		avg, inc, dec float64
		effective     string
	}{
		{"Gemini-1.5-pro", []float64{96.7, 95.8, 96.0, 95.9, 95.9, 94.4}, 95.8, 95.5, 96.1, ">128k"},
		{"GPT-4-1106-preview", []float64{96.6, 96.3, 95.2, 93.2, 87.0, 81.2}, 91.6, 89.0, 94.1, "64k"},
		{"Command-R-plus", []float64{95.6, 95.2, 94.2, 92.0, 84.3, 63.1}, 87.4, 82.7, 92.1, "32k"},
	} {
		a := AggregateOf(map[string]map[string]float64{"all": byLength(c.scores...)}, RulerThreshold)
		if round1(a.Avg) != c.avg || round1(a.WAvgInc) != c.inc || round1(a.WAvgDec) != c.dec || a.Effective != c.effective {
			t.Errorf("%s: avg %.2f inc %.2f dec %.2f effective %s; README %.1f %.1f %.1f %s", c.name,
				100*a.Avg, 100*a.WAvgInc, 100*a.WAvgDec, a.Effective, c.avg, c.inc, c.dec, c.effective)
		}
	}
	// Two tasks average per length; 8k has only one task; nothing passes.
	a := AggregateOf(map[string]map[string]float64{"x": {"4k": 0.5, "8k": 0.2}, "y": {"4k": 0.3}}, RulerThreshold)
	if !near(a.PerLength[0], 0.4) || !near(a.PerLength[1], 0.2) || !near(a.Avg, 0.3) || a.Effective != "<4k" {
		t.Errorf("%+v", a)
	}
	if a := AggregateOf(nil, RulerThreshold); !math.IsNaN(a.Avg) || a.Effective != "" {
		t.Errorf("empty: %+v", a)
	}
	var buf bytes.Buffer
	WriteAggregates(&buf, runner.Summary{"ruler": {"all": byLength(96.6, 96.3, 95.2, 93.2, 87.0, 81.2)}})
	if got := buf.String(); got != "ruler        avg 91.6  wAvg(inc) 89.0  wAvg(dec) 94.1  effective length 64k (threshold 85.6)\n" {
		t.Errorf("WriteAggregates = %q", got)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScoreColor(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want color.RGBA
	}{
		{0, color.RGBA{240, 73, 110, 255}},
		{0.5, color.RGBA{235, 184, 57, 255}},
		{1, color.RGBA{12, 215, 159, 255}},
		{2, color.RGBA{12, 215, 159, 255}},
		// halfway between red and yellow: (240+235)/2 = 237.5 → 238, 128.5 → 129, 83.5 → 84
		{0.25, color.RGBA{238, 129, 84, 255}},
		// 0.75: (235+12)/2 = 123.5 → 124, (184+215)/2 = 199.5 → 200, (57+159)/2 = 108
		{0.75, color.RGBA{124, 200, 108, 255}},
		{math.NaN(), color.RGBA{0xDD, 0xDD, 0xDD, 255}},
	} {
		if got := ScoreColor(c.v); got != c.want {
			t.Errorf("ScoreColor(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	if Hex(color.RGBA{12, 215, 159, 255}) != "#0cd79f" {
		t.Error("Hex")
	}
}

func niahRun() *Run {
	return &Run{Dir: "run-a", Summary: runner.Summary{
		"niah": {
			"depth=0":   {"4k": 1, "8k": 1},
			"depth=50":  {"4k": 0.5, "8k": 0},
			"depth=100": {"4k": 0.25},
		},
		"ruler": {
			"niah_single_1": byLength(96.6, 96.3),
			"vt":            byLength(80, 50),
		},
	}, Meta: &Meta{Target: "builtin:tiny.gguf", Mode: "completion", Template: "none (base model, raw prompts)",
		Tokenizer: "estimated token counts (3 bytes per token)", Estimated: true, Options: map[string]string{"kv": "f16"},
		Lengths: []int{4096, 8192}, Samples: 2, Suites: []string{"niah", "ruler"}, Started: time.Unix(0, 0).UTC(), Finished: time.Unix(60, 0).UTC(),
		Requested: 10, Cached: 2, Notes: []string{"qa_1 skipped <no file>"}}}
}

// checkPixels decodes a PNG and checks the centre of each cell.
func checkPixels(t *testing.T, r io.Reader, want map[[2]int]color.RGBA) {
	t.Helper()
	img, err := png.Decode(r)
	if err != nil {
		t.Fatal(err)
	}
	for rc, c := range want {
		x, y := CellOrigin(rc[0], rc[1])
		got := color.RGBAModel.Convert(img.At(x+CellW/2, y+CellH/2)).(color.RGBA)
		if got != c {
			t.Errorf("cell %v: %v, want %v", rc, got, c)
		}
	}
	ink := 0 // axis labels are drawn in the left margin
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < marginLeft-2; x++ {
			if c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA); c.R < 0x80 {
				ink++
			}
		}
	}
	if ink == 0 {
		t.Error("no depth labels drawn")
	}
}

var heatWant = map[[2]int]color.RGBA{
	{0, 0}: {12, 215, 159, 255},     // depth 0, 4k: 1
	{1, 0}: {235, 184, 57, 255},     // depth 50, 4k: 0.5
	{1, 1}: {240, 73, 110, 255},     // depth 50, 8k: 0
	{2, 0}: {238, 129, 84, 255},     // depth 100, 4k: 0.25
	{2, 1}: {0xDD, 0xDD, 0xDD, 255}, // depth 100, 8k: missing
}

func TestHeatmapPNG(t *testing.T) {
	g := NIAHGrid(niahRun().Summary["niah"])
	if fmt.Sprint(g.Depths, g.Lengths) != "[0 50 100] [4096 8192]" {
		t.Fatalf("grid %v %v", g.Depths, g.Lengths)
	}
	var buf bytes.Buffer
	if err := WriteHeatmapPNG(&buf, g); err != nil {
		t.Fatal(err)
	}
	checkPixels(t, &buf, heatWant)
}

// node is a generic XML element, enough to walk the report.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []node     `xml:",any"`
}

func (n node) attr(k string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == k {
			return a.Value
		}
	}
	return ""
}

func (n node) walk(f func(node)) {
	f(n)
	for _, k := range n.Kids {
		k.walk(f)
	}
}

func (n node) text() string {
	s := n.Text
	for _, k := range n.Kids {
		s += k.text()
	}
	return s
}

func TestHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, niahRun()); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"ZgotmplZ", "http://", "https://", "<link", "<script"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	var root node
	dec := xml.NewDecoder(strings.NewReader(html))
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("report is not well-formed: %v", err)
	}
	heat := map[[2]string]string{}
	var img string
	var rulerRows [][]string
	var texts []string
	root.walk(func(n node) {
		if n.XMLName.Local == "p" || n.XMLName.Local == "td" {
			texts = append(texts, n.text())
		}
		switch n.XMLName.Local {
		case "td":
			if d := n.attr("data-depth"); d != "" {
				heat[[2]string{d, n.attr("data-length")}] = n.attr("style") + " " + n.text()
			}
		case "img":
			img = n.attr("src")
		case "table":
			if n.attr("data-suite") == "ruler" {
				for _, tr := range n.Kids {
					var row []string
					for _, c := range tr.Kids {
						row = append(row, c.text())
					}
					rulerRows = append(rulerRows, row)
				}
			}
		}
	})
	for k, want := range map[[2]string]string{
		{"0", "4k"}:   "background: #0cd79f 100.0",
		{"50", "8k"}:  "background: #f0496e 0.0",
		{"100", "4k"}: "background: #ee8154 25.0",
		{"100", "8k"}: "background: #dddddd -",
	} {
		if heat[k] != want {
			t.Errorf("heatmap cell %v = %q, want %q", k, heat[k], want)
		}
	}
	b64, ok := strings.CutPrefix(img, "data:image/png;base64,")
	if !ok {
		t.Fatalf("img src %.40q is not an inline PNG", img)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	checkPixels(t, bytes.NewReader(raw), heatWant)
	want := [][]string{{"task", "4k", "8k"}, {"niah_single_1", "96.6", "96.3"}, {"vt", "80.0", "50.0"}, {"average", "88.3", "73.2"}}
	if fmt.Sprint(rulerRows) != fmt.Sprint(want) {
		t.Errorf("ruler table %q, want %q", rulerRows, want)
	}
	all := strings.Join(texts, "\n")
	for _, s := range []string{"Effective length (longest length averaging above 85.6, RULER's threshold): 4k.", "builtin:tiny.gguf",
		"kv = f16", "qa_1 skipped <no file>", "Prompt lengths are estimates", "2 from the store"} {
		if !strings.Contains(all, s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

func TestCompareAndLoad(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		os.Mkdir(d, 0o755)
	}
	runner.WriteJSON(filepath.Join(a, "summary.json"), runner.Summary{"ruler": {"vt": {"4k": 1, "8k": 0.5}, "cwe": {"4k": 0.2}}})
	runner.WriteJSON(filepath.Join(a, "run.json"), Meta{Target: "builtin:m attention=dense", Options: map[string]string{"attention": "dense"}})
	runner.WriteJSON(filepath.Join(b, "summary.json"), runner.Summary{"ruler": {"vt": {"4k": 0.95, "8k": 0.75}}, "niah": {"depth=0": {"4k": 1}}})
	ra, err := Load(a)
	if err != nil || ra.Meta == nil || ra.Meta.Target != "builtin:m attention=dense" {
		t.Fatalf("Load(dir): %+v %v", ra, err)
	}
	rb, err := Load(filepath.Join(b, "summary.json"))
	if err != nil || rb.Meta != nil || rb.Dir != b {
		t.Fatalf("Load(summary.json): %+v %v", rb, err)
	}
	var out bytes.Buffer
	WriteCompare(&out, ra, rb)
	s := out.String()
	for _, want := range []string{
		"A: " + a + " (builtin:m attention=dense)",
		"vt                        100.0   95.0     -5.0   50.0   75.0    +25.0",
		"cwe                        20.0      -               -      -",
		"average (common tasks)    100.0   95.0     -5.0   50.0   75.0    +25.0",
		"depth=0                       -  100.0",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("compare output lacks %q:\n%s", want, s)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing run accepted")
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644)
	if _, err := Load(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("bad summary accepted")
	}
	// Lengths spelled otherwise are renamed as the runner writes them; a
	// key that is no length is an error naming it.
	os.WriteFile(filepath.Join(dir, "spelled.json"), []byte(`{"niah":{"depth=10":{"4096":0.9,"1536":0.5}}}`), 0o644)
	if r, err := Load(filepath.Join(dir, "spelled.json")); err != nil || r.Summary["niah"]["depth=10"]["4k"] != 0.9 || r.Summary["niah"]["depth=10"]["1536"] != 0.5 {
		t.Errorf("spelled lengths: %+v %v", r, err)
	}
	os.WriteFile(filepath.Join(dir, "bogus.json"), []byte(`{"niah":{"depth=10":{"bogus":1}}}`), 0o644)
	if _, err := Load(filepath.Join(dir, "bogus.json")); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("a key that is no length: %v", err)
	}
}

// The trace suite's table has no average row and no RULER aggregates, and
// its rows (with seconds per trace) come from run.json.
func TestHTMLTrace(t *testing.T) {
	r := niahRun()
	r.Summary["trace"] = map[string]map[string]float64{
		"attntrace/needle/p@1": {"2k": 1}, "attntrace/needle/r@5": {"2k": 0.5},
	}
	r.Meta.Trace = []trace.BenchRow{{Method: "attntrace", Kind: "needle", Length: 2048, Cases: 2, MeanTokens: 2010.5,
		PrecisionAt1: 1, RecallAtK: 0.5, K: 5, SecondsPerTrace: 0.1234, PassesPerTrace: 30}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	var root node
	if err := xml.NewDecoder(strings.NewReader(buf.String())).Decode(&root); err != nil {
		t.Fatalf("report is not well-formed: %v", err)
	}
	var scores, rows [][]string
	effective := 0
	root.walk(func(n node) {
		if n.XMLName.Local == "p" && strings.Contains(n.text(), "Effective length") {
			effective++
		}
		if n.XMLName.Local != "table" {
			return
		}
		for _, tr := range n.Kids {
			var row []string
			for _, c := range tr.Kids {
				row = append(row, c.text())
			}
			switch {
			case n.attr("data-suite") == "trace":
				scores = append(scores, row)
			case n.attr("id") == "trace-rows":
				rows = append(rows, row)
			}
		}
	})
	if want := [][]string{{"task", "2k"}, {"attntrace/needle/p@1", "100.0"}, {"attntrace/needle/r@5", "50.0"}}; fmt.Sprint(scores) != fmt.Sprint(want) {
		t.Errorf("trace scores %q, want %q", scores, want)
	}
	if len(rows) != 2 || fmt.Sprint(rows[1]) != fmt.Sprint([]string{"attntrace", "needle", "2k", "2", "2010", "100.0", "50.0 (K=5)", "0.123", "30.0"}) {
		t.Errorf("trace rows %q", rows)
	}
	if effective != 2 { // ruler's and niah's, not trace's
		t.Errorf("%d effective-length lines, want 2", effective)
	}
	var agg bytes.Buffer
	WriteAggregates(&agg, r.Summary)
	if strings.Contains(agg.String(), "trace") {
		t.Errorf("aggregates of the trace suite:\n%s", agg.String())
	}
}
