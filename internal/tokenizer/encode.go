package tokenizer

import (
	"errors"
	"fmt"
	"strings"
)

// Encode converts text to token ids. With addSpecial the model's BOS/EOS
// rule is applied (tokenizer.ggml.add_bos_token / add_eos_token). With
// parseSpecial, control-token texts such as "<|begin_of_text|>" in text
// become their ids; user-defined tokens are matched either way.
//
// Invalid UTF-8 is handled as llama.cpp handles it: a SentencePiece model
// falls back to byte tokens; a BPE model reads each invalid byte as U+FFFD
// (overlong forms and surrogates are decoded, not rejected). A 4-byte
// sequence above U+10FFFF, which makes llama.cpp abort, is an error.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) ([]int32, error) {
	out := make([]int32, 0, len(text)/3+2)
	if addSpecial && t.addBOS {
		if t.ids.bos == noToken {
			return nil, errors.New("tokenizer: the model adds BOS but has no BOS token")
		}
		out = append(out, t.ids.bos)
	}
	var err error
	frags := t.partition(text, parseSpecial)
	switch t.kind {
	case kindSPM:
		var s spmState
		prevSpecial := true // a space prefix goes before text at the start and after each special token
		for _, f := range frags {
			if f.id != noToken {
				out = append(out, f.id)
				prevSpecial = true
				continue
			}
			var b strings.Builder
			if t.addSpacePrefix && prevSpecial {
				b.WriteString("▁")
			}
			b.WriteString(strings.ReplaceAll(text[f.start:f.end], " ", "▁"))
			if out, err = t.encodeSPM(&s, b.String(), out); err != nil {
				return nil, err
			}
			prevSpecial = false
		}
	case kindBPE:
		var s bpeState
		for _, f := range frags {
			if f.id != noToken {
				out = append(out, f.id)
				continue
			}
			if out, err = t.encodeBPE(&s, text[f.start:f.end], out); err != nil {
				return nil, err
			}
		}
	}
	if addSpecial && t.addEOS {
		if t.ids.eos == noToken {
			return nil, errors.New("tokenizer: the model adds EOS but has no EOS token")
		}
		out = append(out, t.ids.eos)
	}
	return out, nil
}

// symbol is a span of the text being merged, in a doubly linked list.
type symbol struct {
	start, n   int32 // byte span; n == 0 once merged into its left neighbour
	prev, next int32 // -1 at the ends
	id         int32 // BPE: token of the span, or noToken
}

// bigram is a candidate merge of symbols left and right (adjacent when
// queued); it is stale once either side has changed size.
type bigram struct {
	left, right int32
	size        int32   // combined byte length when queued
	rank        int32   // BPE: merge rank, lower first
	score       float32 // SPM: token score, higher first
}

// bigramHeap is a binary heap ordered by less; ties go to the leftmost
// pair, as in llama.cpp.
type bigramHeap struct {
	items []bigram
	less  func(a, b *bigram) bool
}

