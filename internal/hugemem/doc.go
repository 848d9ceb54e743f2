// Package hugemem allocates large byte buffers backed by transparent huge
// pages (2 MiB) where the OS offers them, for memory that the kernels
// stream through on every token: the packed weights. (KV caches on huge
// pages measured no faster: attention reads them in 64 KiB runs.)
//
// Streaming 4 KiB pages costs a TLB miss and a restart of the hardware
// prefetcher at every page; on the project's machine the 1B Q4_K_M decode
// went from 33.8 to 37.5 tokens/s (medians of 4 alternating runs) with the
// packed weights on huge pages. Go's heap does not ask for huge pages, so
// New maps its own memory (Linux: anonymous mmap, 2 MiB aligned,
// MADV_HUGEPAGE); elsewhere, or for small sizes, it is an ordinary slice.
package hugemem
