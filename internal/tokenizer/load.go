package tokenizer

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/longctx/longctx/internal/gguf"
)

// Token types stored in tokenizer.ggml.token_type (0 is "undefined").
const (
	typeNormal      = 1
	typeUnknown     = 2
	typeControl     = 3
	typeUserDefined = 4
	typeUnused      = 5
	typeByte        = 6
)

// tokenAttr is llama.cpp's per-token attribute set; loading can add bits
// to the one the token type gives (a control-looking token becomes control).
type tokenAttr uint16

const (
	attrUnknown tokenAttr = 1 << iota
	attrUnused
	attrNormal
	attrControl
	attrUserDefined
	attrByte
)

func attrOfType(t int32) tokenAttr {
	switch t {
	case typeNormal:
		return attrNormal
	case typeUnknown:
		return attrUnknown
	case typeControl:
		return attrControl
	case typeUserDefined:
		return attrUserDefined
	case typeUnused:
		return attrUnused
	case typeByte:
		return attrByte
	}
	return 0 // undefined, and any value llama.cpp does not know
}

// noToken marks an absent special token (llama.cpp's LLAMA_TOKEN_NULL).
const noToken int32 = -1

// Metadata keys.
const (
	keyModel         = "tokenizer.ggml.model"
	keyPre           = "tokenizer.ggml.pre"
	keyTokens        = "tokenizer.ggml.tokens"
	keyTypes         = "tokenizer.ggml.token_type"
	keyScores        = "tokenizer.ggml.scores"
	keyMerges        = "tokenizer.ggml.merges"
	keyAddBOS        = "tokenizer.ggml.add_bos_token"
	keyAddEOS        = "tokenizer.ggml.add_eos_token"
	keyAddPrefix     = "tokenizer.ggml.add_space_prefix"
	keySpecialPrefix = "tokenizer.ggml." // + "bos_token_id" etc.
)

// specialIDs are the special-token ids llama.cpp reads from metadata.
type specialIDs struct {
	bos, eos, eot, eom, unk, sep, pad, mask        int32
	fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep int32
}

// FromGGUF builds the tokenizer described by f's tokenizer.ggml.* metadata,
// with llama.cpp's defaults for absent keys. It supports the "gpt2"
// (byte-level BPE) and "llama" (SentencePiece) models. The Tokenizer keeps
// no reference to f.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	model, ok := f.String(keyModel)
	if !ok {
		if f.Has(keyModel) {
			return nil, fmt.Errorf("tokenizer: %s is not a string", keyModel)
		}
		return nil, fmt.Errorf("tokenizer: metadata has no %s", keyModel)
	}
	t := &Tokenizer{model: model}
	pre, hasPre := f.String(keyPre)
	if !hasPre && f.Has(keyPre) {
		return nil, fmt.Errorf("tokenizer: %s is not a string", keyPre)
	}
	t.pre = pre

	var preset bpePreset
	switch model {
	case "gpt2":
		t.kind = kindBPE
		var err error
		if preset, err = lookupPreset(pre); err != nil {
			return nil, err
		}
		t.steps = preset.steps
		t.cleanSpaces = preset.cleanSpaces
		t.ignoreMerges = preset.ignoreMerges
		t.addBOS = preset.addBOS
		t.ids = specialIDs{bos: 11, eos: 11, unk: noToken}
		if preset.noBOS {
			t.ids.bos = noToken
		}
	case "llama":
		t.kind = kindSPM
		t.addSpacePrefix = true
		t.addBOS = true
		t.ids = specialIDs{bos: 1, eos: 2, unk: 0}
	default:
		return nil, fmt.Errorf("tokenizer: tokenizer model %q is not supported (want \"gpt2\" or \"llama\")", model)
	}
	for _, p := range []*int32{&t.ids.eot, &t.ids.eom, &t.ids.sep, &t.ids.pad, &t.ids.mask,
		&t.ids.fimPre, &t.ids.fimSuf, &t.ids.fimMid, &t.ids.fimPad, &t.ids.fimRep, &t.ids.fimSep} {
		*p = noToken
	}
	if err := readBool(f, keyAddPrefix, &t.addSpacePrefix); err != nil {
		return nil, err
	}

	if err := t.loadTokens(f); err != nil {
		return nil, err
	}
	if t.kind == kindBPE {
		merges, err := f.Strings(keyMerges)
		if err != nil {
			if errors.Is(err, gguf.ErrNotFound) {
				return nil, fmt.Errorf("tokenizer: gpt2 vocabulary has no %s", keyMerges)
			}
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
		if err := t.loadMerges(merges); err != nil {
			return nil, err
		}
	}
	if err := t.loadSpecialIDs(f); err != nil {
		return nil, err
	}
	if err := readBool(f, keyAddBOS, &t.addBOS); err != nil {
		return nil, err
	}
	if err := readBool(f, keyAddEOS, &t.addEOS); err != nil {
		return nil, err
	}
	t.detectSpecialTokens()
	if err := t.buildTables(); err != nil {
		return nil, err
	}
	return t, nil
}

