//go:build !amd64 || purego

package kv

// prefetch is a no-op without the assembly kernels.
func prefetch([]byte) {}
