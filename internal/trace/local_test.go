package trace

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/curriculum"
	"github.com/longctx/longctx/internal/engine"
	"github.com/longctx/longctx/internal/engine/enginetest"
	"github.com/longctx/longctx/internal/kv"
	"github.com/longctx/longctx/internal/sample"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/trace/observe"
)

// defaultEngine is the embedded default model (a real vocabulary and a
// model that reads its document).
func defaultEngine(t testing.TB) *engine.Engine { return enginetest.Default(t) }

// recordProblem is a short curriculum document with its question and
// gold answer.
func recordProblem(t testing.TB, index, words int, spec string) *Problem {
	t.Helper()
	s, err := curriculum.New(99).Make("record", index, words)
	if err != nil {
		t.Fatal(err)
	}
	k := strings.LastIndex(s.Prompt, "\n\nQuestion: ")
	q := strings.TrimSuffix(s.Prompt[k+len("\n\nQuestion: "):], "\nAnswer:")
	p, err := NewProblem(s.Prompt[:k], spec, q, strings.TrimSpace(s.Answer), Template{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLayoutMapsTokensToSegments(t *testing.T) {
	e := defaultEngine(t)
	p := recordProblem(t, 0, 120, "words:15")
	if p.Answer[0] != ' ' {
		t.Fatalf("answer %q did not get its joining space", p.Answer)
	}
	ans, err := answerTokens(e.Tokenizer, p)
	if err != nil {
		t.Fatal(err)
	}
	var spelled string
	for _, id := range ans {
		piece, _ := e.Tokenizer.Piece(id, false)
		spelled += string(piece)
	}
	if spelled != p.Answer {
		t.Fatalf("answer tokens spell %q, want %q", spelled, p.Answer)
	}
	for _, keep := range [][]int{p.All(), {1, 4, 5}, {}} {
		lay, err := buildLayout(e.Tokenizer, p, keep, ans)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := p.Prompt(keep)
		whole, _ := e.Tokenizer.Encode(text+p.Answer, true, false)
		if len(whole) != len(lay.tokens) {
			t.Fatalf("keep %v: layout has %d tokens, the prompt and answer encode to %d", keep, len(lay.tokens), len(whole))
		}
		for k, i := range keep {
			s := lay.segs[k]
			got, _ := e.Tokenizer.Decode(lay.tokens[s.From:s.To], false, false)
			if strings.Join(strings.Fields(string(got)), " ") != strings.Join(strings.Fields(p.Segments[i].Text), " ") {
				t.Fatalf("keep %v: tokens of segment %d decode to %q, want %q", keep, i, got, p.Segments[i].Text)
			}
			if k > 0 && s.From != lay.segs[k-1].To {
				t.Fatalf("segment spans %v are not contiguous", lay.segs)
			}
		}
		if lay.prompt != len(lay.tokens)-len(ans) {
			t.Fatalf("prompt %d of %d tokens with %d answer tokens", lay.prompt, len(lay.tokens), len(ans))
		}
	}
}

// Bound.Value against one unchunked forward pass and a float64 log-softmax.
func TestValueMatchesFullForward(t *testing.T) {
	e := defaultEngine(t)
	p := recordProblem(t, 1, 100, "words:20")
	l := &Local{Model: e.Model, Tok: e.Tokenizer, Ubatch: 7}
	b, err := l.Bind(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range [][]int{p.All(), {0, 2}, {}} {
		got, err := b.Value(context.Background(), keep)
		if err != nil {
			t.Fatal(err)
		}
		lay, _ := b.layout(keep)
		c, _ := e.Model.NewCache(len(lay.tokens), tensor.F32)
		logits, err := e.Model.Forward(lay.tokens, 0, c, true)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.0
		V := e.Model.Config.Vocab
		for i := lay.prompt; i < len(lay.tokens); i++ {
			row := logits[(i-1)*V : i*V]
			var z float64
			for _, x := range row {
				z += math.Exp(float64(x))
			}
			want += float64(row[lay.tokens[i]]) - math.Log(z)
		}
		// Chunks of 7 against one pass: the quantized matmul kernels sum
		// in another order, and a last-bit difference that lands on a
		// rounding tie of the Q8_0 activations moves one quant (measured
		// 0.026 on this sum); an off-by-one row would be nats off.
		if math.Abs(got-want) > 0.1 {
			t.Fatalf("keep %v: Value %g, full forward %g", keep, got, want)
		}
	}
	// Masking every head changes the value; an empty mask does not.
	var all []observe.Head
	for ly := 0; ly < e.Model.Config.Layers; ly++ {
		for h := 0; h < e.Model.Config.Heads; h++ {
			all = append(all, observe.Head{Layer: ly, Head: h})
		}
	}
	v0, _ := b.Value(context.Background(), p.All())
	l.Mask = all
	v1, err := b.Value(context.Background(), p.All())
	if err != nil {
		t.Fatal(err)
	}
	l.Mask = nil
	v2, _ := b.Value(context.Background(), p.All())
	if v1 == v0 || v2 != v0 {
		t.Fatalf("values %g (plain), %g (all heads masked), %g (mask removed)", v0, v1, v2)
	}
}

func TestGenerateMatchesEngine(t *testing.T) {
	e := defaultEngine(t)
	p := recordProblem(t, 2, 80, "sentence")
	l := &Local{Model: e.Model, Tok: e.Tokenizer, Ubatch: 16}
	ids, err := l.GenerateAnswer(context.Background(), p, 12)
	if err != nil {
		t.Fatal(err)
	}
	prompt, _ := p.Prompt(p.All())
	var out strings.Builder
	req := engine.Request{Prompt: prompt, MaxTokens: 12, KVType: tensor.F32, Sampling: sample.DefaultParams(1), Stop: []string{"\n"}}
	req.Sampling.Temperature = 0
	if _, err := e.Generate(context.Background(), req, func(s string) error { out.WriteString(s); return nil }); err != nil {
		t.Fatal(err)
	}
	if p.Answer != out.String() || len(ids) == 0 {
		t.Fatalf("trace generated %q (%d tokens), the engine %q", p.Answer, len(ids), out.String())
	}
}

func TestAttnTraceAndCAMOnModel(t *testing.T) {
	e := defaultEngine(t)
	p := recordProblem(t, 3, 150, "words:20")
	l := &Local{Model: e.Model, Tok: e.Tokenizer}
	b, err := l.Bind(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := AttnTraceOptions{Rounds: 4, Seed: 11}
	r1, err := AttnTrace(ctx, b, o)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := AttnTrace(ctx, b, o)
	for i := range r1.Scores {
		if r1.Scores[i] != r2.Scores[i] || r1.Scored[i] != r2.Scored[i] {
			t.Fatalf("seeded AttnTrace differs: %v vs %v", r1.Scores, r2.Scores)
		}
		if r1.Scored[i] && (r1.Scores[i] <= 0 || r1.Scores[i] > 1) {
			t.Fatalf("segment %d: attention score %g outside (0, 1]", i, r1.Scores[i])
		}
	}
	if r1.Passes != 4 || l.Passes() != 8 {
		t.Fatalf("passes %d (model %d), want 4 per run", r1.Passes, l.Passes())
	}

	cam, err := CAM(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	n := len(p.Segments)
	if cam.Passes != 1+n {
		t.Fatalf("CAM ran %d passes, want 1 + %d", cam.Passes, n)
	}
	for _, dist := range [][]float64{cam.Scores, cam.Components["attention"], cam.Components["importance"]} {
		s := 0.0
		for _, x := range dist {
			if x < 0 {
				t.Fatalf("negative share in %v", dist)
			}
			s += x
		}
		if math.Abs(s-1) > 1e-9 {
			t.Fatalf("distribution %v sums to %g", dist, s)
		}
	}
	if a := cam.Summary["awareness"]; !(a > 0 && a <= 1+1e-12) {
		t.Fatalf("awareness %g", a)
	}
	// The importance of segment i is the softmax of its mean log-probability alone.
	v0, _ := b.Value(ctx, []int{0})
	v1, _ := b.Value(ctx, []int{1})
	imp := cam.Components["importance"]
	if want := (v0 - v1) / float64(b.AnswerTokens()); math.Abs(math.Log(imp[0]/imp[1])-want) > 1e-9 {
		t.Fatalf("importance ratio log %g, want %g", math.Log(imp[0]/imp[1]), want)
	}
}

// Passes run concurrently give the scores and pass counts of passes run
// one after another, for AttnTrace and every TracLLM score function.
func TestConcurrentPassesMatchSequential(t *testing.T) {
	e := defaultEngine(t)
	p := recordProblem(t, 5, 200, "words:20")
	ctx := context.Background()
	for _, method := range []string{"attntrace", "tracllm", "denoised", "loo", "stc"} {
		var got [2]*Result
		for i, workers := range []int{1, 3} {
			l := &Local{Model: e.Model, Tok: e.Tokenizer}
			b, err := l.Bind(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			o := Options{AttnTrace: AttnTraceOptions{Rounds: 6, Seed: 3, Workers: workers}, TracLLM: TracLLMOptions{K: 2, Permutations: 4, Seed: 3, Workers: workers}}
			if got[i], err = Run(ctx, b, method, o); err != nil {
				t.Fatal(err)
			}
			if got[i].Passes != l.Passes() && method != "attntrace" {
				t.Fatalf("%s: result says %d passes, the model ran %d", method, got[i].Passes, l.Passes())
			}
		}
		if !slices.Equal(got[0].Scores, got[1].Scores) || !slices.Equal(got[0].Scored, got[1].Scored) || got[0].Passes != got[1].Passes {
			t.Fatalf("%s: one at a time %v (%d passes), three at a time %v (%d passes)", method, got[0].Scores, got[0].Passes, got[1].Scores, got[1].Passes)
		}
	}
}

// The free list of caches stays bounded by Concurrency whatever the
// lengths of the passes, and a too-small cache is never handed out.
func TestCacheFreeListBounded(t *testing.T) {
	e := defaultEngine(t)
	l := &Local{Model: e.Model, Tok: e.Tokenizer}
	var held []*kv.Contiguous
	for _, n := range []int{10, 50, 20, 80, 30, 200, 40, 100} {
		c, err := l.newCache(n)
		if err != nil {
			t.Fatal(err)
		}
		if c.Capacity() < n || c.Len() != 0 {
			t.Fatalf("cache of %d positions (%d stored) for %d", c.Capacity(), c.Len(), n)
		}
		held = append(held, c)
		if len(held) == 3 {
			for _, c := range held {
				l.release(c)
			}
			held = held[:0]
		}
		if len(l.free) > l.Concurrency() {
			t.Fatalf("%d free caches, concurrency %d", len(l.free), l.Concurrency())
		}
	}
}
