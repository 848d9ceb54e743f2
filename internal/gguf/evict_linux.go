package gguf

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Evict tells the kernel that b, a tensor's bytes, will not be read again
// soon (its data now lives in another layout): the whole pages inside it
// are paged out. It never changes b's contents — a file mapping reads
// them back, anonymous memory is swapped — so it is safe on any slice; it
// is best effort and silent.
func Evict(b []byte) {
	page := os.Getpagesize()
	if len(b) < page {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (page - int(start%uintptr(page))) % page
	n := (len(b) - lo) / page * page
	if n <= 0 {
		return
	}
	unix.Madvise(b[lo:lo+n], unix.MADV_PAGEOUT)
}
