package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

type modelKind int

const (
	kindBPE modelKind = iota // "gpt2": byte-level BPE with merge ranks
	kindSPM                  // "llama": SentencePiece, score-based merging
)

// Tokenizer converts text to token ids and back exactly as llama.cpp does
// for the same GGUF vocabulary. It is safe for concurrent use.
type Tokenizer struct {
	model, pre string
	kind       modelKind

	tokens  []string
	attrs   []tokenAttr
	scores  []float32 // nil when the file has none (all zero)
	tokenID map[string]int32

	// BPE merge ranks: by token-id pair when both sides are tokens, by
	// text otherwise (rare); mergeResult[rank] is the merged token or noToken.
	idPairRank  map[uint64]int32
	strPairRank map[[2]string]int32
	mergeResult []int32
	steps       []splitStep

	// byteSymbol[b] is the BPE token of raw byte b (its GPT-2 code point);
	// oneByteToken[b] the token whose text is the single byte b;
	// spmByteToken[b] the SentencePiece byte-fallback token <0xXX>.
	byteSymbol, oneByteToken, spmByteToken [256]int32

	ids                             specialIDs
	addBOS, addEOS, addSpacePrefix  bool
	cleanSpaces, ignoreMerges       bool
	eog                             []int32 // sorted
	specialsAll, specialsUser       []int32 // matched in text; longest first
	specialTrieAll, specialTrieUser *byteTrie
	pieceData                       []byte
	pieceEnd                        []uint32 // piece of id i is pieceData[pieceEnd[i-1]:pieceEnd[i]]
}

// buildTables derives the lookup tables used by Encode and Decode.
func (t *Tokenizer) buildTables() error {
	for b := 0; b < 256; b++ {
		t.byteSymbol[b] = t.lookup(byteEncoded[b])
		t.oneByteToken[b] = t.lookup(string([]byte{byte(b)}))
		t.spmByteToken[b] = t.lookup(fmt.Sprintf("<0x%02X>", b))
		if t.spmByteToken[b] == noToken {
			t.spmByteToken[b] = t.oneByteToken[b]
		}
	}

	// Special tokens are matched in text longest first, like llama.cpp
	// (which leaves the order of equal lengths unspecified; here: by id).
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) == 0 {
			continue
		}
		t.specialsAll = append(t.specialsAll, int32(id))
		if a&(attrControl|attrUnknown) == 0 {
			t.specialsUser = append(t.specialsUser, int32(id))
		}
	}
	for _, list := range [][]int32{t.specialsAll, t.specialsUser} {
		sort.SliceStable(list, func(i, j int) bool { return len(t.tokens[list[i]]) > len(t.tokens[list[j]]) })
	}
	t.specialTrieAll = newByteTrie(t.tokens, t.specialsAll)
	t.specialTrieUser = newByteTrie(t.tokens, t.specialsUser)

	t.pieceEnd = make([]uint32, len(t.tokens))
	var scratch []rune
	for id := range t.tokens {
		var err error
		if t.pieceData, scratch, err = t.appendRenderedPiece(t.pieceData, scratch, int32(id)); err != nil {
			return err
		}
		if len(t.pieceData) > 1<<32-1 {
			return fmt.Errorf("tokenizer: token texts exceed 4 GiB")
		}
		t.pieceEnd[id] = uint32(len(t.pieceData))
	}
	return nil
}

