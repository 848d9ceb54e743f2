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

func (r *rng) fill(t string) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] == '{' && i+2 < len(t) && t[i+2] == '}' {
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

// essay returns sentences of generated prose totalling about words words.
func (r *rng) essay(words int) []string {
	var out []string
	for n := 0; n < words; {
		s := r.fill(r.pick(templates))
		out = append(out, s)
		n += strings.Count(s, " ") + 1
	}
	return out
}

// noiseLines returns n lines of short repeated-looking statements, the
// shape of RULER's noise haystack with our own sentences: each line is
// one sample-wide set of five "The N is A." facts.
func (r *rng) noiseLines(n int) []string {
	var parts []string
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
