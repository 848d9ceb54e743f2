package hugemem

import "runtime"

// MinSize is the smallest buffer New maps itself; smaller ones come from
// the Go heap, since a huge page would mostly hold nothing.
const MinSize = 4 << 20

// pageSize is the huge page size mappings are aligned to.
const pageSize = 2 << 20

// Buffer owns a byte slice that may live outside the Go heap. Its bytes
// stay valid while the Buffer is reachable: keep the *Buffer (not only the
// slice) in whatever uses them. The mapping is released when the Buffer
// is garbage collected.
type Buffer struct {
	b []byte
}

// New returns a zeroed buffer of n bytes (n >= 0), on huge pages when n
// is at least MinSize and the OS allows it.
func New(n int) *Buffer {
	if n >= MinSize {
		if b, release, ok := mapHuge(n); ok {
			buf := &Buffer{b: b}
			runtime.AddCleanup(buf, func(f func()) { f() }, release)
			return buf
		}
	}
	return &Buffer{b: make([]byte, n)}
}

// Bytes is the buffer's memory.
func (b *Buffer) Bytes() []byte { return b.b }
