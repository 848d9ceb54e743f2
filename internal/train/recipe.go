package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/curriculum"
	"github.com/longctx/longctx/internal/tokenizer"
)

// Stage is a span of steps with its own range of sequence lengths.
type Stage struct {
	Until     int `json:"until"`      // stage runs up to (excluding) this step
	MinTokens int `json:"min_tokens"` // sequence lengths drawn uniformly in [MinTokens, MaxTokens]
	MaxTokens int `json:"max_tokens"`
	// Tasks, when set, replaces the recipe's task weights in this stage.
	Tasks map[string]float64 `json:"tasks,omitempty"`
	// Variety, when positive, replaces the recipe's Variety in this stage.
	Variety float64 `json:"variety,omitempty"`
}

// ScalingAt is the RoPE scaling step trains under.
func (r Recipe) ScalingAt(step int) (typ string, factor float32) {
	if r.ScaledRopeFrom > 0 && step >= r.ScaledRopeFrom {
		return r.RopeScaling, r.RopeFactor
	}
	return "none", 1
}

// variety is the curriculum variety of stage st.
func (r Recipe) variety(st Stage) float64 {
	if st.Variety > 0 {
		return st.Variety
	}
	return r.Variety
}

// Recipe describes a whole run: model shape, vocabulary, optimisation,
// data mix and length curriculum, and how to export.
type Recipe struct {
	Name      string `json:"name"`
	Model     Config `json:"model"` // Vocab is set from VocabSize
	VocabSize int    `json:"vocab_size"`
	VocabSeed uint64 `json:"vocab_seed"` // curriculum seed of the vocabulary text
	// DigitPairs makes the last 100 of the VocabSize pieces the two-digit
	// pieces "00".."99" (Vocab.AddDigitPairs); the rest are learned as
	// without them.
	DigitPairs  bool               `json:"digit_pairs,omitempty"`
	Hyper       Hyper              `json:"hyper"`
	Seed        uint64             `json:"seed"`
	BatchTokens int                `json:"batch_tokens"` // tokens per step (whole sequences, packed)
	Stages      []Stage            `json:"stages"`
	Tasks       map[string]float64 `json:"tasks"` // curriculum task → sampling weight
	// DocWeight is the loss weight of document tokens (next-token
	// prediction over the prompt); answer tokens weigh 1.
	DocWeight float32 `json:"doc_weight"`
	// Variety is the chance that a sample's filler, word keys and names
	// are invented words rather than the word lists' (curriculum
	// WithVariety); the vocabulary is always trained on plain text.
	Variety     float64 `json:"variety,omitempty"`
	ExportType  string  `json:"export_type"`  // f32, f16 or q8_0
	RopeScaling string  `json:"rope_scaling"` // none, linear or yarn (written at export)
	RopeFactor  float32 `json:"rope_factor"`
	// ScaledRopeFrom, when positive, trains from this step on under the
	// RoPE scaling the export declares, so that the file's short contexts
	// run under the rotation the model last trained with. (On the default
	// recipe's second phase under YaRN x4 it raised 1K-2K accuracy but
	// lost 4K-8K, where positions reach angles the model no longer trained
	// on, so the default recipe does not use it.)
	ScaledRopeFrom int `json:"scaled_rope_from,omitempty"`
	CheckpointEv   int `json:"checkpoint_every"` // steps between checkpoints
	// Grow, when its At is set, inserts a block into the model before
	// that step (Model.Layers is the shape before).
	Grow Growth `json:"grow,omitzero"`
	// Regrow are further blocks inserted after Grow's, in step order.
	Regrow []Growth `json:"regrow,omitempty"`
}

// Growths are the recipe's block insertions in step order.
func (r Recipe) Growths() []Growth {
	if r.Grow.At == 0 {
		return nil
	}
	return append([]Growth{r.Grow}, r.Regrow...)
}

