package gen

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// RULER's prompt templates and answer prefixes, re-typed from NVIDIA/RULER
// scripts/data/synthetic/constants.py (Apache-2.0) so prompts match upstream.
const (
	niahTemplate = "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. I will quiz you about the {type_needle_v} afterwards.\n{context}\nWhat are all the special magic {type_needle_v} for {query} mentioned in the provided text?"
	niahPrefix   = " The special magic {type_needle_v} for {query} mentioned in the provided text are"
	niahNeedle   = "One of the special magic {type_needle_v} for {key} is: {value}."
	vtTemplate   = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\nQuestion: Find all variables that are assigned the value {query} in the text above."
	vtPrefix     = " Answer: According to the chain(s) of variable assignment in the text above, {num_v} variables are assigned the value {query}, they are: "
	cweTemplate  = "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n{context}\nQuestion: What are the 10 most common words in the above list?"
	cwePrefix    = " Answer: The top 10 words that appear most often in the list are:"
	fweTemplate  = "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. {context}\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?"
	fwePrefix    = " Answer: According to the coded text above, the three most frequently appeared words are:"
	qaTemplate   = "Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\n{context}\n\nAnswer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}"
	qaPrefix     = " Answer:"

	// NoiseSentences is RULER's filler: one copy per haystack line.
	NoiseSentences = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
)

const (
	metricAll  = "string_match_all"
	metricPart = "string_match_part"
)

// rulerTask is one row of RULER's synthetic.yaml.
type rulerTask struct {
	kind             string // niah, vt, cwe, fwe, qa
	haystack         string // noise, essay, needle (niah only)
	keyType, valType string
	k, v, q          int
	maxNew           int
	qaSet            int // 1 = SQuAD, 2 = HotpotQA
}

var rulerTasks = map[string]rulerTask{
	"niah_single_1":   {kind: "niah", haystack: "noise", keyType: "words", valType: "numbers", k: 1, v: 1, q: 1, maxNew: 128},
	"niah_single_2":   {kind: "niah", haystack: "essay", keyType: "words", valType: "numbers", k: 1, v: 1, q: 1, maxNew: 128},
	"niah_single_3":   {kind: "niah", haystack: "essay", keyType: "words", valType: "uuids", k: 1, v: 1, q: 1, maxNew: 128},
	"niah_multikey_1": {kind: "niah", haystack: "essay", keyType: "words", valType: "numbers", k: 4, v: 1, q: 1, maxNew: 128},
	"niah_multikey_2": {kind: "niah", haystack: "needle", keyType: "words", valType: "numbers", k: 1, v: 1, q: 1, maxNew: 128},
	"niah_multikey_3": {kind: "niah", haystack: "needle", keyType: "uuids", valType: "uuids", k: 1, v: 1, q: 1, maxNew: 128},
	"niah_multivalue": {kind: "niah", haystack: "essay", keyType: "words", valType: "numbers", k: 1, v: 4, q: 1, maxNew: 128},
	"niah_multiquery": {kind: "niah", haystack: "essay", keyType: "words", valType: "numbers", k: 4, v: 1, q: 4, maxNew: 128},
	"vt":              {kind: "vt", maxNew: 30},
	"cwe":             {kind: "cwe", maxNew: 120},
	"fwe":             {kind: "fwe", maxNew: 50},
	"qa_1":            {kind: "qa", maxNew: 32, qaSet: 1},
	"qa_2":            {kind: "qa", maxNew: 32, qaSet: 2},
}

// RulerTasks lists the 13 task names in RULER's order.
func RulerTasks() []string {
	return []string{"niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_2",
		"niah_multikey_3", "niah_multivalue", "niah_multiquery", "vt", "cwe", "fwe", "qa_1", "qa_2"}
}

// Config sets what every sample depends on besides (task, length, index).
type Config struct {
	Seed      uint64
	Tokenizer Tokenizer
	// Reserve is subtracted from every length on top of the generation
	// budget, for tokens the target adds (a chat template's wrapping).
	Reserve int
	// Haystack, when set, replaces the generated essay (a user's --haystack FILE).
	Haystack string
	// SQuAD and HotpotQA feed qa_1 and qa_2; nil makes those tasks fail.
	SQuAD, HotpotQA *QASet
	// NIAH configures the Kamradt grid made through Sample.
	NIAH NIAHOptions
}

// Generator makes samples. It caches the fitted unit count per
// (task, length), since fitting tokenizes several full-length prompts.
type Generator struct {
	cfg   Config
	essay *essayCorpus

	mu     sync.Mutex
	fitted map[string]int
}

