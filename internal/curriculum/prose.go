package curriculum

import "strings"

// Sentence templates for the essay filler. Slots: {N} noun, {A} adjective,
// {V} verb, {D} adverb, {P} an invented name; each slot is filled
// independently.
var templates = []string{
	"The {A} {N} stood beside the {N}.",
	"{P} decided to {V} the {A} {N} before the {N} closed.",
	"Every {N} in the village has a {A} {N}.",
	"Nobody could {V} the {N} without a {A} {N}.",
	"In the {A} morning the {N} looked {A}.",
	"A {A} {N} is easier to {V} than a {A} {N}.",
	"{P} would {D} {V} the {N} near the {N}.",
	"When the {N} was {A}, people went to the {N}.",
	"It is said that the {N} of the {N} was once {A}.",
	"The {N} and the {N} were both {A} that year.",
	"{P} told {P} that the {N} needed to be {A}.",
	"Some say a {A} {N} brings a {A} {N}.",
	"After the {N}, the {A} {N} was {D} quiet.",
	"We {D} {V} the {N} because the {N} is {A}.",
	"There was a {A} {N} at the end of the {N}.",
	"The old {N} taught us to {V} every {N}.",
	"If you {V} the {N}, the {N} becomes {A}.",
	"{P} kept a {A} {N} in the {N} for many years.",
	"Most of the {N} near the {N} felt {A}.",
	"One should {D} {V} a {A} {N}.",
	"The {N} of {P} was {A} and {A}.",
	"Later the {N} was moved to a {A} {N}.",
	"Each {N} has its own {A} {N}.",
	"Our {N} is {A}, but the {N} is {A}.",
}

// fill fills template t; with invented true, half the slots take the
// sample's invented words.
func (r *rng) fill(t string, invented bool) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] == '{' && i+2 < len(t) && t[i+2] == '}' {
			if invented && t[i+1] != 'P' && r.chance(0.5) {
				b.WriteString(r.pick(r.lexicon()))
				i += 2
				continue
			}
			switch t[i+1] {
			case 'N':
				b.WriteString(r.pick(nouns))
			case 'A':
				b.WriteString(r.pick(adjectives))
			case 'V':
				b.WriteString(r.pick(verbs))
			case 'D':
				b.WriteString(r.pick(adverbs))
			case 'P':
				b.WriteString(r.name())
			}
			i += 2
			continue
		}
		b.WriteByte(t[i])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// essay returns sentences of generated prose totalling about words words:
// the templates filled from the word lists, or (varied) templates half
// filled with invented words, or free sentences of invented words.
func (r *rng) essay(words int) []string {
	style := 0
	if r.varied() {
		style = 1 + r.intn(2)
	}
	var out []string
	for n := 0; n < words; {
		var s string
		if style == 2 {
			s = r.freeSentence()
		} else {
			s = r.fill(r.pick(templates), style == 1)
		}
		out = append(out, s)
		n += strings.Count(s, " ") + 1
	}
	return out
}

// freeSentence is 3–18 words of the sample's invented vocabulary mixed
// with list words and the odd number, with commas, semicolons, questions.
func (r *rng) freeSentence() string {
	n := r.between(3, 18)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			if r.chance(0.08) {
				b.WriteString(r.pick([]string{",", ";", " -", ":"}))
			}
			b.WriteByte(' ')
		}
		switch x := r.intn(100); {
		case x < 3:
			b.WriteString(r.number(1, 2100))
		case x < 30:
			b.WriteString(r.pick(fillerWords))
		default:
			b.WriteString(r.pick(r.lexicon()))
		}
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:] + r.pick([]string{".", ".", ".", "?", "!"})
}

// fillerWords are common function words that free sentences mix in.
var fillerWords = []string{"the", "a", "of", "and", "to", "in", "is", "was", "it", "that", "for", "on", "with",
	"as", "but", "not", "or", "by", "at", "from", "we", "you", "they", "this", "one", "all", "so", "if"}

// noiseLines returns n lines of short repeated-looking statements, the
// shape of RULER's noise haystack with our own sentences: each line is
// one sample-wide set of five "The N is A." facts.
func (r *rng) noiseLines(n int) []string {
	var parts []string
	nouns, adjectives := nouns, adjectives
	if r.varied() {
		nouns, adjectives = r.lexicon(), r.lexicon()
	}
	for range 4 {
		parts = append(parts, "The "+r.pick(nouns)+" is "+r.pick(adjectives)+".")
	}
	parts = append(parts, "Here we "+r.pick([]string{"go", "are", "stay", "rest"})+".")
	line := strings.Join(parts, " ")
	out := make([]string, n)
	for i := range out {
		out[i] = line
	}
	return out
}

// insert splices needles into sentences at distinct random depths and
// returns the joined text and the depths (fractions) used.
func (r *rng) insert(sents, needles []string, sep string) string {
	n := len(sents)
	pos := make([]int, len(needles))
	for i := range pos {
		pos[i] = r.intn(n + 1)
	}
	var b strings.Builder
	for i := 0; i <= n; i++ {
		for k, p := range pos {
			if p == i {
				if b.Len() > 0 {
					b.WriteString(sep)
				}
				b.WriteString(needles[k])
			}
		}
		if i < n {
			if b.Len() > 0 {
				b.WriteString(sep)
			}
			b.WriteString(sents[i])
		}
	}
	return b.String()
}