// Recipes are the built-in recipes.
var Recipes = map[string]Recipe{
	// smoke: seconds on 2 cores; checks the whole pipeline.
	"smoke": {
		Name:      "smoke",
		Model:     Config{Embd: 64, Layers: 2, Heads: 2, KVHeads: 1, FFN: 128, Ctx: 512, RopeBase: 10000, RMSEps: 1e-5, Tied: true},
		VocabSize: 512, VocabSeed: 9001, Seed: 1,
		Hyper:       Hyper{LR: 2e-3, MinLRRatio: 0.1, Warmup: 5, Steps: 30, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Clip: 1},
		BatchTokens: 1024,
		Stages:      []Stage{{Until: 30, MinTokens: 64, MaxTokens: 256}},
		Tasks:       map[string]float64{"passkey": 1, "niah_single_essay": 1, "record": 1},
		DocWeight:   0.1, ExportType: "f32", CheckpointEv: 10,
	},
	// default: the shipped model, 0.62M parameters: 3 layers of 128
	// with 4 heads of 32, trained as 2 layers (0.46M) for 7500 steps and
	// grown by a middle block for the last 3500. Retrieval needs induction heads, and they form
	// after a number of optimizer steps that grows with depth and width:
	// on CopyTokens alone at 1K-token batches, 2 layers of 128 went from
	// chance to ~100% around step 900, while 2 of 256 and 4 of 128 or
	// 192 were still at chance at steps 650, 1500 and 950. Mixed with
	// text tasks from the start, a 2x256 model learned a positional copy
	// that fails on the last digit and never formed induction heads; so
	// the heads are formed first, on CopyTokens alone.
	"default": {
		Name:      "default",
		Model:     Config{Embd: 128, Layers: 2, Heads: 4, KVHeads: 4, FFN: 256, Ctx: 2048, RopeBase: 10000, RMSEps: 1e-5, Tied: true},
		VocabSize: 1024, VocabSeed: 9001, Seed: 1,
		Hyper: Hyper{LR: 1e-3, MinLRRatio: 0.1, Warmup: 50, Steps: 15500, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.01, Clip: 1,
			Second: Phase{At: 5000, LR: 4e-4, Warmup: 50}, Third: Phase{At: 7500, LR: 3e-4, Warmup: 50},
			Later: []Phase{{At: 9000, LR: 3e-4, Warmup: 50}, {At: 11000, LR: 2e-4, Warmup: 50},
				{At: 12500, LR: 1.5e-4, Warmup: 50}, {At: 14000, LR: 1e-4, Warmup: 50}}},
		BatchTokens: 2048,
		Stages: []Stage{
			{Until: 1200, MinTokens: 32, MaxTokens: 128, Tasks: map[string]float64{CopyTokens: 1}},
			{Until: 2000, MinTokens: 32, MaxTokens: 256, Tasks: map[string]float64{
				CopyTokens: 2, "repeat": 1, "recall": 1, "passkey": 1, "record": 1, "niah_single_noise": 1}},
			{Until: 3000, MinTokens: 96, MaxTokens: 512},
			{Until: 4000, MinTokens: 256, MaxTokens: 1024},
			{Until: 5000, MinTokens: 512, MaxTokens: 2048},
			// Second phase: a model trained only on the word lists' prose
			// found RULER's needles in other prose 10-30% of the time (in
			// its own, ~100%); invented words and free sentences in
			// the filler and keys (variety) fixed most of that.
			{Until: 6000, MinTokens: 256, MaxTokens: 1024, Variety: 0.6, Tasks: phase2Tasks},
			{Until: 7500, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: phase2Tasks},
			// Third phase: a third block, inserted between the
			// previous-token layer and the induction layer, to tell
			// apart keys that a single induction step cannot (the
			// tokens before every value are the same " is:"). It
			// raised RULER niah_multikey_1 from 15-35% to 30-40% and the
			// average of niah_single_1/2/3 + multikey_1 by 2-9 points
			// at every length from 1K to 8K.
			{Until: 9000, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: phase3Tasks},
			// Fourth phase: multi-key lookups alone in short documents,
			// where telling keys apart is learned quickly (held-out
			// multi-key essays at 256 tokens 2/8 -> 14/16 in 1000
			// steps), then the third phase's mix again at full length,
			// which keeps part of it: RULER niah_multikey_1 30-40% ->
			// 40-60%, UUIDs 10-35% -> 25-50%, essays 60-85% -> 70-100%.
			{Until: 10000, MinTokens: 96, MaxTokens: 384, Variety: 0.6, Tasks: map[string]float64{
				"niah_multikey_needle": 2, "niah_multikey_essay": 2, "niah_multikey_uuid": 1, "record": 1}},
			{Until: 11000, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: phase3Tasks},
			// Phases 5-7 (warm restarts at falling learning rates): each
			// 750 steps of multi-key lookups with a few single needles,
			// at lengths growing to the full 2048, then 750 of a mix
			// still weighted towards them. RULER niah_multikey_1 at
			// 1K/2K/4K/8K (20 samples) went 45/60/55/40 -> 65/75/90/55
			// (phase 5) -> 70/85/90/65 (phase 6) -> 80/70/90/65 (phase
			// 7, where it stopped improving: 60 samples gave 72/87/90
			// after phase 6 and 82/78/92 after phase 7).
			{Until: 11750, MinTokens: 256, MaxTokens: 1024, Variety: 0.6, Tasks: map[string]float64{
				"niah_multikey_needle": 2, "niah_multikey_essay": 3, "niah_multikey_uuid": 1, "record": 1,
				"passkey": 1, "niah_single_noise": 1}},
			{Until: 12500, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: phase5Tasks},
			{Until: 13250, MinTokens: 384, MaxTokens: 2048, Variety: 0.6, Tasks: map[string]float64{
				"niah_multikey_needle": 3, "niah_multikey_essay": 4, "niah_multikey_uuid": 1, "record": 1,
				"passkey": 1, "niah_single_noise": 1, "niah_single_essay": 1}},
			{Until: 14000, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: phase5Tasks},
			{Until: 14750, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: map[string]float64{
				"niah_multikey_needle": 3, "niah_multikey_essay": 4, "niah_multikey_uuid": 1, "record": 1,
				"passkey": 1, "niah_single_noise": 1, "niah_single_essay": 1, "niah_single_uuid": 1}},
			{Until: 15500, MinTokens: 512, MaxTokens: 2048, Variety: 0.6, Tasks: phase5Tasks},
		},
		Tasks: map[string]float64{
			"passkey": 2, "record": 2, "kv": 1, "vt": 1, "multihop": 1,
			"niah_single_noise": 1, "niah_single_essay": 2, "niah_single_uuid": 1,
			"niah_multikey_essay": 2, "niah_multikey_needle": 1, "niah_multikey_uuid": 1,
			"niah_multivalue": 1, "niah_multiquery": 1, "ruler_vt": 1, "kamradt": 2,
			"repeat": 1, "recall": 1, CopyTokens: 1,
		},
		DocWeight: 0.1, ExportType: "q8_0", RopeScaling: "yarn", RopeFactor: 4, CheckpointEv: 50,
		Grow: Growth{At: 7500, Insert: 1},
	},
}

