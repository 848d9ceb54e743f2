package models

import "testing"

func TestDefaultParses(t *testing.T) {
	f, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.String("general.architecture"); a != "llama" {
		t.Fatalf("architecture %q", a)
	}
	if len(defaultGGUF) > 20<<20 {
		t.Fatalf("embedded model is %d bytes; the budget is 20 MiB", len(defaultGGUF))
	}
}
