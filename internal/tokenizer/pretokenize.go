package tokenizer

import "strings"

// Pre-tokenization splits a text fragment into words before BPE runs on
// each word. llama.cpp applies a list of regexes in turn: each one refines
// the current segmentation, every match and every gap between matches
// becoming a segment of its own. Three of its regexes have hand-written
// implementations there (GPT-2's, Llama 3's and Qwen 2's); the rest run
// through std::regex with ECMAScript (leftmost, first-alternative-wins)
// semantics, where \s matches exactly the White_Space code points and a
// category class such as \p{L} matches ASCII letters plus non-ASCII code
// points of that category that are not white space. The step functions
// below reproduce both kinds on code points, with lengths in code points.

// splitStep refines a segmentation of cps (lengths in code points, in
// order, summing to len(cps)) and appends the new one to out.
type splitStep func(cps []rune, fl []cpFlags, segs []int, out []int) []int

// finder returns the leftmost match of a regex in cps[from:end] as
// [start, stop), or start < 0 if there is none. end bounds look-arounds
// and $ as the end of the searched segment does in llama.cpp.
type finder func(cps []rune, fl []cpFlags, from, end int) (start, stop int)

// regexStep turns a finder into a split step that keeps matches and the
// gaps between them as separate segments.
func regexStep(find finder) splitStep {
	return func(cps []rune, fl []cpFlags, segs []int, out []int) []int {
		base := 0
		for _, n := range segs {
			end := base + n
			p := base
			for p < end {
				s, e := find(cps, fl, p, end)
				if s < 0 {
					break
				}
				if s > p {
					out = append(out, s-p)
				}
				out = append(out, e-s)
				p = e
			}
			if p < end {
				out = append(out, end-p)
			}
			base = end
		}
		return out
	}
}

// A charClass is one bracket expression or category escape.
type charClass func(r rune, f cpFlags) bool

// Collapsed category classes: llama.cpp maps every non-ASCII code point to
// a byte standing for its category, white space first, so a non-ASCII
// white-space code point never matches a category class.
func categoryClass(mask cpFlags) charClass {
	return func(_ rune, f cpFlags) bool { return f&mask != 0 && f&flagWhitespace == 0 }
}

var (
	classLetter = categoryClass(flagLetter)
	classNumber = categoryClass(flagNumber)
	classPunct  = categoryClass(flagPunct)
	// [\p{P}\$\+<=>\^~\|]: punctuation and the ASCII symbols listed.
	classPunctAndSymbols = punctAnd("$+<=>^~|")
	// [\p{P}\$\+<=>\^~\|`]: the same with the backquote (Falcon).
	classPunctAndSymbolsFalcon = punctAnd("$+<=>^~|`")
)

func classASCIIDigit(r rune, _ cpFlags) bool { return r >= '0' && r <= '9' }

// punctAnd matches \p{P} and the ASCII characters in extra.
func punctAnd(extra string) charClass {
	return func(r rune, f cpFlags) bool {
		return (r < 0x80 && strings.IndexByte(extra, byte(r)) >= 0) || classPunct(r, f)
	}
}

// rangeClass matches a bracket expression of literal code points and
// ranges, written as in the regex source ("A-Za-zµ..."). Non-ASCII white
// space never matches: llama.cpp replaces it by U+000B before matching.
func rangeClass(spec string) charClass {
	rs := []rune(spec)
	var ranges [][2]rune
	for i := 0; i < len(rs); i++ {
		if i+2 < len(rs) && rs[i+1] == '-' {
			ranges = append(ranges, [2]rune{rs[i], rs[i+2]})
			i += 2
		} else {
			ranges = append(ranges, [2]rune{rs[i], rs[i]})
		}
	}
	return func(r rune, f cpFlags) bool {
		if r > 0x7F && f&flagWhitespace != 0 {
			return false
		}
		for _, x := range ranges {
			if x[0] <= r && r <= x[1] {
				return true
			}
		}
		return false
	}
}

// findRun finds class+ (or class alone when single).
func findRun(class charClass, single bool) finder {
	return func(cps []rune, fl []cpFlags, from, end int) (int, int) {
		for s := from; s < end; s++ {
			if class(cps[s], fl[s]) {
				e := s + 1
				for !single && e < end && class(cps[e], fl[e]) {
					e++
				}
				return s, e
			}
		}
		return -1, -1
	}
}

// findSpaceThenRun finds \s?class+.
func findSpaceThenRun(class charClass) finder {
	return func(cps []rune, fl []cpFlags, from, end int) (int, int) {
		for s := from; s < end; s++ {
			first := s
			if !class(cps[s], fl[s]) {
				if !fl[s].is(flagWhitespace) || s+1 >= end || !class(cps[s+1], fl[s+1]) {
					continue
				}
				first = s + 1
			}
			e := first + 1
			for e < end && class(cps[e], fl[e]) {
				e++
			}
			return s, e
		}
		return -1, -1
	}
}