// pairs is the default recipe with numbers spelled in digit pairs
// (DigitPairs: the default's pieces and the 100 pairs). The default
// model's multi-key failures are mostly a digit copy that jumps to another
// needle holding the digit it just wrote; with pairs there are half the
// jumps to make and a hundred pieces to key them on.
func init() {
	r := Recipes["default"]
	r.Name, r.DigitPairs, r.VocabSize = "pairs", true, r.VocabSize+DigitPairs
	Recipes["pairs"] = r
}

// phase3Tasks weighs the third phase towards telling keys apart.
var phase3Tasks = map[string]float64{
	"passkey": 1, "record": 3, "kv": 2, "vt": 1, "multihop": 1,
	"niah_single_noise": 1, "niah_single_essay": 2, "niah_single_uuid": 2,
	"niah_multikey_essay": 4, "niah_multikey_needle": 4, "niah_multikey_uuid": 2,
	"niah_multivalue": 2, "niah_multiquery": 2, "ruler_vt": 1, "kamradt": 1,
	"repeat": 1, "recall": 1, CopyTokens: 1,
}

// phase5Tasks is the mix of phases 5-7 after their multi-key steps:
// mostly multi-key lookups, with enough of the other needles, records and
// copying that those are not forgotten.
var phase5Tasks = map[string]float64{
	"niah_multikey_needle": 3, "niah_multikey_essay": 4, "niah_multikey_uuid": 1, "record": 2,
	"passkey": 1, "niah_single_noise": 1, "niah_single_essay": 2, "niah_single_uuid": 1,
	"niah_multivalue": 1, "kv": 1, "ruler_vt": 1, CopyTokens: 1,
}

