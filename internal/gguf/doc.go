// Package gguf reads and writes GGUF files, the container llama.cpp uses
// for model weights and metadata (versions 2 and 3).
//
// A File is parsed from a memory-mapped image of the whole file: tensor
// data are zero-copy sub-slices of the mapping, valid until Close. Metadata
// arrays (vocabularies can hold hundreds of thousands of strings) are kept
// as raw bytes and decoded only when asked for.
//
// Every count, length, dimension and offset is checked against the bytes
// that remain before anything is allocated, so a corrupt or hostile file
// yields an error naming the offending field, never a panic or a huge
// allocation.
package gguf
