package hugemem

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewIsZeroedAndSized(t *testing.T) {
	for _, n := range []int{0, 1, MinSize - 1, MinSize, MinSize + 12345} {
		b := New(n).Bytes()
		if len(b) != n || cap(b) != n {
			t.Fatalf("New(%d): len %d cap %d", n, len(b), cap(b))
		}
		for i := 0; i < n; i += 4093 {
			if b[i] != 0 {
				t.Fatalf("New(%d): byte %d is %d", n, i, b[i])
			}
			b[i] = 1 // writable
		}
	}
}

// Buffers that are dropped are unmapped once collected.
func TestDroppedBuffersAreReleased(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("New maps its own memory only on Linux")
	}
	base := mappings(t)
	for range 50 {
		b := New(MinSize).Bytes()
		b[0], b[len(b)-1] = 1, 1
	}
	if got := mappings(t); got < base+50 {
		t.Fatalf("50 live buffers added %d mappings", got-base)
	}
	for range 100 {
		runtime.GC()
		if mappings(t) <= base+5 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("mappings: %d before, %d after dropping 50 buffers", base, mappings(t))
}

func mappings(t *testing.T) int {
	s, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	return strings.Count(string(s), "\n")
}

// On Linux with transparent huge pages available, a big buffer is backed
// by them once touched.
func TestBigBufferGetsHugePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("huge pages are only requested on Linux")
	}
	if s, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil || strings.Contains(string(s), "[never]") {
		t.Skip("transparent huge pages are off")
	}
	before := anonHuge(t)
	buf := New(32 << 20)
	b := buf.Bytes()
	for i := range b {
		b[i] = byte(i)
	}
	// The kernel may not find 2 MiB of free contiguous memory for every
	// page, but for none at all the request did not reach it.
	if got := anonHuge(t) - before; got < 2<<20 {
		t.Fatalf("%d bytes of a touched 32 MiB buffer on huge pages", got)
	}
	runtime.KeepAlive(buf)
}

func anonHuge(t *testing.T) int {
	s, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(s), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "AnonHugePages:" {
			kb, _ := strconv.Atoi(f[1])
			return kb << 10
		}
	}
	t.Skip("no AnonHugePages in smaps_rollup")
	return 0
}
