package curriculum

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Sample is one training document with its question and answer.
type Sample struct {
	Task   string
	Prompt string   // document, question and answer cue: everything the model reads
	Answer string   // what the model is trained to write next (then end-of-sequence)
	Golds  []string // strings a correct answer contains
}

// Generator makes samples; every sample is a pure function of (seed, task,
// index, words).
type Generator struct {
	seed    uint64
	variety float64
}

// New returns a generator for seed whose filler, keys and names come from
// the package's word lists.
func New(seed uint64) *Generator { return &Generator{seed: seed} }

// WithVariety returns a generator for the same seed in which each essay,
// noise haystack, word key and name is, with probability p, drawn in a
// varied form: invented words, free sentences, numbers in the filler. The
// plain generator (p = 0) is the one the vocabulary is trained on, so
// text the model has never seen reaches it as it would in use: unfamiliar
// words in small pieces.
func (g *Generator) WithVariety(p float64) (*Generator, error) {
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("curriculum: variety %v is outside 0..1", p)
	}
	return &Generator{seed: g.seed, variety: p}, nil
}

type taskFunc func(r *rng, words int) Sample

var tasks = map[string]taskFunc{
	"passkey":              passkey,
	"record":               record,
	"kv":                   keyValue,
	"vt":                   varChain,
	"multihop":             multiHop,
	"niah_single_noise":    niah("noise", "words", "numbers", 1, 1, 1),
	"niah_single_essay":    niah("essay", "words", "numbers", 1, 1, 1),
	"niah_single_uuid":     niah("essay", "words", "uuids", 1, 1, 1),
	"niah_multikey_essay":  niah("essay", "words", "numbers", 4, 1, 1),
	"niah_multikey_needle": niah("needle", "words", "numbers", 1, 1, 1),
	"niah_multikey_uuid":   niah("needle", "uuids", "uuids", 1, 1, 1),
	// The four numbers share digits (see confusableDigits), so copying a
	// number digit by digit cannot follow whichever number holds the
	// digit just written: it must stay on the needle the key chose.
	"niah_multikey_confusable": niah("essay", "words", confusable, 4, 1, 1),
	"niah_multivalue":          niah("essay", "words", "numbers", 1, 4, 1),
	"niah_multiquery":          niah("essay", "words", "numbers", 4, 1, 4),
	"ruler_vt":                 rulerVT,
	"kamradt":                  kamradt,
	"repeat":                   repeat,
	"recall":                   recall,
}

