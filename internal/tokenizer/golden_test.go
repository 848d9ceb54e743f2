package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/longctx/longctx/internal/gguf"
)

// fixtureDir holds llama.cpp's vocabularies and token-id goldens.
const fixtureDir = "../../../shared/fixtures/tokenizer"

func fixturePath(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(fixtureDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture missing: %s (%v)", p, err)
	}
	return p
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// loadVocab loads a fixture vocabulary once per test binary.
func loadVocab(t testing.TB, file string) *Tokenizer {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tk, ok := loaded[file]; ok {
		return tk
	}
	f, err := gguf.Open(fixturePath(t, file))
	if err != nil {
		t.Fatalf("open %s: %v", file, err)
	}
	defer f.Close()
	tk, err := FromGGUF(f)
	if err != nil {
		t.Fatalf("FromGGUF(%s): %v", file, err)
	}
	loaded[file] = tk
	return tk
}

type goldenFile struct {
	Vocab        string `json:"vocab"`
	AddBOS       bool   `json:"add_bos"`
	ParseSpecial bool   `json:"parse_special"`
	Cases        []struct {
		Name string  `json:"name"`
		Text string  `json:"text"`
		IDs  []int32 `json:"ids"`
	} `json:"cases"`
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(fixturePath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestGoldenTokenIDs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "golden-*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files under %s (%v)", fixtureDir, err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			var g goldenFile
			readJSON(t, name, &g)
			tk := loadVocab(t, g.Vocab)
			if len(g.Cases) == 0 {
				t.Fatal("no cases")
			}
			for _, c := range g.Cases {
				got, err := tk.Encode(c.Text, g.AddBOS, g.ParseSpecial)
				if err != nil {
					t.Errorf("%s: %v", c.Name, err)
					continue
				}
				if !slices.Equal(got, c.IDs) {
					t.Errorf("%s %q:\n got %v\nwant %v", c.Name, c.Text, got, c.IDs)
				}
			}
		})
	}
}