func readBool(f *gguf.File, key string, dst *bool) error {
	if !f.Has(key) {
		return nil
	}
	v, ok := f.Bool(key)
	if !ok {
		return fmt.Errorf("tokenizer: %s is not a bool", key)
	}
	*dst = v
	return nil
}

// loadTokens reads the token texts, types and scores.
func (t *Tokenizer) loadTokens(f *gguf.File) error {
	tokens, err := f.Strings(keyTokens)
	if err != nil {
		if errors.Is(err, gguf.ErrNotFound) {
			return fmt.Errorf("tokenizer: metadata has no %s", keyTokens)
		}
		return fmt.Errorf("tokenizer: %w", err)
	}
	n := len(tokens)
	if n == 0 {
		return fmt.Errorf("tokenizer: %s is empty", keyTokens)
	}
	if n > math.MaxInt32 {
		return fmt.Errorf("tokenizer: %s has %d tokens, too many", keyTokens, n)
	}

	t.attrs = make([]tokenAttr, n)
	if f.Has(keyTypes) {
		types, err := f.Int32s(keyTypes)
		if err != nil {
			return fmt.Errorf("tokenizer: %w", err)
		}
		if len(types) != n {
			return fmt.Errorf("tokenizer: %s has %d entries for %d tokens", keyTypes, len(types), n)
		}
		for i, ty := range types {
			t.attrs[i] = attrOfType(ty)
		}
	} else {
		for i := range t.attrs {
			t.attrs[i] = attrNormal
		}
	}

	if v, ok := f.Get(keyScores); ok {
		var scores []float32
		switch v.ElemType() {
		case gguf.TypeInt32:
			ints, err := v.Int32s()
			if err != nil {
				return fmt.Errorf("tokenizer: %s: %w", keyScores, err)
			}
			scores = make([]float32, len(ints))
			for i, x := range ints {
				scores[i] = float32(x)
			}
		default:
			if scores, err = v.Float32s(); err != nil {
				return fmt.Errorf("tokenizer: %s: %w", keyScores, err)
			}
		}
		if len(scores) != n {
			return fmt.Errorf("tokenizer: %s has %d entries for %d tokens", keyScores, len(scores), n)
		}
		t.scores = scores
	}

	t.tokens = tokens
	t.tokenID = make(map[string]int32, n)
	for i, s := range tokens {
		if s == "" {
			// llama.cpp renames empty tokens so that they stay unique.
			s = "[EMPTY_" + strconv.Itoa(i) + "]"
			tokens[i] = s
		}
		if j, dup := t.tokenID[s]; dup {
			return fmt.Errorf("tokenizer: tokens %d and %d are both %q", j, i, s)
		}
		t.tokenID[s] = int32(i)
	}
	return nil
}

// loadMerges parses "left right" merge rules; the rank is the index of a
// rule's first occurrence.
func (t *Tokenizer) loadMerges(merges []string) error {
	t.mergeResult = make([]int32, len(merges))
	t.idPairRank = make(map[uint64]int32, len(merges))
	var joined []byte
	for rank, m := range merges {
		sp := strings.IndexByte(m[min(1, len(m)):], ' ') + 1 // llama.cpp splits at the first space after byte 0
		if sp <= 0 {
			return fmt.Errorf("tokenizer: merge %d %q is not two space-separated tokens", rank, m)
		}
		left, right := m[:sp], m[sp+1:]
		joined = append(append(joined[:0], left...), right...)
		t.mergeResult[rank] = noToken
		if id, ok := t.tokenID[string(joined)]; ok {
			t.mergeResult[rank] = id
		}
		li, lok := t.tokenID[left]
		ri, rok := t.tokenID[right]
		if lok && rok {
			key := pairKey(li, ri)
			if _, seen := t.idPairRank[key]; !seen {
				t.idPairRank[key] = int32(rank)
			}
			continue
		}
		if t.strPairRank == nil {
			t.strPairRank = map[[2]string]int32{}
		}
		if _, seen := t.strPairRank[[2]string{left, right}]; !seen {
			t.strPairRank[[2]string{left, right}] = int32(rank)
		}
	}
	return nil
}

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// lookup returns the id of the token with text s, or noToken.
func (t *Tokenizer) lookup(s string) int32 {
	if id, ok := t.tokenID[s]; ok {
		return id
	}
	return noToken
}

