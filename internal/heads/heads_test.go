package heads

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/engine/enginetest"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/trace"
	"github.com/longctx/longctx/internal/trace/observe"
)

func TestScoreStep(t *testing.T) {
	tokens := []int32{1, 50, 60, 70, 60, 80, 9}
	needle := kv.Span{From: 2, To: 6} // 60 70 60 80
	acc := [][]float64{{0, 0}, {0, 0}}
	argmax := [][]int{
		{2, 3},  // layer 0: head 0 on a 60, head 1 on the 70
		{4, -1}, // layer 1: head 0 on the second 60, head 1 unobserved
	}
	scoreStep(argmax, needle, tokens, 60, acc)
	scoreStep([][]int{{1, 6}, {5, 2}}, needle, tokens, 80, acc) // 50 and 9 are outside; 80 hits; 60 != 80
	want := [][]float64{{0.25, 0}, {0.5, 0}}
	if !reflect.DeepEqual(acc, want) {
		t.Fatalf("scores %v, want %v", acc, want)
	}
}

func TestNeedleRecall(t *testing.T) {
	needle := "The best thing to do in Elmstead is share a warm loaf."
	tests := []struct {
		out  string
		want float64
	}{
		{" The best thing to do in Elmstead is share a warm loaf.", 1},
		{" share a warm loaf", 0.3}, // articles dropped: 3 of the needle's 10 words
		{"nothing", 0},
	}
	for _, tc := range tests {
		if got := needleRecall(tc.out, needle); got != tc.want {
			t.Errorf("recall(%q) = %g, want %g", tc.out, got, tc.want)
		}
	}
}

