package train

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
	"github.com/longctx/longctx/internal/model"
	"github.com/longctx/longctx/internal/tensor"
	"github.com/longctx/longctx/internal/tokenizer"
)

func TestRecipesValid(t *testing.T) {
	for name := range Recipes {
		if _, err := LoadRecipe(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := LoadRecipe("no-such-recipe"); err == nil {
		t.Error("unknown recipe accepted")
	}
	// Export settings are checked when the recipe loads, not after the run.
	for _, set := range []func(*Recipe){
		func(r *Recipe) { r.ExportType = "bogus" },
		func(r *Recipe) { r.ExportType = "q4_k" },
		func(r *Recipe) { r.RopeScaling = "bogus" },
		func(r *Recipe) { r.RopeScaling, r.RopeFactor = "yarn", 0 },
		func(r *Recipe) { r.RopeScaling, r.RopeFactor = "linear", float32(math.NaN()) },
	} {
		r := Recipes["smoke"]
		set(&r)
		if r.Validate() == nil {
			t.Errorf("export %q, rope %q x%g accepted", r.ExportType, r.RopeScaling, r.RopeFactor)
		}
	}
	// A second JSON value after the recipe is not silently ignored.
	b, err := json.Marshal(Recipes["smoke"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRecipe(append(b, ` {"x":1}`...)); err == nil || !strings.Contains(err.Error(), "more data") {
		t.Errorf("trailing JSON: %v", err)
	}
	// A vocabulary larger than the curriculum's text can fill.
	r := Recipes["smoke"]
	r.VocabSize = 1 << 16
	if _, err := r.BuildVocab(); err == nil {
		t.Error("vocab_size 65536 built")
	}
	for _, v := range []float64{-1, 1.5} {
		r := Recipes["smoke"]
		r.Variety = v
		if r.Validate() == nil {
			t.Errorf("recipe variety %v accepted", v)
		}
		r = Recipes["smoke"]
		r.Stages = []Stage{{Until: 30, MinTokens: 64, MaxTokens: 256, Variety: v}}
		if r.Validate() == nil {
			t.Errorf("stage variety %v accepted", v)
		}
	}
}

// Further growths follow the first in step order at block indices of the
// model as it then is; ConfigAt counts them.
func TestRegrow(t *testing.T) {
	r := Recipes["smoke"] // 2 layers, 30 steps
	r.Grow = Growth{At: 10, Insert: 1}
	r.Regrow = []Growth{{At: 20, Insert: 3}}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for steps, want := range map[int]int{0: 2, 10: 2, 11: 3, 20: 3, 21: 4, 30: 4} {
		if got := r.ConfigAt(steps).Layers; got != want {
			t.Errorf("ConfigAt(%d): %d layers, want %d", steps, got, want)
		}
	}
	for _, g := range []Growth{{At: 10, Insert: 1}, {At: 20, Insert: 4}, {At: 30, Insert: 0}} {
		bad := r
		bad.Regrow = []Growth{g}
		if bad.Validate() == nil {
			t.Errorf("regrow %+v accepted", g)
		}
	}
	bad := r
	bad.Grow = Growth{}
	if bad.Validate() == nil {
		t.Error("regrow without grow accepted")
	}
}

// TestSmokeRecipe runs the smoke recipe's data, a few steps, and the
// export: the GGUF's tokenizer encodes as the training one did and the
// model loads.
func TestSmokeRecipe(t *testing.T) {
	r := Recipes["smoke"]
	v, tok := recipeTokenizer(t, r)
	data := r.Data(tok)
	a, err := data(3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := data(3)
	n := 0
	for i, e := range a {
		n += len(e.Tokens)
		if len(e.Tokens) > r.Stages[0].MaxTokens {
			t.Errorf("example %d has %d tokens, over the stage's %d", i, len(e.Tokens), r.Stages[0].MaxTokens)
		}
		if e.Tokens[0] != tok.BOS() || e.Tokens[len(e.Tokens)-1] != tok.EOS() {
			t.Errorf("example %d does not run from BOS to EOS", i)
		}
		if len(b[i].Tokens) != len(e.Tokens) {
			t.Fatal("the same step gave different batches")
		}
	}
	if n < r.BatchTokens {
		t.Errorf("batch of %d tokens, want >= %d", n, r.BatchTokens)
	}
	h := r.Hyper
	h.Steps = 3
	tr, err := NewTrainer(r.Config(), h, r.Seed, data)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, tr, 3)
	var buf bytes.Buffer
	if _, err := tr.Model.WriteGGUF(&buf, v, ExportOptions{Type: tensor.Q8_0, RopeScaling: "yarn", RopeFactor: 4}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Load(f); err != nil {
		t.Fatal(err)
	}
	ftok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	text := "The pass key is 12345. What is the pass key?\nAnswer: 12345"
	x, _ := tok.Encode(text, true, false)
	y, _ := ftok.Encode(text, true, false)
	if len(x) != len(y) {
		t.Fatalf("exported tokenizer differs: %v vs %v", x, y)
	}
}

func TestTokenizeMarksAnswer(t *testing.T) {
	v, err := TrainVocab(vocabText, 300)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := v.Tokenizer()
	e, err := Tokenize(tok, "the key is 8812734.\nAnswer:", " 8812734", 0.1)
	if err != nil {
		t.Fatal(err)
	}
	var ans []string
	for i, w := range e.Weight {
		if w == 1 {
			ans = append(ans, tok.Token(e.Tokens[i]))
		}
	}
	// "▁", 7 digits, then </s>.
	if got := strings.Join(ans, "|"); got != "▁|8|8|1|2|7|3|4|</s>" {
		t.Fatalf("answer tokens %s", got)
	}
	if e.Weight[0] != 0 || e.Weight[1] != 0.1 {
		t.Fatalf("BOS weight %g, first document token %g", e.Weight[0], e.Weight[1])
	}
}

func TestPlotLoss(t *testing.T) {
	losses := []float32{5, 4, 3.5, 3, 2, 2.5, 1, 0.5}
	var buf bytes.Buffer
	if err := PlotLoss(&buf, losses, 320, 200); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 200 {
		t.Fatalf("size %v", b)
	}
	// The first point (loss 5 = the top) is at the top-left of the plot
	// area, the last (0.5) near the bottom-right, both in the curve colour.
	isCurve := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return b>>8 > 150 && r>>8 < 100 && g>>8 < 120
	}
	if !isCurve(24, 24) {
		t.Error("no curve at the first point (24,24)")
	}
	// Plot area is 152 px high; loss 0.5 of 5 is 15 px above the axis.
	if r, g, b, _ := img.At(320-24, 200-24-15).RGBA(); r>>8 == 255 && g>>8 == 255 && b>>8 == 255 {
		t.Error("nothing drawn at the last point")
	}
	if r, g, b, _ := img.At(100, 190).RGBA(); r>>8 != 255 || g>>8 != 255 || b>>8 != 255 {
		t.Error("margin is not white")
	}
	var csv bytes.Buffer
	WriteLossCSV(&csv, losses[:2])
	if csv.String() != "step,loss\n1,5\n2,4\n" {
		t.Fatalf("csv %q", csv.String())
	}
}

// TestCopyTokens: every target repeats the token one run earlier, runs
// repeat at least once, and the example depends only on (seed, index).
func TestCopyTokens(t *testing.T) {
	r := Recipes["smoke"]
	v, err := TrainVocab(vocabText, 300)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := v.Tokenizer()
	for index := range 50 {
		n := 16 + index*7
		e := r.copyTokens(tok, index, n)
		if len(e.Tokens) > n || e.Tokens[0] != tok.BOS() {
			t.Fatalf("index %d: %d tokens (max %d), first %d", index, len(e.Tokens), n, e.Tokens[0])
		}
		// The run's length: the sequence's smallest period of 4 or more.
		k := 4
		for k < len(e.Tokens) && !slices.Equal(e.Tokens[1+k:], e.Tokens[1:len(e.Tokens)-k]) {
			k++
		}
		targets := 0
		for i, w := range e.Weight {
			if w == 0 {
				continue
			}
			targets++
			if i-k < 1 || e.Tokens[i] != e.Tokens[i-k] || e.Tokens[i] < 3 || int(e.Tokens[i]) >= r.VocabSize {
				t.Fatalf("index %d: target %d (id %d) does not repeat position %d", index, i, e.Tokens[i], i-k)
			}
		}
		if targets < k-1 {
			t.Fatalf("index %d: %d targets for a run of %d", index, targets, k)
		}
		if again := r.copyTokens(tok, index, n); !slices.Equal(again.Tokens, e.Tokens) {
			t.Fatalf("index %d: not reproducible", index)
		}
	}
}

// TestProbe: a model whose output layer is rigged to predict every next
// token of one example scores it correct, and an untrained model scores
// (almost) nothing; examples are reproducible.
func TestProbe(t *testing.T) {
	r := Recipes["smoke"]
	_, tok := recipeTokenizer(t, r)
	p, err := r.NewProbe(tok, 3, 128)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := r.NewProbe(tok, 3, 128)
	if len(p.Tasks) != len(r.Tasks) {
		t.Fatalf("probe tasks %v, recipe %v", p.Tasks, r.Tasks)
	}
	for _, task := range p.Tasks {
		for i, e := range p.examples[task] {
			if !slices.Equal(e.Tokens, q.examples[task][i].Tokens) {
				t.Fatalf("%s example %d not reproducible", task, i)
			}
		}
	}
	e := p.examples[p.Tasks[0]][0]
	V := r.VocabSize
	logits := make([]float32, len(e.Tokens)*V)
	for i := 1; i < len(e.Tokens); i++ {
		logits[(i-1)*V+int(e.Tokens[i])] = 1
	}
	if !answerIsArgmax(e, logits, V) {
		t.Fatal("perfect logits scored wrong")
	}
	for i := 1; i < len(e.Tokens)-1; i++ {
		if e.Weight[i] == 1 {
			logits[(i-1)*V+int(e.Tokens[i])] = 0
			break
		}
	}
	if answerIsArgmax(e, logits, V) {
		t.Fatal("a wrong answer token scored right")
	}
	m, _ := NewModel(r.Config(), 1)
	res, err := p.Run(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res {
		if x.Total != 3 || x.Correct > 1 {
			t.Errorf("untrained model: %+v", x)
		}
	}
	if s := FormatProbe(res); !strings.Contains(s, "exact:") {
		t.Errorf("summary %q", s)
	}
}

// recipeTokenizer builds r's vocabulary and its tokenizer.
func recipeTokenizer(t *testing.T, r Recipe) (*Vocab, *tokenizer.Tokenizer) {
	t.Helper()
	v, err := r.BuildVocab()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	return v, tok
}

// A recipe file is user input: whatever it holds, parsing and what the
// trainer asks of a valid recipe (schedule, shapes, growths) return
// errors rather than panic.
func FuzzParseRecipe(f *testing.F) {
	for _, name := range []string{"smoke", "default"} {
		b, err := json.Marshal(Recipes[name])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"hyper":{"steps":10,"later":[{"at":0}]},"regrow":[{"at":-1,"insert":99}]}`))
	bad := Recipes["smoke"]
	bad.Hyper.MinLRRatio = -3
	if b, err := json.Marshal(bad); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecipe(b)
		if err != nil {
			return
		}
		for _, s := range []int{0, 1, r.Hyper.Steps / 2, r.Hyper.Steps - 1, r.Hyper.Steps} {
			if lr := r.Hyper.LRAt(s); math.IsNaN(lr) || lr < 0 {
				t.Fatalf("step %d: learning rate %v", s, lr)
			}
			if err := r.ConfigAt(s).Validate(); err != nil {
				t.Fatalf("step %d: shape %v", s, err)
			}
		}
		_ = r.Growths()
	})
}