// New checks cfg and returns a Generator.
func New(cfg Config) (*Generator, error) {
	if cfg.Tokenizer == nil {
		return nil, fmt.Errorf("gen: Config.Tokenizer is required")
	}
	g := &Generator{cfg: cfg, fitted: map[string]int{}}
	if cfg.Haystack != "" {
		c, err := fileHaystack(cfg.Haystack)
		if err != nil {
			return nil, err
		}
		g.essay = c
	} else {
		g.essay = theEssay()
	}
	return g, nil
}

// fit returns the cached or newly fitted unit count.
func (g *Generator) fit(key string, build buildFunc, budget, u0, maxU int) (int, error) {
	g.mu.Lock()
	u, ok := g.fitted[key]
	g.mu.Unlock()
	if ok {
		return u, nil
	}
	u, err := fitUnits(g.cfg.Tokenizer, build, budget, u0, maxU)
	if err != nil {
		return 0, err
	}
	g.mu.Lock()
	g.fitted[key] = u
	g.mu.Unlock()
	return u, nil
}

// Ruler makes sample index of task at length tokens (prompt + answer prefix
// + the task's generation budget + Reserve <= length).
func (g *Generator) Ruler(task string, length, index int) (Sample, error) {
	t, ok := rulerTasks[task]
	if !ok {
		return Sample{}, fmt.Errorf("gen: unknown RULER task %q", task)
	}
	var qa *QASet
	if t.kind == "qa" {
		qa = g.cfg.SQuAD
		if t.qaSet == 2 {
			qa = g.cfg.HotpotQA
		}
		if qa == nil {
			return Sample{}, fmt.Errorf("gen: %s needs a %s file", task, map[int]string{1: "SQuAD v2 dev", 2: "HotpotQA dev"}[t.qaSet])
		}
	}
	budget := length - t.maxNew - g.cfg.Reserve
	// cwe's smaller settings (RULER's below 4096 tokens) also serve a
	// longer length that a tokenizer of many tokens per word cannot fit
	// the larger ones into.
	cweSmall := length < 4096
	mk := func(i int) buildFunc {
		return func(u int) (Sample, error) {
			r := newRNG(g.cfg.Seed, "ruler", task, length, i)
			s := Sample{Suite: "ruler", Task: task, Cell: task, Length: length, Index: i, MaxNewTokens: t.maxNew, Metric: metricAll}
			var err error
			switch t.kind {
			case "niah":
				err = g.buildNIAH(&s, t, u, r)
			case "vt":
				buildVT(&s, u, length, r)
			case "cwe":
				err = buildCWE(&s, u, cweSmall, r)
			case "fwe":
				buildFWE(&s, u, length, r)
			case "qa":
				s.Metric = metricPart
				err = buildQA(&s, qa, u, i, r)
			}
			return s, err
		}
	}
	u0 := map[string]int{"essay": 500, "noise": 25, "needle": 25}[t.haystack]
	switch t.kind {
	case "vt":
		u0 = 10
	case "cwe":
		u0 = 100
	case "fwe":
		u0 = 1000
	case "qa":
		u0 = 10
	}
	if length < 4096 && u0 > 5 && t.haystack != "essay" {
		u0 = 5
	}
	// Fit on sample 0 so the cached count is the same whichever sample asks first.
	maxU := 0
	if qa != nil {
		maxU = len(qa.Docs)
	}
	u, err := g.fit(task+"/"+strconv.Itoa(length), mk(0), budget, u0, maxU)
	if errors.Is(err, ErrTooShort) && t.kind == "cwe" && !cweSmall {
		cweSmall = true
		u, err = g.fit(task+"/small/"+strconv.Itoa(length), mk(0), budget, u0, maxU)
	}
	if err != nil {
		return Sample{}, fmt.Errorf("gen: %s at %d tokens: %w", task, length, err)
	}
	s, err := fitSample(g.cfg.Tokenizer, mk(index), budget, u)
	if err != nil {
		return Sample{}, fmt.Errorf("gen: %s at %d tokens, sample %d: %w", task, length, index, err)
	}
	return s, nil
}

func randomNumber(r *rng) string { return strconv.Itoa(r.between(1000000, 9999999)) }

