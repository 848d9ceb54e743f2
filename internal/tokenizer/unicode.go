package tokenizer

import (
	"fmt"
	"sync"
	"unicode"
)

// cpFlags classifies a code point the way llama.cpp's pre-tokenizers see it:
// exactly one general-category bit (or flagUndefined for unassigned code
// points) plus a white-space bit. The zero value stands for "outside the
// current segment", which the splitters test for.
type cpFlags uint16

const (
	flagUndefined  cpFlags = 1 << iota // Cn, and anything above U+10FFFF
	flagNumber                         // \p{N}
	flagLetter                         // \p{L}
	flagSeparator                      // \p{Z}
	flagMark                           // \p{M}
	flagPunct                          // \p{P}
	flagSymbol                         // \p{S}
	flagControl                        // Cc, Cf, Co, Cs
	flagWhitespace                     // Unicode White_Space property (\s)
)

func (f cpFlags) is(mask cpFlags) bool { return f&mask != 0 }

// maxCodepoint is the largest code point llama.cpp can re-encode as UTF-8.
const maxCodepoint = 0x10FFFF

var (
	bmpFlagsOnce sync.Once
	bmpFlags     []cpFlags // flags of U+0000..U+FFFF, built on first use
)

// categoryFlags lists the tables that decide the category bit. Go's tables
// are Unicode 15.0; llama.cpp's are 15.1, whose additions are patched in by
// unicode151Additions.
var categoryFlags = []struct {
	table *unicode.RangeTable
	flag  cpFlags
}{
	{unicode.L, flagLetter},
	{unicode.N, flagNumber},
	{unicode.Z, flagSeparator},
	{unicode.M, flagMark},
	{unicode.P, flagPunct},
	{unicode.S, flagSymbol},
	{unicode.Cc, flagControl},
	{unicode.Cf, flagControl},
	{unicode.Co, flagControl},
	{unicode.Cs, flagControl},
}

// unicode151Additions are the code points assigned in Unicode 15.1, which
// llama.cpp's generated tables include and Go 1.26's do not.
var unicode151Additions = []struct {
	lo, hi rune
	flag   cpFlags
}{
	{0x2FFC, 0x2FFF, flagSymbol},   // ideographic description characters
	{0x31EF, 0x31EF, flagSymbol},   // CJK stroke HXG
	{0x2EBF0, 0x2EE5D, flagLetter}, // CJK Unified Ideographs Extension I
}

func buildBMPFlags() {
	t := make([]cpFlags, 0x10000)
	for i := range t {
		t[i] = flagUndefined
	}
	for _, c := range categoryFlags {
		for _, r := range c.table.R16 {
			for x := uint32(r.Lo); x <= uint32(r.Hi); x += uint32(r.Stride) {
				t[x] = c.flag
			}
		}
	}
	for _, a := range unicode151Additions {
		for x := a.lo; x <= a.hi && x < 0x10000; x++ {
			t[x] = a.flag
		}
	}
	for _, r := range unicode.White_Space.R16 {
		for x := uint32(r.Lo); x <= uint32(r.Hi); x += uint32(r.Stride) {
			t[x] |= flagWhitespace
		}
	}
	bmpFlags = t
}

// flagsOf returns the flags of code point r (never zero).
func flagsOf(r rune) cpFlags {
	if r >= 0 && r < 0x10000 {
		bmpFlagsOnce.Do(buildBMPFlags)
		return bmpFlags[r]
	}
	if r < 0 || r > maxCodepoint {
		return flagUndefined
	}
	for _, a := range unicode151Additions {
		if a.lo <= r && r <= a.hi {
			return a.flag
		}
	}
	for _, c := range categoryFlags {
		if unicode.Is(c.table, r) {
			return c.flag
		}
	}
	return flagUndefined // no supplementary code point is white space
}

// decodeLlama splits text into code points with llama.cpp's lenient UTF-8
// rules: a lead byte followed by enough continuation bytes is decoded
// without checking for overlong forms or surrogates; any other byte becomes
// U+FFFD on its own. A 4-byte form above U+10FFFF cannot be re-encoded by
// llama.cpp (it aborts), so it is an error here.
func decodeLlama(text []byte, dst []rune) ([]rune, error) {
	for i := 0; i < len(text); {
		c := text[i]
		cont := func(k int) bool { return i+k < len(text) && text[i+k]&0xC0 == 0x80 }
		switch {
		case c < 0x80:
			dst = append(dst, rune(c))
			i++
		case c&0x40 == 0: // stray continuation byte
			dst = append(dst, unicode.ReplacementChar)
			i++
		case c&0x20 == 0 && cont(1):
			dst = append(dst, rune(c&0x1F)<<6|rune(text[i+1]&0x3F))
			i += 2
		case c&0x20 == 0:
			dst = append(dst, unicode.ReplacementChar)
			i++
		case c&0x10 == 0 && cont(1) && cont(2):
			dst = append(dst, rune(c&0x0F)<<12|rune(text[i+1]&0x3F)<<6|rune(text[i+2]&0x3F))
			i += 3
		case c&0x10 == 0:
			dst = append(dst, unicode.ReplacementChar)
			i++
		case c&0x08 == 0 && cont(1) && cont(2) && cont(3):
			r := rune(c&0x07)<<18 | rune(text[i+1]&0x3F)<<12 | rune(text[i+2]&0x3F)<<6 | rune(text[i+3]&0x3F)
			if r > maxCodepoint {
				return nil, fmt.Errorf("tokenizer: invalid UTF-8 at byte %d: sequence % x encodes U+%X, above U+10FFFF", i, text[i:i+4], r)
			}
			dst = append(dst, r)
			i += 4
		default:
			dst = append(dst, unicode.ReplacementChar)
			i++
		}
	}
	return dst, nil
}

// appendCodepoint appends the UTF-8 form of r (r <= U+10FFFF) the way
// llama.cpp writes it: surrogates are encoded like any other 3-byte value.
func appendCodepoint(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
	case r < 0x10000:
		return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	default:
		return append(dst, 0xF0|byte(r>>18), 0x80|byte(r>>12&0x3F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	}
}

// utf8SeqLen is the sequence length llama.cpp assumes from a lead byte's
// high nibble (continuation bytes count as 1).
func utf8SeqLen(b byte) int {
	switch b >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// byteRunes is GPT-2's reversible byte-to-code-point map: printable Latin-1
// bytes stand for themselves, the other 68 bytes are shifted to U+0100 on.
var byteRunes, runeBytes = buildByteMaps()

func buildByteMaps() (b2r [256]rune, r2b map[rune]byte) {
	printable := func(b int) bool {
		return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	r2b = make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		if printable(b) {
			b2r[b] = rune(b)
		} else {
			b2r[b] = 256 + n
			n++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}

// byteEncoded is the UTF-8 form of byteRunes[b], precomputed.
var byteEncoded = func() (e [256]string) {
	for b := range e {
		e[b] = string(appendCodepoint(nil, byteRunes[b]))
	}
	return e
}()
