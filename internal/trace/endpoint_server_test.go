package trace_test

// External tests: they run longctx's server, which imports trace.

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/longctx/longctx/internal/server"
	"github.com/longctx/longctx/internal/trace"
)

// The logprob-only mode against longctx's own server gives the values the
// local model gives, so TracLLM ranks the same.
func TestEndpointMatchesLocal(t *testing.T) {
	e := trace.DefaultEngineForTest(t)
	srv, err := server.New(e, server.Config{KVType: "f32", Ctx: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	p := trace.RecordProblemForTest(t, 4, 90, "words:15")
	ep := &trace.Endpoint{BaseURL: hs.URL + "/v1", Model: "longctx"}
	l := &trace.Local{Model: e.Model, Tok: e.Tokenizer}
	b, err := l.Bind(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, keep := range [][]int{p.All(), {1, 3}} {
		local, _ := b.Value(ctx, keep)
		remote, err := ep.Value(p)(ctx, keep)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(local-remote) > 2e-3*(1+math.Abs(local)) {
			t.Fatalf("keep %v: local %g, endpoint %g", keep, local, remote)
		}
	}
	rl, _ := trace.TracLLM(ctx, b.Value, len(p.Segments), trace.TracLLMOptions{Score: "stc", K: 3})
	ep = &trace.Endpoint{BaseURL: hs.URL, Model: "longctx"}
	re, err := trace.RunValue(ctx, ep.Value(p), len(p.Segments), "stc", trace.TracLLMOptions{K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rl.Ranking(), re.Ranking(); len(a) != len(b) || a[0] != b[0] {
		t.Fatalf("STC rankings: local %v, endpoint %v", a, b)
	}
	if re.Passes != ep.Calls() {
		t.Fatalf("%d passes, %d requests", re.Passes, ep.Calls())
	}
	if _, err := trace.RunValue(ctx, ep.Value(p), len(p.Segments), "attntrace", trace.TracLLMOptions{}); err == nil {
		t.Fatal("attntrace over an endpoint accepted")
	}
}