func randomUUID(r *rng) string {
	hi, lo := r.uint64(), r.uint64()
	hi = hi&^(0xf<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	const hex = "0123456789abcdef"
	var b [36]byte
	pos := 0
	put := func(v uint64, nibbles int) {
		for i := nibbles - 1; i >= 0; i-- {
			b[pos] = hex[(v>>(4*uint(i)))&0xf]
			pos++
		}
	}
	put(hi>>32, 8)
	b[pos] = '-'
	pos++
	put(hi>>16&0xffff, 4)
	b[pos] = '-'
	pos++
	put(hi&0xffff, 4)
	b[pos] = '-'
	pos++
	put(lo>>48, 4)
	b[pos] = '-'
	pos++
	put(lo&0xffffffffffff, 12)
	return string(b[:])
}

func randomOf(r *rng, typ string) string {
	switch typ {
	case "numbers":
		return randomNumber(r)
	case "uuids":
		return randomUUID(r)
	default: // words
		w := needleKeyWords()
		return w[r.intn(len(w))]
	}
}

// needleDepths are RULER's 40 evenly spaced insertion depths in 0..100.
var needleDepths = func() []float64 {
	d := make([]float64, 40)
	for i := range d {
		d[i] = math.Floor(float64(i) * 100 / 39)
	}
	return d
}()

func (g *Generator) buildNIAH(s *Sample, t rulerTask, u int, r *rng) error {
	var keys []string
	var values [][]string
	var needles []string
	used := map[string]bool{}
	for range t.k {
		key := randomOf(r, t.keyType)
		for used[key] {
			key = randomOf(r, t.keyType)
		}
		used[key] = true
		keys = append(keys, key)
		var vs []string
		for range t.v {
			v := randomOf(r, t.valType)
			vs = append(vs, v)
			needles = append(needles, fill(niahNeedle, "{type_needle_v}", t.valType, "{key}", key, "{value}", v))
		}
		values = append(values, vs)
	}
	r.shuffle(len(needles), func(i, j int) { needles[i], needles[j] = needles[j], needles[i] })

	var context string
	if t.haystack == "essay" {
		sents := g.essay.firstWords(u)
		pos := make([]int, len(needles))
		for i, d := range r.sample(len(needleDepths), len(needles)) {
			pos[i] = int(float64(len(sents)) * needleDepths[d] / 100)
		}
		sort.Ints(pos)
		// Sentences and needles are joined by single spaces, as RULER
		// joins them (a needle was glued to the sentence after it).
		var b strings.Builder
		space := func() {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
		}
		prev := 0
		for i, p := range pos {
			if p > prev {
				space()
				writeJoined(&b, sents[prev:p], " ")
			}
			space()
			b.WriteString(needles[i])
			prev = p
		}
		if prev < len(sents) {
			space()
			writeJoined(&b, sents[prev:], " ")
		}
		context = b.String()
	} else {
		lines := make([]string, u)
		for i := range lines {
			if t.haystack == "noise" {
				lines[i] = NoiseSentences
				continue
			}
			key := randomOf(r, t.keyType)
			for used[key] {
				key = randomOf(r, t.keyType)
			}
			lines[i] = fill(niahNeedle, "{type_needle_v}", t.valType, "{key}", key, "{value}", randomOf(r, t.valType))
		}
		context = strings.Join(insertAt(lines, needles, r.sample(u, len(needles))), "\n")
	}

	idx := r.sample(t.k, t.q)
	var queries []string
	for _, i := range idx {
		queries = append(queries, keys[i])
		s.Golds = append(s.Golds, values[i]...)
	}
	query := queries[0]
	if len(queries) > 1 {
		query = strings.Join(queries[:len(queries)-1], ", ") + ", and " + queries[len(queries)-1]
	}
	tmpl, prefix, typ := niahTemplate, niahPrefix, t.valType
	if t.q*t.v == 1 { // RULER rewrites the template to the singular
		tmpl, prefix = singular(tmpl), singular(prefix)
		typ = typ[:len(typ)-1]
	}
	s.Prompt = fill(tmpl, "{type_needle_v}", typ, "{query}", query, "{context}", context)
	s.AnswerPrefix = fill(prefix, "{type_needle_v}", typ, "{query}", query)
	return nil
}

// singular is RULER's rewrite of the niah template and answer prefix for
// one asked value.
func singular(s string) string { return singularWords.Replace(s) }

var singularWords = strings.NewReplacer("Some", "A", "are all", "is", "are", "is")

// insertAt puts extra[i] before base[pos[i]] (positions index the original
// base; several extras may share one), keeping base order.
func insertAt(base, extra []string, pos []int) []string {
	type ins struct {
		pos int
		s   string
	}
	list := make([]ins, len(extra))
	for i := range extra {
		list[i] = ins{pos[i], extra[i]}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].pos < list[j].pos })
	out := make([]string, 0, len(base)+len(extra))
	k := 0
	for i, b := range base {
		for k < len(list) && list[k].pos == i {
			out = append(out, list[k].s)
			k++
		}
		out = append(out, b)
	}
	for ; k < len(list); k++ {
		out = append(out, list[k].s)
	}
	return out
}

func writeJoined(b *strings.Builder, parts []string, sep string) {
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
}

// fill substitutes {slots} in one pass; substituted text is not rescanned,
// so a haystack that happens to contain "{query}" stays as it is.
func fill(tmpl string, pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

func randomUpper(r *rng, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + r.intn(26))
	}
	return string(b)
}

