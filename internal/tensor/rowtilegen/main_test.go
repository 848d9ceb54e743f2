package main

import (
	"os"
	"testing"
)

// TestGeneratedFileIsCurrent fails when rowtile_amd64.s was edited by hand
// or the generator changed without running it.
func TestGeneratedFileIsCurrent(t *testing.T) {
	dot, err := os.ReadFile("../dot_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(string(dot))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../rowtile_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("internal/tensor/rowtile_amd64.s is not what the generator writes: run go run ./internal/tensor/rowtilegen")
	}
}