// Tasks lists the task names.
func Tasks() []string {
	var ts []string
	for t := range tasks {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// Make returns sample index of task with about words words of filler.
func (g *Generator) Make(task string, index, words int) (Sample, error) {
	f, ok := tasks[task]
	if !ok {
		return Sample{}, fmt.Errorf("curriculum: unknown task %q (known: %s)", task, strings.Join(Tasks(), ", "))
	}
	if words < 1 || words > 1<<20 {
		return Sample{}, fmt.Errorf("curriculum: %d filler words is out of range 1..%d", words, 1<<20)
	}
	r := newRNG(g.seed, task, strconv.Itoa(index), strconv.Itoa(words))
	r.variety = g.variety
	s := f(r, words)
	s.Task = task
	return s, nil
}

// QAPrompt renders a document and a question in the package's QA format
// (see doc.go); the model's answer follows it.
func QAPrompt(doc, question string) string {
	return doc + "\n\nQuestion: " + question + "\nAnswer:"
}

// qa is a sample in the package's own QA format.
func qa(doc, question, answer string, golds ...string) Sample {
	return Sample{Prompt: QAPrompt(doc, question), Answer: " " + answer, Golds: golds}
}

func passkey(r *rng, words int) Sample {
	key := r.digits(r.between(4, 7))
	needle := "The pass key is " + key + ". Remember it. " + key + " is the pass key."
	doc := r.insert(r.essay(words), []string{needle}, " ")
	intro := "There is an important piece of information hidden inside a lot of irrelevant text. Find it and memorize it. I will quiz you about it.\n\n"
	if r.chance(0.5) {
		// The classic passkey ending: the question then an answer cue.
		return Sample{Prompt: intro + doc + "\n\nWhat is the pass key? The pass key is", Answer: " " + key + ".", Golds: []string{key}}
	}
	return qa(intro+doc, "What is the pass key?", key, key)
}

// value draws a value of a random kind: a number, a word, a colour-like
// adjective or a short code.
func (r *rng) value() string {
	switch r.intn(4) {
	case 0:
		return r.digits(r.between(2, 7))
	case 1:
		return r.pick(adjectives)
	case 2:
		return r.pick(nouns)
	default:
		return r.upper(2) + r.digits(3)
	}
}

// repeat hides a short list of random items (numbers, codes, words) in
// prose, to be copied back whole: every answer token is predicted by
// finding where the current item sits in the list and taking what
// follows, the induction pattern that later retrieval builds on.
func repeat(r *rng, words int) Sample {
	n := r.between(2, 12)
	items := make([]string, n)
	for i := range items {
		items[i] = r.value()
	}
	list := strings.Join(items, " ")
	doc := r.insert(r.essay(max(1, words-2*n)), []string{"The list is: " + list + "."}, " ")
	return qa(doc, "What is the list?", list, list)
}

// recall is associative recall with little filler: "name: value" lines,
// one asked.
func recall(r *rng, words int) Sample {
	n := max(2, min(words/3, 700))
	names := distinct(n, r.name)
	vals := make([]string, n)
	lines := make([]string, n)
	for i, nm := range names {
		vals[i] = r.value()
		lines[i] = nm + ": " + vals[i]
	}
	q := r.intn(n)
	return qa(strings.Join(lines, "\n"), "What is the value of "+names[q]+"?", vals[q], vals[q])
}

func record(r *rng, words int) Sample { return records(r, words, r.between(1, 8)) }

// MakeRecords is the record task with exactly facts facts (1: a single
// needle), for benchmarks that choose the number of distractors. It is not
// in the task table, so vocabularies and training mixtures never see it.
func (g *Generator) MakeRecords(index, words, facts int) (Sample, error) {
	if words < 1 || words > 1<<20 || facts < 1 || facts > 64 {
		return Sample{}, fmt.Errorf("curriculum: records with %d facts in %d words (want 1..64 facts, 1..%d words)", facts, words, 1<<20)
	}
	r := newRNG(g.seed, "records", strconv.Itoa(facts), strconv.Itoa(index), strconv.Itoa(words))
	r.variety = g.variety
	s := records(r, words, facts)
	s.Task = "record"
	return s, nil
}

func records(r *rng, words, n int) Sample {
	var facts []string
	people := distinct(n, r.name)
	attrs := make([]string, n)
	vals := make([]string, n)
	shared := r.pick(attributes) // distractors often share the attribute
	for i := range people {
		attrs[i] = shared
		if r.chance(0.4) {
			attrs[i] = r.pick(attributes)
		}
		vals[i] = r.value()
		facts = append(facts, "The "+attrs[i]+" of "+people[i]+" is "+vals[i]+".")
	}
	q := r.intn(n)
	doc := r.insert(r.essay(words), facts, " ")
	return qa(doc, "What is the "+attrs[q]+" of "+people[q]+"?", vals[q], vals[q])
}

func distinct(n int, gen func() string) []string {
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		s := gen()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func keyValue(r *rng, words int) Sample {
	// A UUID pair costs about as many tokens as 50 words of prose.
	n := max(2, min(words/50, 400))
	keys := distinct(n, r.uuid)
	vals := make([]string, n)
	var lines []string
	for i, k := range keys {
		if r.chance(0.5) {
			vals[i] = r.uuid()
		} else {
			vals[i] = r.digits(r.between(3, 8))
		}
		lines = append(lines, "  \""+k+"\": \""+vals[i]+"\",")
	}
	q := r.intn(n)
	doc := "JSON data:\n{\n" + strings.Join(lines, "\n") + "\n}"
	return qa(doc, "What is the value of key \""+keys[q]+"\"?", vals[q], vals[q])
}

// chain returns hops+1 distinct upper-case names, a value and the
// statements "VAR A = v", "VAR B = VAR A", ...
func (r *rng) chain(nameLen, hops int, taken map[string]bool) (names, stmts []string, value string) {
	for len(names) < hops+1 {
		n := r.upper(nameLen)
		if !taken[n] {
			taken[n] = true
			names = append(names, n)
		}
	}
	value = r.digits(5)
	stmts = append(stmts, "VAR "+names[0]+" = "+value)
	for j := 1; j <= hops; j++ {
		stmts = append(stmts, "VAR "+names[j]+" = VAR "+names[j-1])
	}
	return names, stmts, value
}

// chainDoc inserts one or more chains' statements, each in order, into
// filler lines.
func (r *rng) chainDoc(lines []string, chains [][]string) string {
	var all []string
	for _, c := range chains {
		all = append(all, c...)
	}
	// Positions sorted per chain keep each chain's order.
	pos := make([]int, len(all))
	k := 0
	for _, c := range chains {
		p := make([]int, len(c))
		for i := range p {
			p[i] = r.intn(len(lines) + 1)
		}
		sort.Ints(p)
		copy(pos[k:], p)
		k += len(c)
	}
	var out []string
	for i := 0; i <= len(lines); i++ {
		for j, p := range pos {
			if p == i {
				out = append(out, all[j])
			}
		}
		if i < len(lines) {
			out = append(out, lines[i])
		}
	}
	return strings.Join(out, "\n")
}

func varChain(r *rng, words int) Sample {
	taken := map[string]bool{}
	hops := r.between(1, 4)
	names, stmts, value := r.chain(5, hops, taken)
	chains := [][]string{stmts}
	for range r.intn(3) { // distractor chains with other values
		_, s, _ := r.chain(5, r.between(1, 4), taken)
		chains = append(chains, s)
	}
	doc := r.chainDoc(r.essay(words), chains)
	return qa(doc, "Which variables are assigned the value "+value+"?", strings.Join(names, " "), names...)
}

func multiHop(r *rng, words int) Sample {
	n := r.between(1, 4)
	people := distinct(2*n, r.name)
	towns := distinct(n, func() string { return r.name() + r.pick([]string{"ton", "ford", "burg", "dale", "wick"}) })
	var facts []string
	for i := 0; i < n; i++ {
		facts = append(facts, people[i]+" lives in "+towns[i]+".", "The mayor of "+towns[i]+" is "+people[n+i]+".")
	}
	q := r.intn(n)
	doc := r.insert(r.essay(words), facts, " ")
	return qa(doc, "Who is the mayor of the town where "+people[q]+" lives?", people[n+q], people[n+q])
}

// RULER's NIAH wording (NVIDIA/RULER scripts/data/synthetic/constants.py),
// which longctx eval uses; the model must know it.
const (
	rulerNIAH       = "Some special magic {type} are hidden within the following text. Make sure to memorize it. I will quiz you about the {type} afterwards.\n{context}\nWhat are all the special magic {type} for {query} mentioned in the provided text?"
	rulerNIAHPrefix = " The special magic {type} for {query} mentioned in the provided text are"
	rulerNeedle     = "One of the special magic {type} for {key} is: {value}."
	rulerVTPrompt   = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n{context}\nQuestion: Find all variables that are assigned the value {query} in the text above."
	rulerVTPrefix   = " Answer: According to the chain(s) of variable assignment in the text above, {num} variables are assigned the value {query}, they are: "
)

func (r *rng) ofType(typ string) string {
	switch typ {
	case "numbers":
		return r.digits(7)
	case "uuids":
		return r.uuid()
	}
	return r.keyWords()
}

// confusable is niah's value type for numbers drawn by confusableDigits.
const confusable = "confusable"

// confusableDigits returns a source of distinct n-digit numbers that look
// alike: the first is random, each later one keeps every digit of the
// first with probability 1/2, and about a third repeat a digit in place of
// their next one. A model that copies a number by looking up where the
// digit it just wrote occurs jumps between such numbers (what the default
// model did on RULER's multi-key task).
func (r *rng) confusableDigits(n int) func() string {
	var base []byte
	seen := map[string]bool{}
	return func() string {
		for {
			b := []byte(r.digits(n))
			if base == nil {
				base = b
			} else {
				for i := range b {
					if r.chance(0.5) {
						b[i] = base[i]
					}
				}
				if r.chance(0.33) {
					i := 1 + r.intn(n-1)
					b[i] = b[i-1]
				}
			}
			if !seen[string(b)] {
				seen[string(b)] = true
				return string(b)
			}
		}
	}
}

func niah(haystack, keyType, valType string, k, v, q int) taskFunc {
	return func(r *rng, words int) Sample {
		used := map[string]bool{}
		var keys []string
		var values [][]string
		var needles []string
		typName, value := valType, func() string { return r.ofType(valType) }
		if valType == confusable {
			typName, value = "numbers", r.confusableDigits(7)
		}
		for range k {
			key := r.ofType(keyType)
			for used[key] {
				key = r.ofType(keyType)
			}
			used[key] = true
			keys = append(keys, key)
			var vs []string
			for range v {
				val := value()
				vs = append(vs, val)
				needles = append(needles, fill(rulerNeedle, "{type}", typName, "{key}", key, "{value}", val))
			}
			values = append(values, vs)
		}
		var context string
		switch haystack {
		case "essay":
			context = r.insert(r.essay(words), needles, " ")
		case "noise":
			context = r.insert(r.noiseLines(max(1, words/20)), needles, "\n")
		default: // every line a needle with another key
			lines := make([]string, max(1, words/12))
			for i := range lines {
				key := r.ofType(keyType)
				for used[key] {
					key = r.ofType(keyType)
				}
				lines[i] = fill(rulerNeedle, "{type}", typName, "{key}", key, "{value}", value())
			}
			context = r.insert(lines, needles, "\n")
		}
		var queries, golds []string
		for _, i := range r.sample(k, q) {
			queries = append(queries, keys[i])
			golds = append(golds, values[i]...)
		}
		query := queries[0]
		if len(queries) > 1 {
			query = strings.Join(queries[:len(queries)-1], ", ") + ", and " + queries[len(queries)-1]
		}
		tmpl, prefix, typ := rulerNIAH, rulerNIAHPrefix, typName
		if q*v == 1 { // RULER's singular rewrite
			sing := strings.NewReplacer("Some", "A", "are all", "is", "are", "is")
			tmpl, prefix, typ = sing.Replace(tmpl), sing.Replace(prefix), typ[:len(typ)-1]
		}
		return Sample{
			Prompt: fill(tmpl, "{type}", typ, "{query}", query, "{context}", context) + fill(prefix, "{type}", typ, "{query}", query),
			Answer: ": " + strings.Join(golds, ", ") + ".",
			Golds:  golds,
		}
	}
}

func fill(t string, pairs ...string) string { return strings.NewReplacer(pairs...).Replace(t) }

func rulerVT(r *rng, words int) Sample {
	const hops = 4
	taken := map[string]bool{}
	var prompt string
	if r.chance(0.5) { // RULER puts one worked example first
		exNames, exChain, exValue := r.chain(3, hops, taken)
		prompt = fill(rulerVTPrompt, "{context}", r.chainDoc(r.noiseLines(5), [][]string{exChain}), "{query}", exValue) +
			fill(rulerVTPrefix, "{num}", strconv.Itoa(hops+1), "{query}", exValue) + strings.Join(exNames, " ") + "\n"
	}
	names, chain, value := r.chain(5, hops, taken)
	prompt += fill(rulerVTPrompt, "{context}", r.chainDoc(r.noiseLines(max(1, words/20)), [][]string{chain}), "{query}", value) +
		fill(rulerVTPrefix, "{num}", strconv.Itoa(hops+1), "{query}", value)
	return Sample{Prompt: prompt, Answer: strings.Join(names, " "), Golds: names}
}

// Kamradt's NIAH wording (gkamradt/LLMTest_NeedleInAHaystack), with our own
// generated needles: "The best thing to do in <town> is <activity>."
const (
	kamradtSystem = "You are a helpful AI bot that answers questions for a user. Keep your response short and direct"
	kamradtSuffix = " Don't give information outside the document or repeat your findings"
)

func kamradt(r *rng, words int) Sample {
	town := r.name() + r.pick([]string{"", " City", "ville", " Bay"})
	place := r.pick(activityPlaces)
	activity := r.pick(activityVerbs) + " a " + r.pick(foods) + " and sit in " + r.name() + " " +
		strings.ToUpper(place[:1]) + place[1:] + " on a " + r.pick(weathers) + " day"
	needle := "The best thing to do in " + town + " is " + activity + "."
	doc := r.insert(r.essay(words), []string{needle}, " ")
	return Sample{
		Prompt: kamradtSystem + "\n\n" + doc + "\n\nWhat is the best thing to do in " + town + "?" + kamradtSuffix,
		Answer: " " + needle,
		Golds:  []string{activity},
	}
}