// phase2Tasks weighs the default recipe's second phase towards what the
// first left weakest: keys among distractor keys, records, essays.
var phase2Tasks = map[string]float64{
	"passkey": 2, "record": 3, "kv": 1, "vt": 1, "multihop": 1,
	"niah_single_noise": 1, "niah_single_essay": 3, "niah_single_uuid": 2,
	"niah_multikey_essay": 3, "niah_multikey_needle": 2, "niah_multikey_uuid": 1,
	"niah_multivalue": 1, "niah_multiquery": 1, "ruler_vt": 1, "kamradt": 2,
	"repeat": 1, "recall": 1, CopyTokens: 1,
}

// RecipeNames lists the built-in recipes in name order.
func RecipeNames() []string {
	names := make([]string, 0, len(Recipes))
	for n := range Recipes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadRecipe returns a built-in recipe by name or reads a JSON file.
func LoadRecipe(nameOrFile string) (Recipe, error) {
	if r, ok := Recipes[nameOrFile]; ok {
		return r, r.Validate()
	}
	b, err := os.ReadFile(nameOrFile)
	if err != nil {
		return Recipe{}, fmt.Errorf("train: recipe %q is neither built in (%s) nor a readable file: %w", nameOrFile, strings.Join(RecipeNames(), ", "), err)
	}
	r, err := ParseRecipe(b)
	if err != nil {
		return Recipe{}, fmt.Errorf("%w (in %s)", err, nameOrFile)
	}
	return r, nil
}

// ParseRecipe reads a JSON recipe (unknown fields are errors) and
// validates it.
func ParseRecipe(b []byte) (Recipe, error) {
	var r Recipe
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Recipe{}, fmt.Errorf("train: recipe: %w", err)
	}
	if dec.More() {
		return Recipe{}, errors.New("train: recipe: more data after the JSON object")
	}
	return r, r.Validate()
}

// Validate checks the recipe.
func (r Recipe) Validate() error {
	c := r.Model
	c.Vocab = r.VocabSize
	if err := c.Validate(); err != nil {
		return err
	}
	if err := r.Hyper.Validate(); err != nil {
		return err
	}
	if r.DigitPairs && r.VocabSize < DigitPairs+3+256 {
		return fmt.Errorf("train: vocab_size %d leaves no room for the byte tokens and %d digit pairs", r.VocabSize, DigitPairs)
	}
	if r.BatchTokens < 1 || len(r.Stages) == 0 || len(r.Tasks) == 0 {
		return errors.New("train: recipe needs batch_tokens, stages and tasks")
	}
	if !(r.Variety >= 0 && r.Variety <= 1) {
		return fmt.Errorf("train: recipe variety %v is outside 0..1", r.Variety)
	}
	// Checked now, not when the run exports its model hours later.
	if err := checkExportType(r.ExportType); err != nil {
		return err
	}
	if err := checkExportRope(r.RopeScaling, r.RopeFactor); err != nil {
		return err
	}
	if r.ScaledRopeFrom != 0 && (r.ScaledRopeFrom < 0 || r.RopeScaling == "none" || r.RopeScaling == "") {
		return fmt.Errorf("train: scaled_rope_from %d needs a positive step and a rope_scaling", r.ScaledRopeFrom)
	}
	for _, st := range r.Stages {
		if !(st.Variety >= 0 && st.Variety <= 1) {
			return fmt.Errorf("train: stage until %d: variety %v is outside 0..1", st.Until, st.Variety)
		}
	}
	known := map[string]bool{}
	for _, t := range curriculum.Tasks() {
		known[t] = true
	}
	known[CopyTokens] = true
	checkTasks := func(tasks map[string]float64) error {
		for t, w := range tasks {
			if !known[t] || !(w > 0) {
				return fmt.Errorf("train: recipe task %q with weight %g (tasks: %s)", t, w, strings.Join(curriculum.Tasks(), ", "))
			}
		}
		return nil
	}
	if err := checkTasks(r.Tasks); err != nil {
		return err
	}
	for _, st := range r.Stages {
		if err := checkTasks(st.Tasks); err != nil {
			return err
		}
	}
	if g := r.Grow; g != (Growth{}) && (g.At < 1 || g.At >= r.Hyper.Steps || g.Insert < 0 || g.Insert > c.Layers) {
		return fmt.Errorf("train: grow %+v needs a step in 1..%d and a block index in 0..%d", g, r.Hyper.Steps-1, c.Layers)
	}
	if len(r.Regrow) > 0 && r.Grow.At == 0 {
		return errors.New("train: regrow needs grow")
	}
	prev := r.Grow.At
	for i, g := range r.Regrow {
		layers := c.Layers + 1 + i
		if g.At <= prev || g.At >= r.Hyper.Steps || g.Insert < 0 || g.Insert > layers {
			return fmt.Errorf("train: regrow[%d] %+v needs a step in %d..%d and a block index in 0..%d", i, g, prev+1, r.Hyper.Steps-1, layers)
		}
		prev = g.At
	}
	prev = 0
	for _, s := range r.Stages {
		if s.Until <= prev || s.MinTokens < 16 || s.MaxTokens < s.MinTokens || s.MaxTokens > c.Ctx {
			return fmt.Errorf("train: bad stage %+v (until must increase, 16 <= min <= max <= ctx %d)", s, c.Ctx)
		}
		prev = s.Until
	}
	return nil
}