// findTrailingSpace finds \s+$: the white-space run that ends the segment.
func findTrailingSpace(_ []rune, fl []cpFlags, from, end int) (int, int) {
	s := end
	for s > from && fl[s-1].is(flagWhitespace) {
		s--
	}
	if s == end {
		return -1, -1
	}
	return s, end
}

// findThreeDigits finds [0-9][0-9][0-9].
func findThreeDigits(cps []rune, fl []cpFlags, from, end int) (int, int) {
	for s := from; s+2 < end; s++ {
		if classASCIIDigit(cps[s], fl[s]) && classASCIIDigit(cps[s+1], fl[s+1]) && classASCIIDigit(cps[s+2], fl[s+2]) {
			return s, s + 3
		}
	}
	return -1, -1
}

// findLineBreak finds [\r\n].
func findLineBreak(cps []rune, _ []cpFlags, from, end int) (int, int) {
	for s := from; s < end; s++ {
		if cps[s] == '\r' || cps[s] == '\n' {
			return s, s + 1
		}
	}
	return -1, -1
}

// segment gives bounds-checked access to one segment: outside it a code
// point reads as outOfSegment and its flags as zero, as in llama.cpp.
type segment struct {
	cps      []rune
	fl       []cpFlags
	ini, end int
}

const outOfSegment = -1

func (g *segment) cp(i int) rune {
	if i >= g.ini && i < g.end {
		return g.cps[i]
	}
	return outOfSegment
}

func (g *segment) flags(i int) cpFlags {
	if i >= g.ini && i < g.end {
		return g.fl[i]
	}
	return 0
}

// words collects the output lengths of one segment.
type words struct {
	out  []int
	prev int
}

func (w *words) cut(end int) {
	if end > w.prev {
		w.out = append(w.out, end-w.prev)
	}
	w.prev = end
}

