package tokenizer

import (
	"errors"
	"fmt"
	"math"
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
// queued); it is stale once either side has changed size. Bigrams pop in
// increasing key order: the priority (BPE: merge rank, lower first; SPM:
// token score, higher first) in the high half, the left index in the low
// half, so that ties go to the leftmost pair as in llama.cpp.
type bigram struct {
	key   uint64
	right int32
	size  int32 // combined byte length when queued
}

func (b bigram) left() int32 { return int32(uint32(b.key)) }

// rank is the merge rank of a BPE bigram.
func (b bigram) rank() int32 { return int32(b.key >> 32) }

func bpeKey(rank, left int32) uint64 { return uint64(uint32(rank))<<32 | uint64(uint32(left)) }

// spmKey orders higher scores first: the score's bits are mapped to an
// unsigned value that increases with the float, then complemented.
func spmKey(score float32, left int32) uint64 {
	if score == 0 {
		score = 0 // -0 ties with +0, as in a float comparison
	}
	b := math.Float32bits(score)
	if b&0x80000000 != 0 {
		b = ^b
	} else {
		b |= 0x80000000
	}
	return uint64(^b)<<32 | uint64(uint32(left))
}

// bigramHeap is a binary min-heap on bigram.key.
type bigramHeap []bigram

func (h *bigramHeap) push(x bigram) {
	*h = append(*h, x)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if x.key >= a[p].key {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = x
}

func (h *bigramHeap) pop() bigram {
	a := *h
	top := a[0]
	n := len(a) - 1
	x := a[n]
	a = a[:n]
	*h = a
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && a[c+1].key < a[c].key {
			c++
		}
		if x.key <= a[c].key {
			break
		}
		a[i] = a[c]
		i = c
	}
	a[i] = x
	return top
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
	*h = (*h)[:0]
	for i := 1; i < len(syms); i++ {
		t.queueMerge(s, word, int32(i-1), int32(i))
	}
	for len(*h) > 0 {
		bg := h.pop()
		left := bg.left()
		l, r := &syms[left], &syms[bg.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != bg.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.id = t.mergeResult[bg.rank()]
		l.next = r.next
		if l.next >= 0 {
			syms[l.next].prev = left
		}
		t.queueMerge(s, word, l.prev, left)
		t.queueMerge(s, word, left, l.next)
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
		s.heap.push(bigram{key: bpeKey(rank, l), right: r, size: a.n + b.n})
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
	*h = (*h)[:0]
	for i := 1; i < len(syms); i++ {
		t.queueSPM(s, text, int32(i-1), int32(i))
	}
	for len(*h) > 0 {
		bg := h.pop()
		left := bg.left()
		l, r := &syms[left], &syms[bg.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != bg.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if l.next >= 0 {
			syms[l.next].prev = left
		}
		t.queueSPM(s, text, l.prev, left)
		t.queueSPM(s, text, left, l.next)
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
	s.heap.push(bigram{key: spmKey(score, l), right: r, size: a.n + b.n})
}