// A sample counts as retrieved by the paper's recall test or by the
// accuracy's gold phrases: the number alone is a correct answer to a
// number needle, though it is a quarter of the needle's words.
func TestRetrieved(t *testing.T) {
	num, kam := NumberNeedles[2], DefaultNeedles[2]
	for _, tc := range []struct {
		out    string
		needle Needle
		want   bool
	}{
		{" 2685904.", num, true},
		{" 72685904.", num, true}, // as the accuracy check: the gold is in it
		{" 2685903.", num, false},
		{" share a warm loaf and sit in Corwin Park", kam, true},
		{" The best thing to do in Elmstead is share a warm loaf and sit in a park", kam, true}, // recall, one gold missing
		{" Corwin Park", kam, false},
	} {
		if got := retrieved(tc.out, tc.needle); got != tc.want {
			t.Errorf("retrieved(%q) = %v, want %v", tc.out, got, tc.want)
		}
	}
}

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"5%", 1}, {"10%", 2}, {"50%", 12}, {"3", 3}, {"24", 24}} {
		if got, err := ParseCount(tc.in, 24); err != nil || got != tc.want {
			t.Errorf("ParseCount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"0", "25", "x", "0%", "101%", "-1"} {
		if _, err := ParseCount(bad, 24); err == nil {
			t.Errorf("ParseCount(%q) accepted", bad)
		}
	}
}

func testReport() *Report {
	r := &Report{Layers: 3, HeadsPerLayer: 4}
	scores := []float64{0.9, 0.5, 0.3, 0.12, 0.08, 0.05, 0.02, 0.01, 0, 0, 0, 0}
	for i, s := range scores {
		r.Heads = append(r.Heads, HeadScore{Layer: (i * 5) % 3, Head: (i * 7) % 4, Score: s})
	}
	return r
}

func TestResolveMask(t *testing.T) {
	g := observe.Geometry{Layers: 3, Heads: 4, KVHeads: 2, HeadDim: 8}
	hs, err := ResolveMask("2:1, 0:3", "", false, 0, g)
	if err != nil || !reflect.DeepEqual(hs, []observe.Head{{Layer: 2, Head: 1}, {Layer: 0, Head: 3}}) {
		t.Fatalf("list: %v, %v", hs, err)
	}
	path := filepath.Join(t.TempDir(), "heads.json")
	r := testReport()
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	top, err := ResolveMask(path, "25%", false, 0, g)
	if err != nil || !reflect.DeepEqual(top, r.Top(3)) || top[0] != (observe.Head{Layer: 0, Head: 0}) {
		t.Fatalf("top 25%% of 12: %v, %v", top, err)
	}
	rnd, err := ResolveMask(path, "3", true, 7, g)
	if err != nil || len(rnd) != 3 {
		t.Fatalf("random: %v, %v", rnd, err)
	}
	again, _ := ResolveMask(path, "3", true, 7, g)
	if !reflect.DeepEqual(rnd, again) {
		t.Fatal("the same seed drew other heads")
	}
	retrieval := map[observe.Head]bool{}
	for _, h := range r.Heads[:4] { // top 3 and the 0.12 head are excluded
		retrieval[observe.Head{Layer: h.Layer, Head: h.Head}] = true
	}
	for _, h := range rnd {
		if retrieval[h] {
			t.Fatalf("random heads %v include a top or retrieval head", rnd)
		}
	}
	for _, bad := range []struct {
		spec   string
		random bool
		g      observe.Geometry
	}{
		{"3:x", false, g}, {"no-such-file.json", true, g}, {"3:0", false, g}, {"0:4", false, g},
		{path, false, observe.Geometry{Layers: 4, Heads: 4, KVHeads: 2, HeadDim: 8}},
	} {
		if _, err := ResolveMask(bad.spec, "", bad.random, 0, bad.g); err == nil {
			t.Errorf("ResolveMask(%q, random=%v) accepted", bad.spec, bad.random)
		}
	}
	for name, body := range map[string]string{
		"notjson.json":  "{",
		"unranked.json": `{"layers":1,"heads_per_layer":2,"heads":[{"layer":0,"head":0,"score":0.1},{"layer":0,"head":1,"score":0.5}]}`,
		"outside.json":  `{"layers":1,"heads_per_layer":2,"heads":[{"layer":1,"head":0,"score":0.1}]}`,
		"empty.json":    `{"layers":1,"heads_per_layer":2,"heads":[]}`,
	} {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Load(p); err == nil {
			t.Errorf("Load accepted %s", name)
		}
	}
}

func defaultLocal(t *testing.T) (*engine.Engine, *trace.Local) {
	t.Helper()
	e := enginetest.Default(t)
	return e, &trace.Local{Model: e.Model, Tok: e.Tokenizer}
}

func TestDetectOnModel(t *testing.T) {
	e, l := defaultLocal(t)
	o := Options{Lengths: []int{300}, Depths: []int{50}, Needles: DefaultNeedles[:1], MaxNew: 10, Seed: 3, KeepAll: true}
	samples, err := Samples(l, o)
	if err != nil {
		t.Fatal(err)
	}
	s := samples[0]
	if got, _ := e.Tokenizer.Decode(s.Tokens[s.Span.From:s.Span.To], false, false); strings.TrimSpace(string(got)) != DefaultNeedles[0].Fact {
		t.Fatalf("needle tokens decode to %q", got)
	}
	if len(s.Tokens) > 300 || len(s.Tokens) < 200 {
		t.Fatalf("a 300-token cell gave %d prompt tokens", len(s.Tokens))
	}
	var outputs []string
	rep, err := Detect(context.Background(), l, "default", o, func(done, total int, out string) { outputs = append(outputs, out) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Samples != 1 || rep.Kept != 1 || len(outputs) != 1 || len(rep.Heads) != e.Model.Config.Layers*e.Model.Config.Heads || len(rep.Raw) != len(rep.Heads) {
		t.Fatalf("report %+v", rep)
	}
	for i, h := range rep.Heads {
		if h.Score < 0 || h.Score > 1 || (i > 0 && h.Score > rep.Heads[i-1].Score) {
			t.Fatalf("heads not ranked or out of [0,1]: %+v", rep.Heads)
		}
	}
	again, _ := Detect(context.Background(), l, "default", o, nil)
	if !reflect.DeepEqual(rep.Heads, again.Heads) {
		t.Fatal("detection is not reproducible")
	}
	// Without KeepAll only correct retrievals count.
	o.KeepAll = false
	strict, _ := Detect(context.Background(), l, "default", o, nil)
	if wantKept := retrieved(outputs[0], DefaultNeedles[0]); (strict.Kept == 1) != wantKept {
		t.Fatalf("kept %d samples for the output %q", strict.Kept, outputs[0])
	}

	mask := []observe.Head{{Layer: 0, Head: 0}}
	l.Mask = mask
	acc, err := Accuracy(context.Background(), l, o, nil)
	if err != nil || acc < 0 || acc > 1 || !reflect.DeepEqual(l.Mask, mask) {
		t.Fatalf("accuracy %g, %v; mask afterwards %v", acc, err, l.Mask)
	}
}

func TestNewCacheFunc(t *testing.T) {
	e, _ := defaultLocal(t)
	hs := []observe.Head{{Layer: 1, Head: 2}}
	c, err := NewCacheFunc(e.Model, tensor.F16, hs, observe.MaskUniform)(64)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := c.(*observe.Mask)
	if !ok || !reflect.DeepEqual(m.Heads(), hs) || c.Capacity() != 64 {
		t.Fatalf("cache %T", c)
	}
}
