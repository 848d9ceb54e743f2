package tokenizer

import (
	"bytes"
	"encoding/hex"
	"testing"
)

type detokFile struct {
	Vocab string `json:"vocab"`
	Cases []struct {
		Name           string  `json:"name"`
		IDs            []int32 `json:"ids"`
		RemoveSpecial  bool    `json:"remove_special"`
		UnparseSpecial bool    `json:"unparse_special"`
		Hex            string  `json:"hex"`
	} `json:"cases"`
}

func TestGoldenDetokenize(t *testing.T) {
	for _, name := range []string{"detok-llama3.json", "detok-qwen3.json"} {
		t.Run(name, func(t *testing.T) {
			var g detokFile
			readJSON(t, name, &g)
			tk := loadVocab(t, g.Vocab)
			if len(g.Cases) == 0 {
				t.Fatal("no cases")
			}
			for _, c := range g.Cases {
				want, err := hex.DecodeString(c.Hex)
				if err != nil {
					t.Fatalf("%s: bad hex: %v", c.Name, err)
				}
				got, err := tk.Decode(c.IDs, c.RemoveSpecial, c.UnparseSpecial)
				if err != nil {
					t.Errorf("%s: %v", c.Name, err)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s remove=%v unparse=%v:\n got %q\nwant %q", c.Name, c.RemoveSpecial, c.UnparseSpecial, got, want)
				}
			}
		})
	}
}