// Config is the model shape at the start, with the vocabulary size filled in.
func (r Recipe) Config() Config {
	c := r.Model
	c.Vocab = r.VocabSize
	return c
}

// ConfigAt is the model shape after step steps.
func (r Recipe) ConfigAt(steps int) Config {
	c := r.Config()
	for _, g := range r.Growths() {
		if steps > g.At {
			c.Layers++
		}
	}
	return c
}

// vocabTasks are the tasks whose text BuildVocab trains on: the curriculum
// as it was when the vocabulary was defined. Tasks added since are left
// out, so a new task never changes a recipe's vocabulary (and with it
// every token of its data).
var vocabTasks = []string{
	"kamradt", "kv", "multihop", "niah_multikey_essay", "niah_multikey_needle", "niah_multikey_uuid",
	"niah_multiquery", "niah_multivalue", "niah_single_essay", "niah_single_noise", "niah_single_uuid",
	"passkey", "recall", "record", "repeat", "ruler_vt", "vt",
}

// BuildVocab trains the recipe's vocabulary on curriculum text (a fixed
// sample of every task, from VocabSeed).
func (r Recipe) BuildVocab() (*Vocab, error) {
	g := curriculum.New(r.VocabSeed)
	var b strings.Builder
	for _, task := range vocabTasks {
		for i := range 8 {
			s, err := g.Make(task, i, 400)
			if err != nil {
				return nil, err
			}
			b.WriteString(s.Prompt + s.Answer + "\n")
		}
	}
	size := r.VocabSize
	if r.DigitPairs {
		size -= DigitPairs
	}
	v, err := TrainVocab(b.String(), size)
	if err == nil && r.DigitPairs {
		v.AddDigitPairs()
	}
	if err == nil && len(v.Tokens) != r.VocabSize {
		// The text has fewer distinct pieces than asked for; the model
		// would train rows no token uses, and export would refuse it.
		return nil, fmt.Errorf("train: vocab_size %d, but the curriculum's text yields a vocabulary of %d pieces", r.VocabSize, len(v.Tokens))
	}
	return v, err
}

// wordsPerToken converts a token budget into filler words (prose tokenizes
// to about 1.3 tokens a word with a 1K vocabulary); lengths are then
// checked with the real tokenizer.
const wordsPerToken = 0.7

// Data returns the recipe's DataFunc: step s's batch depends only on
// (Seed, s). Sequences are drawn (task by weight, length uniform in the
// stage's range) until BatchTokens is reached.
func (r Recipe) Data(tok *tokenizer.Tokenizer) DataFunc {
	return func(step int) ([]Example, error) {
		st := r.Stages[len(r.Stages)-1]
		for _, s := range r.Stages {
			if step < s.Until {
				st = s
				break
			}
		}
		gen, err := curriculum.New(r.Seed).WithVariety(r.variety(st))
		if err != nil {
			return nil, err
		}
		tasks := r.Tasks
		if st.Tasks != nil {
			tasks = st.Tasks
		}
		taskNames := make([]string, 0, len(tasks))
		for t := range tasks {
			taskNames = append(taskNames, t)
		}
		sort.Strings(taskNames)
		var total float64 // summed in name order: the same float on every run
		for _, t := range taskNames {
			total += tasks[t]
		}
		h := fnv.New64a()
		h.Write([]byte("batch" + strconv.Itoa(step)))
		rng := rand.New(rand.NewPCG(r.Seed, h.Sum64()))
		var ex []Example
		n := 0
		for k := 0; n < r.BatchTokens; k++ {
			x := rng.Float64() * total
			task := taskNames[len(taskNames)-1]
			for _, t := range taskNames {
				if x < tasks[t] {
					task = t
					break
				}
				x -= tasks[t]
			}
			want := st.MinTokens + int(rng.Uint64()%uint64(st.MaxTokens-st.MinTokens+1))
			e, err := r.example(gen, tok, task, step*1000+k, want, st.MaxTokens)
			if err != nil {
				return nil, err
			}
			ex = append(ex, e)
			n += len(e.Tokens)
		}
		return ex, nil
	}
}