// vtChain returns hops+1 distinct names and the chain statements.
func vtChain(r *rng, nameLen, hops int) (names, chain []string, value string) {
	seen := map[string]bool{}
	for len(names) < hops+1 {
		n := randomUpper(r, nameLen)
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	value = strconv.Itoa(r.between(10000, 99999))
	chain = append(chain, "VAR "+names[0]+" = "+value)
	for j := 1; j <= hops; j++ {
		chain = append(chain, "VAR "+names[j]+" = VAR "+names[j-1])
	}
	return names, chain, value
}

// vtContext is noise lines with the chain statements inserted in order at
// sorted random lines.
func vtContext(r *rng, lines int, chain []string) string {
	base := make([]string, lines)
	for i := range base {
		base[i] = NoiseSentences
	}
	pos := r.sample(lines, min(len(chain), lines))
	sort.Ints(pos)
	for len(pos) < len(chain) { // fewer lines than statements: append the rest
		pos = append(pos, lines)
	}
	return strings.Join(insertAt(base, chain, pos), "\n")
}

// buildVT makes a one-chain, four-hop variable-tracking sample preceded by
// one worked example (3-letter names; RULER sizes it to ~500 tokens, we use
// 18 noise lines, 5 below 4K).
func buildVT(s *Sample, u, length int, r *rng) {
	const hops = 4
	exLines := 18
	if length < 4096 {
		exLines = 5
	}
	exNames, exChain, exValue := vtChain(r, 3, hops)
	example := fill(vtTemplate, "{context}", vtContext(r, exLines, exChain), "{query}", exValue) +
		fill(vtPrefix, "{num_v}", strconv.Itoa(hops+1), "{query}", exValue) + strings.Join(exNames, " ")
	names, chain, value := vtChain(r, 5, hops)
	s.Prompt = example + "\n" + fill(vtTemplate, "{context}", vtContext(r, u, chain), "{query}", value)
	s.AnswerPrefix = fill(vtPrefix, "{num_v}", strconv.Itoa(hops+1), "{query}", value)
	s.Golds = names
}

// cweList draws n distinct words, repeats the first ten common× and the rest
// uncommon×, shuffles and numbers them.
func cweList(r *rng, n, common, uncommon int) (string, []string, error) {
	vocab := cweVocabulary()
	if n > len(vocab) {
		return "", nil, fmt.Errorf("gen: cwe needs %d distinct words, vocabulary has %d", n, len(vocab))
	}
	var words []string
	for _, i := range r.sample(len(vocab), n) {
		words = append(words, vocab[i])
	}
	list := make([]string, 0, 10*common+(n-10)*uncommon)
	for i, w := range words {
		rep := uncommon
		if i < 10 {
			rep = common
		}
		for range rep {
			list = append(list, w)
		}
	}
	r.shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	return numbered(list), words[:10], nil
}

func numbered(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(w)
	}
	return b.String()
}

// buildCWE: u is the number of distinct words (at least 11: ten common ones
// and one uncommon); small picks RULER's settings for short lengths.
func buildCWE(s *Sample, u int, small bool, r *rng) error {
	exN, exC, exU, c, uc := 40, 10, 3, 30, 3
	if small {
		exN, exC, exU, c, uc = 20, 3, 1, 6, 1
	}
	u = max(u, 11)
	exCtx, exAns, err := cweList(r, exN, exC, exU)
	if err != nil {
		return err
	}
	ctx, ans, err := cweList(r, u, c, uc)
	if err != nil {
		return err
	}
	s.Prompt = fill(cweTemplate, "{context}", exCtx) + cwePrefix + " " + numbered(exAns) + "\n" + fill(cweTemplate, "{context}", ctx)
	s.AnswerPrefix = cwePrefix
	s.Golds = ans
	return nil
}

// buildFWE: u is the total number of coded words before the Zipf split.
func buildFWE(s *Sample, u, length int, r *rng) {
	const alpha, wordLen = 2.0, 6
	size := max((length-50)/50, 4)
	seen := map[string]bool{}
	var vocab []string
	for len(vocab) < size {
		b := make([]byte, wordLen)
		for i := range b {
			b[i] = byte('a' + r.intn(26))
		}
		if w := string(b); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	sort.Strings(vocab)
	r.shuffle(len(vocab), func(i, j int) { vocab[i], vocab[j] = vocab[j], vocab[i] })
	vocab[0] = "..." // the top rank is noise the model is told to ignore
	zeta := math.Pi * math.Pi / 6
	var words []string
	for k, w := range vocab {
		n := int(float64(u) * math.Pow(float64(k+1), -alpha) / zeta)
		for range n {
			words = append(words, w)
		}
	}
	r.shuffle(len(words), func(i, j int) { words[i], words[j] = words[j], words[i] })
	s.Prompt = fill(fweTemplate, "{context}", strings.Join(words, " "))
	s.AnswerPrefix = fwePrefix
	s.Golds = append([]string(nil), vocab[1:4]...)
}