// contraction reports the length of 's 't 'm 'd 're 've 'll at pos (0 if
// none), ASCII case-insensitively when fold is set.
func (g *segment) contraction(pos int, fold bool) int {
	if g.cps[pos] != '\'' || pos+1 >= g.end {
		return 0
	}
	lower := func(r rune) rune {
		if fold && r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	switch lower(g.cps[pos+1]) {
	case 's', 't', 'm', 'd':
		return 2
	}
	if pos+2 < g.end {
		a, b := lower(g.cps[pos+1]), lower(g.cps[pos+2])
		if (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') {
			return 3
		}
	}
	return 0
}

// whitespaceRun counts white space from pos, and the position just after
// the last \r or \n in it (0 if none).
func (g *segment) whitespaceRun(pos int) (n, afterLastBreak int) {
	for g.flags(pos + n).is(flagWhitespace) {
		if c := g.cps[pos+n]; c == '\r' || c == '\n' {
			afterLastBreak = pos + n + 1
		}
		n++
	}
	return n, afterLastBreak
}

// splitGPT2 is the hand-written form of
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func splitGPT2(cps []rune, fl []cpFlags, segs []int, out []int) []int {
	const wordClasses = flagWhitespace | flagLetter | flagNumber
	w := words{out: out}
	base := 0
	for _, n := range segs {
		g := segment{cps, fl, base, base + n}
		w.prev = base
		for pos := g.ini; pos < g.end; {
			c := cps[pos]
			if k := g.contraction(pos, false); k > 0 {
				pos += k
				w.cut(pos)
				continue
			}
			f2 := fl[pos]
			if c == ' ' {
				f2 = g.flags(pos + 1)
			}
			if f2.is(flagLetter) || f2.is(flagNumber) {
				class := f2 & (flagLetter | flagNumber)
				if c == ' ' {
					pos++
				}
				for g.flags(pos).is(class) {
					pos++
				}
				w.cut(pos)
				continue
			}
			if !f2.is(wordClasses) && f2 != 0 {
				if c == ' ' {
					pos++
				}
				for f := g.flags(pos); !f.is(wordClasses) && f != 0; f = g.flags(pos) {
					pos++
				}
				w.cut(pos)
				continue
			}
			nws, _ := g.whitespaceRun(pos)
			switch {
			case nws > 1 && pos+nws < g.end:
				pos += nws - 1
			case nws > 0:
				pos += nws
			default:
				pos++
			}
			w.cut(pos)
		}
		base = g.end
	}
	return w.out
}

// splitLlama3Style is the hand-written form of
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// with D = maxDigits (3 for Llama 3, 1 for Qwen 2).
func splitLlama3Style(maxDigits int) splitStep {
	return func(cps []rune, fl []cpFlags, segs []int, out []int) []int {
		const wordClasses = flagWhitespace | flagLetter | flagNumber
		w := words{out: out}
		base := 0
		for _, n := range segs {
			g := segment{cps, fl, base, base + n}
			w.prev = base
			for pos := g.ini; pos < g.end; {
				c, f := cps[pos], fl[pos]
				if k := g.contraction(pos, true); k > 0 {
					pos += k
					w.cut(pos)
					continue
				}
				if c != '\r' && c != '\n' && !f.is(flagNumber) && (f.is(flagLetter) || g.flags(pos+1).is(flagLetter)) {
					pos++
					for g.flags(pos).is(flagLetter) {
						pos++
					}
					w.cut(pos)
					continue
				}
				if f.is(flagNumber) {
					ini := pos
					for g.flags(pos).is(flagNumber) {
						pos++
						if pos-ini >= maxDigits {
							w.cut(pos)
							ini = pos
						}
					}
					w.cut(pos)
					continue
				}
				f2 := f
				if c == ' ' {
					f2 = g.flags(pos + 1)
				}
				if !f2.is(wordClasses) {
					// llama.cpp tests f (never zero) here, not f2, so a
					// space at the end of the segment is taken alone.
					if c == ' ' {
						pos++
					}
					for f := g.flags(pos); !f.is(wordClasses) && f != 0; f = g.flags(pos) {
						pos++
					}
					for c2 := g.cp(pos); c2 == '\r' || c2 == '\n'; c2 = g.cp(pos) {
						pos++
					}
					w.cut(pos)
					continue
				}
				nws, afterBreak := g.whitespaceRun(pos)
				switch {
				case afterBreak > 0:
					pos = afterBreak
				case nws > 1 && pos+nws < g.end:
					pos += nws - 1
				case nws > 0:
					pos += nws
				default:
					pos++
				}
				w.cut(pos)
			}
			base = g.end
		}
		return w.out
	}
}

// Regexes of the pre-tokenizers that llama.cpp runs through std::regex.
var (
	stepLineBreak          = regexStep(findLineBreak)                                // [\r\n]
	stepSpaceLetters       = regexStep(findSpaceThenRun(classLetter))                // \s?\p{L}+
	stepSpacePunct         = regexStep(findSpaceThenRun(classPunct))                 // \s?\p{P}+
	stepNumber             = regexStep(findRun(classNumber, true))                   // \p{N}
	stepNumbers            = regexStep(findRun(classNumber, false))                  // \p{N}+
	stepPunctSymbols       = regexStep(findRun(classPunctAndSymbols, false))         // [\p{P}\$\+<=>\^~\|]+
	stepPunctSymbolsFalcon = regexStep(findRun(classPunctAndSymbolsFalcon, false))   // [\p{P}\$\+<=>\^~\|`]+
	stepThreeDigits        = regexStep(findThreeDigits)                              // [0-9][0-9][0-9]
	stepTrailingSpace      = regexStep(findTrailingSpace)                            // \s+$
	stepCJKHangul          = regexStep(findRun(rangeClass("一-龥ࠀ-一가-\uD7FF"), false)) // [一-龥ࠀ-一가-\uD7FF]+
	stepDeepseekLetter     = regexStep(findSpaceThenRun(rangeClass(deepseekLetters)))
	stepDeepseekPunct      = regexStep(findSpaceThenRun(rangeClass("!-/:-~！-／：-～‘-‟\u3000-。")))
)

// deepseekLetters is the letter class of DeepSeek LLM's second regex.
const deepseekLetters = "A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃"

// Regex lists of the supported pre-tokenizers, as llama.cpp applies them.
var (
	stepsGPT2        = []splitStep{splitGPT2}
	stepsLlama3      = []splitStep{splitLlama3Style(3)}
	stepsQwen2       = []splitStep{splitLlama3Style(1)}
	stepsStarCoder   = []splitStep{stepNumber, splitGPT2}
	stepsFalcon      = []splitStep{stepPunctSymbolsFalcon, splitGPT2, stepThreeDigits}
	stepsDefault     = []splitStep{stepPunctSymbols, splitGPT2, stepNumbers, stepThreeDigits}
	stepsDeepseekLLM = []splitStep{stepLineBreak, stepDeepseekLetter, stepDeepseekPunct,
		stepTrailingSpace, stepCJKHangul, stepNumbers}
	stepsDeepseekCoder = []splitStep{stepLineBreak, stepSpaceLetters, stepSpacePunct, stepCJKHangul, stepNumber}
)

// preTokenize splits cps (with flags fl) into words and returns their
// lengths in code points. a and b are scratch buffers, reused.
func preTokenize(steps []splitStep, cps []rune, fl []cpFlags, a, b *[]int) []int {
	*a = append((*a)[:0], len(cps))
	for _, step := range steps {
		*b = step(cps, fl, *a, (*b)[:0])
		*a, *b = *b, *a
	}
	return *a
}
