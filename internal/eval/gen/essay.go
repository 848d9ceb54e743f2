package gen

import (
	"strings"
	"sync"
)

// essayTemplates are sentence frames written for this package; {A} is an
// adjective, {N} a noun, {P} a plural noun, {V} a verb.
var essayTemplates = []string{
	"Most people who {V} a {N} never ask why the {N} matters.",
	"The {A} part of any {N} is the one nobody plans for.",
	"When you {V} {P} for long enough, you start to notice how {A} they are.",
	"I used to think a {A} {N} was enough, but it rarely is.",
	"There is a simple test: can you {V} the {N} without thinking about the {P}?",
	"Good {P} tend to be {A} at first and only later look obvious.",
	"If a {N} seems {A}, that is usually a sign you should {V} it again.",
	"Nobody sets out to {V} a {A} {N}; it happens gradually.",
	"The best way to understand {P} is to {V} one yourself.",
	"A {A} {N} can teach you more than a hundred {A} {P}.",
	"Why do so many {P} fail to {V}?",
	"Part of the answer is that {P} are {A} in ways we do not expect.",
	"It is easier to {V} a {N} than to explain it.",
	"Young {P} often {V} faster than old ones.",
	"The {N} was never the point; the {P} around it were.",
	"You can learn to {V}, but you cannot learn to want to.",
	"Most of the time, a {A} idea looks like a {A} one.",
	"In a small town, a {N} is something everyone must {V} sooner or later.",
	"What matters is not the {N} but whether you {V} it every day.",
	"A {N} that is hard to {V} is often worth the trouble.",
	"Consider the {N}: {A}, {A}, and oddly {A}.",
	"The people who {V} {P} best are usually the ones who enjoy it.",
	"So the question is not whether to {V}, but when.",
	"Every {N} starts out {A} and ends up {A}.",
	"It took me years to see that the {N} and the {N} were the same problem.",
	"Few things are as {A} as a {N} left alone in the rain.",
	"That is why I still {V} the {N} by hand.",
	"Some {P} are {A}; others just look that way from a distance.",
}

func plural(n string) string {
	switch {
	case strings.HasSuffix(n, "s"), strings.HasSuffix(n, "x"), strings.HasSuffix(n, "ch"), strings.HasSuffix(n, "sh"):
		return n + "es"
	case strings.HasSuffix(n, "y") && len(n) > 1 && !strings.ContainsRune("aeiou", rune(n[len(n)-2])):
		return n[:len(n)-1] + "ies"
	}
	return n + "s"
}

// essaySentence fills one random template.
func essaySentence(r *rng, b *strings.Builder) {
	t := essayTemplates[r.intn(len(essayTemplates))]
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return
		}
		b.WriteString(t[:i])
		switch t[i+1] {
		case 'A':
			b.WriteString(adjectives[r.intn(len(adjectives))])
		case 'N':
			b.WriteString(nouns[r.intn(len(nouns))])
		case 'P':
			b.WriteString(plural(nouns[r.intn(len(nouns))]))
		case 'V':
			b.WriteString(verbs[r.intn(len(verbs))])
		}
		t = t[i+3:]
	}
}

// essayCorpus is a fixed procedurally written text, made once from a fixed
// seed: like a bundled essay file, it does not change with the run's seed.
type essayCorpus struct {
	sentences []string
	words     []int // words[i] = number of words in sentences[:i]
}

const essaySentenceCount = 30000 // ~350K words: covers 128K-token haystacks without cycling

var (
	essayOnce sync.Once
	essay     *essayCorpus
)

func theEssay() *essayCorpus {
	essayOnce.Do(func() {
		r := newRNG(42, "essay")
		c := &essayCorpus{words: make([]int, 1, essaySentenceCount+1)}
		var b strings.Builder
		for range essaySentenceCount {
			b.Reset()
			essaySentence(r, &b)
			s := b.String()
			c.sentences = append(c.sentences, s)
			c.words = append(c.words, c.words[len(c.words)-1]+strings.Count(s, " ")+1)
		}
		essay = c
	})
	return essay
}

// firstWords returns the sentences made of the corpus's first n words,
// cycling through the corpus when n is larger; the last sentence may be cut.
func (c *essayCorpus) firstWords(n int) []string {
	var out []string
	total := c.words[len(c.words)-1]
	for n >= total {
		out = append(out, c.sentences...)
		n -= total
	}
	// Largest k with words[k] <= n: whole sentences.
	lo, hi := 0, len(c.sentences)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.words[mid] <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out = append(out, c.sentences[:lo]...)
	if rest := n - c.words[lo]; rest > 0 {
		w := strings.SplitN(c.sentences[lo], " ", rest+1)
		out = append(out, strings.Join(w[:rest], " "))
	}
	return out
}

// fileHaystack is a user's own text used as the essay haystack: whitespace
// collapsed and split into sentences at '.', '!' or '?' followed by a space.
func fileHaystack(text string) (*essayCorpus, error) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return nil, errEmptyHaystack
	}
	c := &essayCorpus{words: []int{0}}
	start := 0
	for i, w := range words {
		last := w[len(w)-1]
		if last == '.' || last == '!' || last == '?' || i == len(words)-1 {
			c.sentences = append(c.sentences, strings.Join(words[start:i+1], " "))
			c.words = append(c.words, i+1)
			start = i + 1
		}
	}
	return c, nil
}