// loadSpecialIDs applies the special-token ids found in metadata. As in
// llama.cpp, a default outside the vocabulary is dropped and an
// out-of-range id in the metadata is ignored (the default stays).
func (t *Tokenizer) loadSpecialIDs(f *gguf.File) error {
	n := int64(len(t.tokens))
	for _, s := range []struct {
		key string
		id  *int32
	}{
		{"bos_token_id", &t.ids.bos},
		{"eos_token_id", &t.ids.eos},
		{"eot_token_id", &t.ids.eot},
		{"eom_token_id", &t.ids.eom},
		{"unknown_token_id", &t.ids.unk},
		{"seperator_token_id", &t.ids.sep},
		{"padding_token_id", &t.ids.pad},
		{"mask_token_id", &t.ids.mask},
		{"fim_pre_token_id", &t.ids.fimPre},
		{"fim_suf_token_id", &t.ids.fimSuf},
		{"fim_mid_token_id", &t.ids.fimMid},
		{"fim_pad_token_id", &t.ids.fimPad},
		{"fim_rep_token_id", &t.ids.fimRep},
		{"fim_sep_token_id", &t.ids.fimSep},
		{"prefix_token_id", &t.ids.fimPre}, // deprecated names
		{"suffix_token_id", &t.ids.fimSuf},
		{"middle_token_id", &t.ids.fimMid},
	} {
		if int64(*s.id) >= n {
			*s.id = noToken
		}
		key := keySpecialPrefix + s.key
		if !f.Has(key) {
			continue
		}
		v, ok := f.Int(key)
		if !ok {
			return fmt.Errorf("tokenizer: %s is not an integer", key)
		}
		if v >= 0 && v < n {
			*s.id = int32(v)
		}
	}
	return nil
}

// Token texts llama.cpp recognises when the metadata does not name them.
var (
	eotTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
		"<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"}
	eomTexts    = []string{"<|eom_id|>"}
	fimPreTexts = []string{"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
		"<|code_prefix|>", "<|prefix|>"}
	fimSufTexts = []string{"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
		"<|code_suffix|>", "<|suffix|>"}
	fimMidTexts = []string{"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
		"<|code_middle|>", "<|middle|>"}
	fimPadTexts = []string{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}
	fimRepTexts = []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}
	fimSepTexts = []string{"<|file_sep|>"}
	eogTexts    = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
		"<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]",
		"[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
		"<｜end▁of▁sentence｜>", "[e~["}
	alwaysRenderedTexts = []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}
)

// detectSpecialTokens reproduces llama.cpp's text-based detection of EOT,
// EOM and FIM tokens, unused tokens and the end-of-generation set,
// including the attribute changes it makes on the way. Where several
// candidates exist, llama.cpp's pick depends on hash order; this package
// takes the first candidate in the list order above.
func (t *Tokenizer) detectSpecialTokens() {
	for _, d := range []struct {
		id    *int32
		texts []string
	}{
		{&t.ids.eot, eotTexts}, {&t.ids.eom, eomTexts},
		{&t.ids.fimPre, fimPreTexts}, {&t.ids.fimSuf, fimSufTexts}, {&t.ids.fimMid, fimMidTexts},
		{&t.ids.fimPad, fimPadTexts}, {&t.ids.fimRep, fimRepTexts}, {&t.ids.fimSep, fimSepTexts},
	} {
		if *d.id != noToken {
			continue
		}
		for _, s := range d.texts {
			if id := t.lookup(s); id != noToken {
				*d.id = id
				t.attrs[id] |= attrControl
				break
			}
		}
	}

	// Control tokens whose text says "unused" are unused.
	for id, s := range t.tokens {
		if t.attrs[id]&attrControl != 0 && strings.Contains(s, "unused") {
			t.attrs[id] |= attrUnused
		}
	}

	eog := map[int32]bool{}
	for _, id := range []int32{t.ids.fimPad, t.ids.fimRep, t.ids.fimSep} {
		if id != noToken {
			eog[id] = true
		}
	}
	for _, s := range eogTexts {
		if id := t.lookup(s); id != noToken {
			eog[id] = true
			t.attrs[id] |= attrControl
		}
	}
	for _, s := range alwaysRenderedTexts {
		if id := t.lookup(s); id != noToken {
			t.attrs[id] = attrUserDefined
		}
	}
	for _, id := range []int32{t.ids.eos, t.ids.eot, t.ids.eom} {
		if id != noToken {
			eog[id] = true
		}
	}
	inEOG := func(s string) (int32, bool) {
		id := t.lookup(s)
		return id, id != noToken && eog[id]
	}
	// gpt-oss and Solar Open: <|end|> ends a message, not generation.
	_, hasReturn := inEOG("<|return|>")
	_, hasCall := inEOG("<|call|>")
	_, hasCalls := inEOG("<|calls|>")
	_, hasFlush := inEOG("<|flush|>")
	if end, hasEnd := inEOG("<|end|>"); hasEnd && ((hasReturn && (hasCall || hasCalls)) || ((hasCall || hasCalls) && hasFlush)) {
		delete(eog, end)
		t.attrs[end] = attrUserDefined
	}
	// Gemma 4 and PaddleOCR: </s> is ordinary text there.
	if _, hasToolResponse := inEOG("<|tool_response>"); hasToolResponse {
		if s, hasS := inEOG("</s>"); hasS {
			delete(eog, s)
			t.attrs[s] = attrNormal
		}
	}

	t.eog = make([]int32, 0, len(eog))
	for id := range eog {
		t.eog = append(t.eog, id)
	}
	sort.Slice(t.eog, func(i, j int) bool { return t.eog[i] < t.eog[j] })
}
