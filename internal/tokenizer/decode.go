package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// Piece returns the bytes token id stands for. Control and unknown tokens
// give nothing unless unparseSpecial is set, then their text; user-defined
// tokens always give their text. A piece may be part of a UTF-8 sequence
// (byte tokens, partial BPE pieces). The result must not be modified.
func (t *Tokenizer) Piece(id int32, unparseSpecial bool) ([]byte, error) {
	if !t.valid(id) {
		return nil, fmt.Errorf("tokenizer: token id %d out of range [0, %d)", id, len(t.tokens))
	}
	return t.piece(id, unparseSpecial), nil
}

func (t *Tokenizer) piece(id int32, unparseSpecial bool) []byte {
	if !unparseSpecial && t.attrs[id]&(attrUnknown|attrControl) != 0 {
		return nil
	}
	var lo uint32
	if id > 0 {
		lo = t.pieceEnd[id-1]
	}
	hi := t.pieceEnd[id]
	return t.pieceData[lo:hi:hi]
}

// Decode converts ids back to text bytes as llama_detokenize does. With
// removeSpecial a leading BOS (if the model adds BOS) and a trailing EOS
// (if it adds EOS) are dropped; unparseSpecial renders control tokens as
// their text. A SentencePiece model drops the space its prefix rule added
// before the first token, unless a BOS was removed. Models with
// clean_spaces (e.g. llama-bpe) remove the space before ? ! . , and before
// 's 'm 're 've, and around a lone apostrophe.
func (t *Tokenizer) Decode(ids []int32, removeSpecial, unparseSpecial bool) ([]byte, error) {
	for _, id := range ids {
		if !t.valid(id) {
			return nil, fmt.Errorf("tokenizer: token id %d out of range [0, %d)", id, len(t.tokens))
		}
	}
	removeSpace := t.addSpacePrefix
	if removeSpecial && t.addBOS && len(ids) > 0 && ids[0] == t.ids.bos {
		removeSpace = false
		ids = ids[1:]
	}
	if removeSpecial && t.addEOS && len(ids) > 0 && ids[len(ids)-1] == t.ids.eos {
		ids = ids[:len(ids)-1]
	}
	var out []byte
	for i, id := range ids {
		p := t.piece(id, unparseSpecial)
		if i == 0 && removeSpace && len(p) > 0 && p[0] == ' ' {
			p = p[1:]
		}
		out = append(out, p...)
	}
	if t.cleanSpaces {
		out = cleanSpaces(out)
	}
	return out, nil
}

// cleanSpaces is llama.cpp's three-pass clean-up of decoded text, done in
// place with its exact index arithmetic (byte 0 is never examined).
func cleanSpaces(b []byte) []byte {
	// Pass 1: drop a space before ? ! . ,
	n := len(b)
	total := min(n, 1)
	for i := 1; i < n; i++ {
		x := b[i]
		if b[i-1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',') {
			total--
		}
		b[total] = x
		total++
	}
	// Pass 2: " ' " becomes "'" (the space after is zeroed and skipped).
	n = total
	total = min(n, 1)
	for i := 1; i < n; i++ {
		x := b[i]
		if x == '\'' && i+1 < n && b[i-1] == ' ' && b[i+1] == ' ' {
			total--
			i++
			b[i] = 0
		}
		b[total] = x
		total++
	}
	// Pass 3: drop the space before 's 'm 're 've (not 't 'd 'll).
	n = total
	total = min(n, 1)
	for i := 1; i < n; i++ {
		x := b[i]
		if b[i-1] == ' ' && x == '\'' && i+1 < n {
			switch x1 := b[i+1]; {
			case x1 == 's' || x1 == 'm':
				total--
			case x1 == 't' || x1 == 'd':
			case i+2 < n:
				if x2 := b[i+2]; (x1 == 'r' || x1 == 'v') && x2 == 'e' {
					total--
				}
			}
		}
		b[total] = x
		total++
	}
	return b[:total]
}

// StreamDecoder turns a stream of token ids into text that never splits a
// UTF-8 sequence: bytes of an incomplete sequence at the end of what was
// added are held back until later pieces complete it or Flush is called.
// The concatenation of everything returned equals the concatenation of the
// tokens' pieces (no clean-up of spaces, no prefix-space removal).
type StreamDecoder struct {
	t              *Tokenizer
	unparseSpecial bool
	pending        []byte
}

// NewStreamDecoder returns a decoder rendering control tokens as text when
// unparseSpecial is set.
func NewStreamDecoder(t *Tokenizer, unparseSpecial bool) *StreamDecoder {
	return &StreamDecoder{t: t, unparseSpecial: unparseSpecial}
}

// Add appends the piece of id and returns the bytes now complete.
func (d *StreamDecoder) Add(id int32) ([]byte, error) {
	p, err := d.t.Piece(id, d.unparseSpecial)
	if err != nil {
		return nil, err
	}
	d.pending = append(d.pending, p...)
	n := completeLen(d.pending)
	out := append([]byte(nil), d.pending[:n]...)
	d.pending = append(d.pending[:0], d.pending[n:]...)
	return out, nil
}

// Flush returns the held-back bytes, complete or not, and resets d.
func (d *StreamDecoder) Flush() []byte {
	out := d.pending
	d.pending = nil
	return out
}

// completeLen is the length of the longest prefix of b that does not end
// inside a UTF-8 sequence that more bytes could still complete.
func completeLen(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}
