// Command rowtilegen writes internal/tensor/rowtile_amd64.s, the AVX2
// row-tile kernels (several weight rows times several tokens per call),
// whose unrolled bodies are too long and regular to keep by hand. Run it
// from the repository root:
//
//	go run ./internal/tensor/rowtilegen
//
// It copies the q4kScaleMask table of internal/tensor/dot_amd64.s into the
// output as q4kTileScaleMask. TestGeneratedFileIsCurrent checks that the
// committed file is the generator's output.
package main