// example makes one tokenized sample of at most maxTokens tokens, aiming
// at want: the answer (and end-of-sequence) weigh 1, document tokens
// DocWeight.
func (r Recipe) example(gen *curriculum.Generator, tok *tokenizer.Tokenizer, task string, index, want, maxTokens int) (Example, error) {
	if task == CopyTokens {
		return r.copyTokens(tok, index, min(want, maxTokens)), nil
	}
	words := max(1, int(float64(want)*wordsPerToken))
	for {
		s, err := gen.Make(task, index, words)
		if err != nil {
			return Example{}, err
		}
		e, err := Tokenize(tok, s.Prompt, s.Answer, r.DocWeight)
		if err != nil {
			return Example{}, err
		}
		if len(e.Tokens) <= maxTokens {
			return e, nil
		}
		if words == 1 {
			return Example{}, fmt.Errorf("train: %s sample %d does not fit %d tokens", task, index, maxTokens)
		}
		words = max(1, words*maxTokens/len(e.Tokens)*9/10)
	}
}

// Tokenize encodes prompt+answer as the engine would see them (BOS, then
// the text; the prompt's tokens are a prefix of the whole's) and appends
// end-of-sequence. Answer tokens and EOS weigh 1, prompt tokens docWeight.
func Tokenize(tok *tokenizer.Tokenizer, prompt, answer string, docWeight float32) (Example, error) {
	all, err := tok.Encode(prompt+answer, true, false)
	if err != nil {
		return Example{}, err
	}
	pre, err := tok.Encode(prompt, true, false)
	if err != nil {
		return Example{}, err
	}
	// The answer starts where the two encodings part.
	cut := 0
	for cut < len(pre) && cut < len(all) && pre[cut] == all[cut] {
		cut++
	}
	if cut == len(all) {
		return Example{}, fmt.Errorf("train: answer %q added no tokens", answer)
	}
	toks := append(all, tok.EOS())
	w := make([]float32, len(toks))
	for i := range w {
		if i >= cut {
			w[i] = 1
		} else if i > 0 {
			w[i] = docWeight
		}
	}
	return Example{Tokens: toks, Weight: w}, nil
}

// CopyTokens is a pseudo-task with no text: a run of random token ids
// repeated until the sequence is full, every token of the repeats a
// target. Random ids cannot be predicted from frequencies or fixed
// offsets (the run's length varies), only by finding the current token's
// earlier occurrence and taking what followed it: the induction heads
// that all retrieval builds on. Measured: a 2-layer model trained on this
// alone jumps from chance to ~100% around step 900, while the same
// heads never formed in 1300 steps of the text tasks alone.
const CopyTokens = "copy_tokens"

// copyTokens makes a CopyTokens example of n tokens at most (BOS first),
// a pure function of (Seed, index).
func (r Recipe) copyTokens(tok *tokenizer.Tokenizer, index, n int) Example {
	rng := rand.New(rand.NewPCG(r.Seed^0x636f7079, uint64(index)))
	const firstID = 3 // after <unk>, <s>, </s>
	k := 4 + rng.IntN(max(1, min(64, (n-1)/2)-3))
	run := make([]int32, k)
	for i := range run {
		run[i] = int32(firstID + rng.IntN(r.VocabSize-firstID))
	}
	toks := []int32{tok.BOS()}
	w := []float32{0}
	for rep := 0; len(toks)+k <= n; rep++ {
		for i, id := range run {
			toks = append(toks, id)
			// The first token of a repeat follows the previous run's
			// last, which does not say where the run starts: no target.
			w = append(w, float32(min(rep, 1)*min(i, 1)))
		}
	}
	return Example{Tokens: toks, Weight: w}
}
