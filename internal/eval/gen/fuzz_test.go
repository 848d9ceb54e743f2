package gen

import (
	"os"
	"testing"
)

// FuzzParseQA feeds arbitrary bytes to the QA file parsers, which read
// user-given files: they must return an error or a usable set, never panic.
func FuzzParseQA(f *testing.F) {
	for _, p := range []string{"testdata/squad_tiny.json", "testdata/hotpot_tiny.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"context":[["t",["s"]]]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func([]byte) (*QASet, error){ParseSQuAD, ParseHotpotQA} {
			set, err := parse(b)
			if err != nil {
				continue
			}
			if len(set.Questions) == 0 {
				t.Fatal("accepted a set without questions")
			}
			for _, q := range set.Questions {
				for _, i := range append(q.Context, q.More...) {
					if i < 0 || i >= len(set.Docs) {
						t.Fatalf("document index %d out of range", i)
					}
				}
			}
		}
	})
}