// appendRenderedPiece appends the bytes token id stands for when special
// tokens are rendered (llama.cpp's token_to_piece with special=true).
// scratch is a reusable code point buffer.
func (t *Tokenizer) appendRenderedPiece(dst []byte, scratch []rune, id int32) ([]byte, []rune, error) {
	text, a := t.tokens[id], t.attrs[id]
	switch {
	case a&(attrUnknown|attrControl|attrUserDefined) != 0:
		return append(dst, text...), scratch, nil
	case a&attrNormal != 0 && t.kind == kindSPM:
		return append(dst, strings.ReplaceAll(text, "▁", " ")...), scratch, nil
	case a&attrNormal != 0:
		var err error
		if scratch, err = decodeLlama([]byte(text), scratch[:0]); err != nil {
			return nil, nil, fmt.Errorf("tokenizer: token %d: %w", id, err)
		}
		return appendByteDecoded(dst, scratch, text), scratch, nil
	case a&attrByte != 0:
		b, err := byteTokenValue(text)
		if err != nil {
			return nil, nil, fmt.Errorf("tokenizer: byte token %d: %w", id, err)
		}
		return append(dst, b), scratch, nil
	}
	return dst, scratch, nil // unused and undefined tokens render as nothing
}

// byteTokenValue reads the byte of a <0xXX> token: like llama.cpp, the hex
// digits at offsets 3 and 4, as far as they go.
func byteTokenValue(text string) (byte, error) {
	if len(text) < 3 {
		return 0, fmt.Errorf("text %q is not of the form <0xXX>", text)
	}
	var v byte
	for i := 3; i < len(text) && i < 5; i++ {
		c := text[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return v, nil
		}
		v = v<<4 | d
	}
	return v, nil
}

// appendByteDecoded maps each code point cps of byte-level BPE token text
// back to its byte. A code point outside the GPT-2 byte map is rendered the
// way llama.cpp renders it: "[UNK_BYTE_0x<hex of its UTF-8>" + text + "]".
func appendByteDecoded(dst []byte, cps []rune, text string) []byte {
	for _, r := range cps {
		if b, ok := runeBytes[r]; ok {
			dst = append(dst, b)
			continue
		}
		dst = append(dst, "[UNK_BYTE_0x"...)
		for _, c := range appendCodepoint(nil, r) {
			dst = fmt.Appendf(dst, "%02x", c)
		}
		dst = append(dst, text...)
		dst = append(dst, ']')
	}
	return dst
}

// NVocab is the number of tokens.
func (t *Tokenizer) NVocab() int { return len(t.tokens) }

// Model is tokenizer.ggml.model ("gpt2" or "llama").
func (t *Tokenizer) Model() string { return t.model }

// Pre is tokenizer.ggml.pre as stored ("" when absent).
func (t *Tokenizer) Pre() string { return t.pre }

// BOS is the beginning-of-sequence token, or -1 if there is none.
func (t *Tokenizer) BOS() int32 { return t.ids.bos }

// EOS is the end-of-sequence token, or -1 if there is none.
func (t *Tokenizer) EOS() int32 { return t.ids.eos }

// EOT is the end-of-turn token, or -1 if there is none.
func (t *Tokenizer) EOT() int32 { return t.ids.eot }

// EOM is the end-of-message token, or -1 if there is none.
func (t *Tokenizer) EOM() int32 { return t.ids.eom }

// AddBOS reports whether Encode with addSpecial prepends BOS.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddEOS reports whether Encode with addSpecial appends EOS.
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// EOG returns the end-of-generation tokens in increasing order.
func (t *Tokenizer) EOG() []int32 { return append([]int32(nil), t.eog...) }

// IsEOG reports whether id ends generation.
func (t *Tokenizer) IsEOG(id int32) bool {
	i := sort.Search(len(t.eog), func(i int) bool { return t.eog[i] >= id })
	return i < len(t.eog) && t.eog[i] == id
}

// IsControl reports whether id is a control token (rendered only on
// request, matched in text only when special parsing is on).
func (t *Tokenizer) IsControl(id int32) bool {
	return t.valid(id) && t.attrs[id]&attrControl != 0
}

// Token returns the stored text of id ("" for an invalid id).
func (t *Tokenizer) Token(id int32) string {
	if !t.valid(id) {
		return ""
	}
	return t.tokens[id]
}

func (t *Tokenizer) valid(id int32) bool { return id >= 0 && int(id) < len(t.tokens) }