func (h *bigramHeap) push(x bigram) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(&h.items[i], &h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *bigramHeap) pop() bigram {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(&h.items[l], &h.items[m]) {
			m = l
		}
		if r < last && h.less(&h.items[r], &h.items[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}

func bpeLess(a, b *bigram) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
}

func spmLess(a, b *bigram) bool {
	return a.score > b.score || (a.score == b.score && a.left < b.left)
}

// bpeState holds scratch buffers reused across the fragments of a call.
type bpeState struct {
	raw     []byte
	cps     []rune
	fl      []cpFlags
	segA    []int
	segB    []int
	word    []byte
	encoded []byte
	syms    []symbol
	heap    bigramHeap
}

// encodeBPE pre-tokenizes one raw fragment and merges each word.
func (t *Tokenizer) encodeBPE(s *bpeState, text string, out []int32) ([]int32, error) {
	s.raw = append(s.raw[:0], text...)
	var err error
	if s.cps, err = decodeLlama(s.raw, s.cps[:0]); err != nil {
		return nil, err
	}
	s.fl = s.fl[:0]
	for _, r := range s.cps {
		s.fl = append(s.fl, flagsOf(r))
	}
	pos := 0
	for _, n := range preTokenize(t.steps, s.cps, s.fl, &s.segA, &s.segB) {
		s.word = s.word[:0]
		for _, r := range s.cps[pos : pos+n] {
			s.word = appendCodepoint(s.word, r)
		}
		pos += n
		out = t.mergeWord(s, s.word, out)
	}
	return out, nil
}

// encodeWord returns the GPT-2 byte-level text of raw bytes.
func encodeWord(dst, raw []byte) []byte {
	for _, b := range raw {
		dst = append(dst, byteEncoded[b]...)
	}
	return dst
}

// mergeWord applies BPE merges to one pre-tokenized word (raw bytes; each
// byte starts as the symbol of its GPT-2 code point).
func (t *Tokenizer) mergeWord(s *bpeState, word []byte, out []int32) []int32 {
	if t.ignoreMerges {
		s.encoded = encodeWord(s.encoded[:0], word)
		if id, ok := t.tokenID[string(s.encoded)]; ok {
			return append(out, id)
		}
	}
	syms := s.syms[:0]
	for i, b := range word {
		syms = append(syms, symbol{start: int32(i), n: 1, prev: int32(i) - 1, next: int32(i) + 1, id: t.byteSymbol[b]})
	}
	syms[len(syms)-1].next = -1
	s.syms = syms

	h := &s.heap
	h.items, h.less = h.items[:0], bpeLess
	for i := 1; i < len(syms); i++ {
		t.queueMerge(s, word, int32(i-1), int32(i))
	}
	for len(h.items) > 0 {
		bg := h.pop()
		l, r := &syms[bg.left], &syms[bg.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != bg.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.id = t.mergeResult[bg.rank]
		l.next = r.next
		if l.next >= 0 {
			syms[l.next].prev = bg.left
		}
		t.queueMerge(s, word, l.prev, bg.left)
		t.queueMerge(s, word, bg.left, l.next)
	}

	for i := int32(0); i >= 0; i = syms[i].next {
		sym := &syms[i]
		if sym.id != noToken {
			out = append(out, sym.id)
			continue
		}
		// Not a token: llama.cpp emits the tokens of the single bytes of
		// its encoded text that exist, and drops the others.
		s.encoded = encodeWord(s.encoded[:0], word[sym.start:sym.start+sym.n])
		for _, b := range s.encoded {
			if id := t.oneByteToken[b]; id != noToken {
				out = append(out, id)
			}
		}
	}
	return out
}

// queueMerge queues the merge of adjacent symbols l and r if a rule exists.
func (t *Tokenizer) queueMerge(s *bpeState, word []byte, l, r int32) {
	if l < 0 || r < 0 {
		return
	}
	a, b := &s.syms[l], &s.syms[r]
	rank := int32(-1)
	if a.id != noToken && b.id != noToken {
		if x, ok := t.idPairRank[pairKey(a.id, b.id)]; ok {
			rank = x
		}
	} else if t.strPairRank != nil {
		left := string(encodeWord(nil, word[a.start:a.start+a.n]))
		right := string(encodeWord(nil, word[b.start:b.start+b.n]))
		if x, ok := t.strPairRank[[2]string{left, right}]; ok {
			rank = x
		}
	}
	if rank >= 0 {
		s.heap.push(bigram{left: l, right: r, size: a.n + b.n, rank: rank})
	}
}

// spmState holds scratch buffers reused across the fragments of a call.
type spmState struct {
	syms []symbol
	heap bigramHeap
}

// encodeSPM tokenizes one fragment (spaces already replaced by ▁):
// starting from single UTF-8 characters, the adjacent pair whose
// concatenation is the highest-scoring token is merged until none is left;
// what is not a token falls back to byte tokens.
func (t *Tokenizer) encodeSPM(s *spmState, text string, out []int32) ([]int32, error) {
	syms := s.syms[:0]
	for off := 0; off < len(text); {
		n := min(utf8SeqLen(text[off]), len(text)-off)
		i := int32(len(syms))
		syms = append(syms, symbol{start: int32(off), n: int32(n), prev: i - 1, next: i + 1})
		off += n
	}
	syms[len(syms)-1].next = -1
	s.syms = syms

	h := &s.heap
	h.items, h.less = h.items[:0], spmLess
	for i := 1; i < len(syms); i++ {
		t.queueSPM(s, text, int32(i-1), int32(i))
	}
	for len(h.items) > 0 {
		bg := h.pop()
		l, r := &syms[bg.left], &syms[bg.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != bg.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if l.next >= 0 {
			syms[l.next].prev = bg.left
		}
		t.queueSPM(s, text, l.prev, bg.left)
		t.queueSPM(s, text, bg.left, l.next)
	}

	for i := int32(0); i >= 0; i = syms[i].next {
		piece := text[syms[i].start : syms[i].start+syms[i].n]
		if id, ok := t.tokenID[piece]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(piece); j++ {
			id := t.spmByteToken[piece[j]]
			if id == noToken {
				return nil, fmt.Errorf("tokenizer: no byte token for 0x%02X", piece[j])
			}
			out = append(out, id)
		}
	}
	return out, nil
}

// queueSPM queues the merge of adjacent symbols l and r if their
// concatenation is a token.
func (t *Tokenizer) queueSPM(s *spmState, text string, l, r int32) {
	if l < 0 || r < 0 {
		return
	}
	a, b := &s.syms[l], &s.syms[r]
	id, ok := t.tokenID[text[a.start:a.start+a.n+b.n]]
	if !ok {
		return
	}
	var score float32
	if t.scores != nil {
		score = t.scores[id]
	}
	s.heap.push(bigram{left: l, right: r, size: a.n + b.n, score: score})
}
