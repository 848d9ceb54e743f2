package hugemem

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapHuge maps n bytes of anonymous memory on a huge-page boundary and
// asks for huge pages; release unmaps it.
func mapHuge(n int) (b []byte, release func(), ok bool) {
	m, err := unix.Mmap(-1, 0, n+pageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil, false
	}
	off := 0
	if r := uintptr(unsafe.Pointer(&m[0])) % pageSize; r != 0 {
		off = pageSize - int(r)
	}
	b = m[off : off+n : off+n]
	// Only whole huge pages: a partly used one would hold up to 2 MiB of
	// memory nobody asked for. Without THP the memory is ordinary memory.
	if whole := n / pageSize * pageSize; whole > 0 {
		_ = unix.Madvise(b[:whole], unix.MADV_HUGEPAGE)
	}
	return b, func() { _ = unix.Munmap(m) }, true
}
