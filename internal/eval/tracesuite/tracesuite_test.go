package tracesuite

import (
	"context"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/engine/enginetest"
	"github.com/longctx/longctx/internal/eval/store"
	"github.com/longctx/longctx/internal/server"
	"github.com/longctx/longctx/internal/trace"
)

// defaultEngine is the embedded default model (a real vocabulary and a
// model that reads its document).
func defaultEngine(t testing.TB) *engine.Engine { return enginetest.Default(t) }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "results.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func tokenCount(e *engine.Engine) func(string) (int, error) {
	return func(s string) (int, error) {
		ids, err := e.Tokenizer.Encode(s, true, false)
		return len(ids), err
	}
}

// The suite reproduces trace.Bench's rows on the same cases and options
// (Bench aggregates its own traces independently), stores every trace, and
// a rerun comes from the store with the same summary.
func TestLocalMatchesBenchAndResumes(t *testing.T) {
	e := defaultEngine(t)
	o := trace.BenchOptions{Lengths: []int{256}, Cases: 2, Methods: []string{"attntrace", "stc"}, K: 2,
		AttnTrace: trace.AttnTraceOptions{Rounds: 8}}
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer}
	want, err := trace.Bench(context.Background(), l, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	cfg := Config{Tracer: &Local{L: l, Model: "default"}, Count: tokenCount(e), Store: st, Bench: o}
	var progress []Progress
	cfg.Progress = func(p Progress) { progress = append(progress, p) }
	cells, rows, stats, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) || stats.Traced != 2*4*2 || stats.Cached != 0 || len(progress) != 16 || progress[15].Done != 16 || progress[15].Total != 16 {
		t.Fatalf("%d rows (want %d), stats %+v, %d progress calls", len(rows), len(want), stats, len(progress))
	}
	for i, r := range rows {
		w := want[i]
		if r.Method != w.Method || r.Kind != w.Kind || r.Length != w.Length || r.Cases != w.Cases || r.K != 2 ||
			r.PrecisionAt1 != w.PrecisionAt1 || r.RecallAtK != w.RecallAtK || r.PassesPerTrace != w.PassesPerTrace || r.MeanTokens != w.MeanTokens {
			t.Fatalf("row %d: %+v, trace.Bench gives %+v", i, r, w)
		}
		if r.SecondsPerTrace <= 0 {
			t.Fatalf("row %d: %g s per trace", i, r.SecondsPerTrace)
		}
		for name, v := range map[string]float64{"p@1": w.PrecisionAt1, "r@2": w.RecallAtK} {
			if got, ok := cells[w.Method+"/"+w.Kind+"/"+name]["256"]; !ok || got != v {
				t.Fatalf("cell %s/%s/%s/256 = %v (present %v), want %v; cells %v", w.Method, w.Kind, name, got, ok, v, cells)
			}
		}
	}
	if len(cells) != 2*4*2 {
		t.Fatalf("%d cells: %v", len(cells), cells)
	}
	if n, _ := st.Count(); n != 16 {
		t.Fatalf("%d stored traces, want 16", n)
	}

	// A rerun is answered from the store, with the stored seconds.
	cells2, rows2, stats2, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stats2.Traced != 0 || stats2.Cached != 16 || len(rows2) != len(rows) {
		t.Fatalf("rerun stats %+v", stats2)
	}
	for i := range rows {
		if rows2[i] != rows[i] {
			t.Fatalf("rerun row %d: %+v, first run %+v", i, rows2[i], rows[i])
		}
	}
	for k, v := range cells {
		if cells2[k]["256"] != v["256"] {
			t.Fatalf("rerun cell %s: %v vs %v", k, cells2[k], v)
		}
	}
	// Another K changes TracLLM's search: its traces are new; AttnTrace's
	// options are unchanged but K is part of every key, so all are new.
	cfg.Bench.K = 3
	if _, _, stats3, err := Run(context.Background(), cfg); err != nil || stats3.Traced != 16 {
		t.Fatalf("K=3: stats %+v, %v", stats3, err)
	}
}

// Against longctx's own server the log-probability methods run from
// prompt log-probabilities and give the local values' ranking; methods
// that need attention are refused by name.
func TestEndpoint(t *testing.T) {
	e := defaultEngine(t)
	srv, err := server.New(e, server.Config{KVType: "f32", Ctx: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	o := trace.BenchOptions{Lengths: []int{256}, Cases: 1, Kinds: []string{"needle", "inject"}, Methods: []string{"stc"}, K: 2}
	ep := &Endpoint{E: &trace.Endpoint{BaseURL: hs.URL, Model: "longctx"}}
	cells, rows, stats, err := Run(context.Background(), Config{Tracer: ep, Count: tokenCount(e), Store: openStore(t), Bench: o})
	if err != nil {
		t.Fatal(err)
	}
	local, err := trace.Bench(context.Background(), &trace.Local{Model: e.Model, Tok: e.Tokenizer}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Traced != 2 || len(rows) != 2 || len(cells) != 4 {
		t.Fatalf("stats %+v, rows %+v, cells %v", stats, rows, cells)
	}
	for i, r := range rows {
		if math.Abs(r.PrecisionAt1-local[i].PrecisionAt1) > 0 || r.PassesPerTrace != local[i].PassesPerTrace {
			t.Fatalf("endpoint row %+v, local %+v", r, local[i])
		}
	}
	if !strings.HasPrefix(ep.Name(), "trace-endpoint:http://") {
		t.Fatalf("name %q", ep.Name())
	}
	o.Methods = []string{"attntrace"}
	_, _, _, err = Run(context.Background(), Config{Tracer: ep, Count: tokenCount(e), Store: openStore(t), Bench: o})
	if err == nil || !strings.Contains(err.Error(), "needs the model's attention") {
		t.Fatalf("attntrace on an endpoint: %v", err)
	}
}
